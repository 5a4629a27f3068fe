package journey

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/throughline/throughline/identity"
)

// loadInput is a JSONL file with good events over many profiles (late
// ones, duplicates), malformed lines, an event nobody resolves, and a line
// with no time.
func loadInput(t testing.TB, people, per int) (*identity.Graph, []byte) {
	g, _ := identity.New(nil)
	var b bytes.Buffer
	for p := range people {
		who := fmt.Sprint("p", p)
		g.Observe(identity.Observation{Source: "crm_import", IDs: ids("crm", who)})
		for k := range per {
			e := ev(fmt.Sprint(who, "-", k%(per-1)), day(float64((k*7919+p)%90)), []EventType{PageView, Lead, Contract}[k%3], Touch{Channel: "search"}, "crm", who)
			b.Write(e.AppendJSON(nil))
			b.WriteByte('\n')
		}
		if p == 0 {
			b.WriteString(strings.Repeat("x", 2<<20) + "\n") // over the read buffer
		}
		if p%500 == 0 {
			b.WriteString("{not json\n\n")
			b.WriteString(`{"time":"2026-03-01T10:00:00Z","type":"lead","ids":[{"kind":"crm","value":"nobody"}]}` + "\n")
			b.WriteString(`{"type":"lead","ids":[{"kind":"crm","value":"p1"}]}` + "\n")
		}
	}
	return g, b.Bytes()
}

// readLineByLine is the plain reading Load must match: one line after
// another, each through Add (ReadJSONL before it became Load).
func readLineByLine(ctx context.Context, s *Store, r io.Reader) (ReadReport, error) {
	var rep ReadReport
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		if line%4096 == 0 && ctx.Err() != nil {
			return rep, fmt.Errorf("journey: read: %w", ctx.Err()) // the lines before it are added
		}
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) { // a line over 1 MiB: gather it whole
			long := append([]byte(nil), b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if err != nil && err != io.EOF {
			return rep, err
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			rep.Lines++
			var e Event
			if derr := e.UnmarshalJSON(b); derr != nil {
				rep.Bad = append(rep.Bad, &LineError{Line: line, Err: derr})
			} else if _, added, aerr := s.Add(e); aerr != nil {
				rep.Bad = append(rep.Bad, &LineError{Line: line, Err: aerr})
			} else if added {
				rep.Added++
			} else {
				rep.Duplicates++
			}
		}
		if err == io.EOF {
			return rep, nil
		}
	}
}

// TestLoadMatchesReadJSONL: Load gives the plain line-by-line reading's
// report and timelines, in a small store and in one sized to read ahead.
func TestLoadMatchesReadJSONL(t *testing.T) {
	g, in := loadInput(t, 3000, 7)
	a, _ := New(g, nil)
	want, err := readLineByLine(context.Background(), a, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, hint := range []int{0, touchFrom} { // a store large enough to read ahead, too
		b, _ := New(g, &Options{SizeHint: hint})
		calls := 0
		got, err := b.Load(context.Background(), bytes.NewReader(in), func(int) { calls++ })
		if err != nil {
			t.Fatal(err)
		}
		if got.Lines != want.Lines || got.Added != want.Added || got.Duplicates != want.Duplicates || len(got.Bad) != len(want.Bad) {
			t.Fatalf("Load %+v, ReadJSONL %+v", summary(got), summary(want))
		}
		for i := range got.Bad {
			if got.Bad[i].Line != want.Bad[i].Line || got.Bad[i].Err.Error() != want.Bad[i].Err.Error() {
				t.Fatalf("bad line %d: %v, want %v", i, got.Bad[i], want.Bad[i])
			}
		}
		for _, p := range a.Profiles() {
			if !reflect.DeepEqual(a.Timeline(p), b.Timeline(p)) {
				t.Fatalf("timeline of %s differs", p)
			}
		}
		if len(a.Profiles()) != len(b.Profiles()) || calls == 0 {
			t.Fatalf("profiles %d vs %d, progress calls %d", len(a.Profiles()), len(b.Profiles()), calls)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c, _ := New(g, nil)
	if _, err := c.Load(ctx, bytes.NewReader(in), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Load: %v", err)
	}
	if _, err := c.Load(context.Background(), strings.NewReader(""), nil); err != nil {
		t.Fatalf("empty input: %v", err)
	}
}

func summary(r ReadReport) string {
	return fmt.Sprintf("lines %d added %d dups %d bad %d", r.Lines, r.Added, r.Duplicates, len(r.Bad))
}

// BenchmarkLoad compares Load with the line-by-line reading on 400k events of 50k
// profiles.
func BenchmarkLoad(b *testing.B) {
	g, in := loadInput(b, 50_000, 8)
	for _, c := range []struct {
		name string
		load func(s *Store) error
	}{
		{"line_by_line", func(s *Store) error {
			_, err := readLineByLine(context.Background(), s, bytes.NewReader(in))
			return err
		}},
		{"Load", func(s *Store) error { _, err := s.Load(context.Background(), bytes.NewReader(in), nil); return err }},
	} {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			for b.Loop() {
				s, _ := New(g, nil)
				if err := c.load(s); err != nil {
					b.Fatal(err)
				}
				n = s.Len()
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
