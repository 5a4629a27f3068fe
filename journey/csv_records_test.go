package journey

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/throughline/throughline/identity"
)

// TestLoadCSVLineBreaks: a quoted field may hold line breaks (LF, and
// CRLF read as LF), so a record spans lines; encoding/csv writes the
// file and reads back the same values. Bad lines after such records are
// numbered by the file's lines.
func TestLoadCSVLineBreaks(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	rng := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "b c", ",", `"`, "\n", "\r\n", "\n\n", "ё", " "}
	for _, crlf := range []bool{false, true} {
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.UseCRLF = crlf
		w.Write([]string{"time", "type", "id:cookie", "prop:note"})
		var notes []string
		for i := range 200 {
			var note strings.Builder
			for range rng.IntN(6) {
				note.WriteString(pieces[rng.IntN(len(pieces))])
			}
			n := strings.TrimSpace(note.String())
			notes = append(notes, strings.ReplaceAll(n, "\r\n", "\n"))
			w.Write([]string{fmt.Sprintf("2026-03-01T10:%02d:%02dZ", i/60, i%60), "lead", "c1", n})
		}
		w.Flush()
		lines := bytes.Count(buf.Bytes(), []byte("\n"))
		buf.WriteString("yesterday,lead,c1,x\n") // bad: its number is the file's line
		s, _ := New(g, nil)
		rep, err := s.LoadCSV(context.Background(), &buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Added != 200 || len(rep.Bad) != 1 || rep.Bad[0].Line != lines+1 {
			t.Fatalf("crlf %v: %s, bad %v (want line %d)", crlf, summary(rep), rep.Bad, lines+1)
		}
		p, _ := g.Resolve(identity.Cookie, "c1")
		var got []string
		for _, e := range s.Timeline(p) {
			got = append(got, e.Props["note"])
		}
		if !reflect.DeepEqual(got, notes) {
			t.Fatalf("crlf %v: notes\n%q\nwant\n%q", crlf, got, notes)
		}
	}
}

// TestLoadCSVStrayQuotes: a quote that opens a field and never closes,
// or closes lines later in a record that does not decode, loses its own
// line and no other.
func TestLoadCSVStrayQuotes(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	good := func(i int) string { return fmt.Sprintf("2026-03-01T%02d:%02d:00Z,lead,c1,\n", i/60, i%60) }
	for _, tc := range []struct {
		name  string
		stray string // line 2
		after int    // good lines after it
	}{
		{"never closed", `2026-03-01T00:00:00Z,lead,"c1,` + "\n", 10},
		{"never closed within the bound", `2026-03-01T00:00:00Z,lead,"c1,` + "\n", maxRecordLines + 40},
		{"closed by a later line", `2026-03-01T00:00:00Z,lead,"c1,` + "\n", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := "time,type,id:cookie,prop:note\n" + tc.stray
			for i := range tc.after {
				in += good(i + 1)
			}
			if tc.name == "closed by a later line" {
				in += `2026-03-01T23:00:00Z,lead,c1,"a"` + "\n" // its quote closes the stray one
			}
			s, _ := New(g, nil)
			rep, err := s.LoadCSV(context.Background(), strings.NewReader(in), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.after
			if tc.name == "closed by a later line" {
				want++
			}
			if rep.Added != want || len(rep.Bad) != 1 || rep.Bad[0].Line != 2 {
				t.Fatalf("%s, bad %v", summary(rep), rep.Bad)
			}
		})
	}
}

// FuzzLoadCSV: no input panics LoadCSV, and its report accounts for the
// file: every bad line's number is one of the file's lines, and no more
// events are added than records read.
func FuzzLoadCSV(f *testing.F) {
	f.Add([]byte("2026-03-01T10:00:00Z,lead,c1,\"a\nb\"\n"))
	f.Add([]byte("2026-03-01T10:00:00Z,lead,c1,\"a\r\n\"\"b\"\"\"\r\n"))
	f.Add([]byte("2026-03-01T10:00:00Z,lead,\"c1,x\n2026-03-01T11:00:00Z,lead,c1,\"y\"\n"))
	f.Add([]byte("\"\n\"\n\"\n"))
	f.Add([]byte("2026-03-01T10:00:00Z,lead,c\"1,\"\n"))
	g, err := identity.New(nil)
	if err != nil {
		f.Fatal(err)
	}
	g.Observe(identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := New(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := s.LoadCSV(context.Background(), bytes.NewReader(append([]byte("time,type,id:cookie,prop:note\n"), body...)), nil)
		if err != nil {
			t.Fatal(err)
		}
		lines := 1 + bytes.Count(body, []byte("\n"))
		if len(body) > 0 && body[len(body)-1] != '\n' {
			lines++
		}
		for _, b := range rep.Bad {
			if b.Line < 2 || b.Line > lines {
				t.Fatalf("bad line %d of %d: %v", b.Line, lines, b.Err)
			}
		}
		if rep.Added > rep.Lines || rep.Lines > lines-1 || s.Len() != rep.Added {
			t.Fatalf("%s over %d lines, %d stored", summary(rep), lines, s.Len())
		}
	})
}
