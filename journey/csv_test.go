package journey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/throughline/throughline/identity"
)

// csvOf writes events in the CSV format, with every column.
func csvOf(events []Event) []byte {
	var b bytes.Buffer
	b.WriteString("id,time,type,id:crm,id:email,channel,source,campaign,value,currency,company,site,prop:model\n")
	q := func(s string) string {
		if strings.ContainsAny(s, `,"`) {
			return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
		}
		return s
	}
	for _, e := range events {
		var crm, email string
		for _, id := range e.IDs {
			switch id.Kind {
			case "crm":
				crm = id.Value
			case identity.Email:
				email = id.Value
			}
		}
		value := ""
		if e.Value.Currency != "" {
			value = e.Value.String()[:strings.IndexByte(e.Value.String(), ' ')]
		}
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", e.ID, e.Time.Format("2006-01-02T15:04:05.999999999Z07:00"), e.Type, q(crm), q(email),
			q(e.Touch.Channel), q(e.Touch.Source), q(e.Touch.Campaign), value, e.Value.Currency, q(e.Company), q(e.Site), q(e.Props["model"]))
	}
	return b.Bytes()
}

// TestLoadCSVMatchesJSONL: the same events as CSV and as JSONL give the
// same report and timelines, quoted fields, values, properties and
// origins included.
func TestLoadCSVMatchesJSONL(t *testing.T) {
	g, _ := identity.New(nil)
	var events []Event
	var jsonl []byte
	for p := range 2000 {
		who := fmt.Sprint("p", p)
		g.Observe(identity.Observation{Source: "crm_import", IDs: ids("crm", who)})
		for k := range 6 {
			e := ev(fmt.Sprint(who, "-", k%5), day(float64((k*7919+p)%90)), []EventType{PageView, Lead, Contract}[k%3], Touch{Channel: "search", Campaign: `spring, "big" sale`}, "crm", who)
			if k == 4 { // another list on the same profile: it must not pass for the first
				e.IDs = append(e.IDs, identity.ID{Kind: identity.Email, Value: who + "@example.com"})
			}
			if k == 2 {
				e.Value, e.Company, e.Site = Money{Minor: 150000050, Currency: "RUB"}, "North, LLC", "north.ru"
				e.Props = map[string]string{"model": `Rio "X"`}
			}
			events = append(events, e)
			jsonl = append(e.AppendJSON(jsonl), '\n')
		}
	}
	a, _ := New(g, nil)
	want, err := a.Load(context.Background(), bytes.NewReader(jsonl), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(g, nil)
	got, err := b.LoadCSV(context.Background(), bytes.NewReader(csvOf(events)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Lines != want.Lines || got.Added != want.Added || got.Duplicates != want.Duplicates || len(got.Bad) != 0 || want.Duplicates == 0 {
		t.Fatalf("CSV %s, JSONL %s", summary(got), summary(want))
	}
	for _, p := range a.Profiles() {
		if x, y := a.Timeline(p), b.Timeline(p); !reflect.DeepEqual(x, y) {
			t.Fatalf("timeline of %s differs:\n%+v\n%+v", p, x[:1], y[:1])
		}
	}
	byID := map[string][]identity.ID{}
	for _, e := range events {
		if _, ok := byID[e.ID.String()]; !ok { // the first of a duplicate ID is kept
			byID[e.ID.String()] = e.IDs
		}
	}
	for _, p := range b.Profiles() {
		for _, e := range b.Timeline(p) {
			if want := byID[e.ID.String()]; !reflect.DeepEqual(e.IDs, want) {
				t.Fatalf("event %s carries %v, want %v", e.ID, e.IDs, want)
			}
		}
	}
	if len(a.Profiles()) != len(b.Profiles()) {
		t.Fatalf("%d profiles from CSV, %d from JSONL", len(b.Profiles()), len(a.Profiles()))
	}
}

// TestLoadCSVBadInput: a header it cannot read adds nothing and says
// why; bad lines are reported by number (the header is line 1) and the
// rest is added.
func TestLoadCSVBadInput(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	for _, head := range []string{
		"", "time,type\n", "time,id:cookie\n", "type,id:cookie\n", "time,type,id:cookie,color\n",
		"time,type,id:cookie,time\n", "time,type,id:\n", `time,"type,id:cookie` + "\n", "time,type,prop:\n",
	} {
		s, _ := New(g, nil)
		rep, err := s.LoadCSV(context.Background(), strings.NewReader(head+"2026-03-01T10:00:00Z,lead,c1\n"), nil)
		if !errors.Is(err, ErrCSVHeader) || rep.Added != 0 || s.Len() != 0 {
			t.Errorf("header %q: %v, %+v", head, err, rep)
		}
	}
	in := "\ufefftime,type,id:cookie,value\n" +
		"2026-03-01T10:00:00Z,lead,c1,\n" + // 2: good
		"yesterday,lead,c1,\n" + // 3: bad time
		"2026-03-01T11:00:00Z,lead,c1\n" + // 4: too few fields
		"2026-03-01T12:00:00Z,,c1,\n" + // 5: no type
		"2026-03-01T13:00:00Z,lead,,\n" + // 6: no ids
		"2026-03-01T14:00:00Z,lead,nobody,\n" + // 7: resolves nowhere
		"2026-03-01T15:00:00Z,lead,c1,12.345\n" + // 8: bad amount
		`2026-03-01T16:00:00Z,lead,"c1,"x` + "\n" + // 9: text after a quote
		`2026-03-01T17:00:00Z,lead,c"1,` + "\n" + // 10: a quote inside a field
		`2026-03-01T18:00:00Z,lead,"c1` + "\n" + // 11: unclosed
		"\n" + // blank
		"2026-03-01T19:00:00Z,contract,\"c1\",100.5\n" // 13: good
	s, _ := New(g, nil)
	rep, err := s.LoadCSV(context.Background(), strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, b := range rep.Bad {
		lines = append(lines, b.Line)
		if want := ErrBadEvent; b.Line == 7 {
			want = ErrNoProfile
			if !errors.Is(b.Err, want) {
				t.Errorf("line 7: %v", b.Err)
			}
		} else if !errors.Is(b.Err, want) {
			t.Errorf("line %d: %v, want ErrBadEvent", b.Line, b.Err)
		}
	}
	if !reflect.DeepEqual(lines, []int{3, 4, 5, 6, 7, 8, 9, 10, 11}) || rep.Added != 2 || rep.Lines != 11 {
		t.Fatalf("bad lines %v, %s", lines, summary(rep))
	}
	p, _ := g.Resolve(identity.Cookie, "c1")
	if tl := s.Timeline(p); len(tl) != 2 || tl[1].Value != (Money{Minor: 10050}) {
		t.Fatalf("timeline %+v", tl)
	}
}

// TestLoadFollowsDuringLoad: merges followed while a load runs leave no
// event under a retired profile (the workers resolve outside the lock,
// and a batch resolved before a Follow is resolved again).
func TestLoadFollowsDuringLoad(t *testing.T) {
	g, _ := identity.New(nil)
	var in bytes.Buffer
	in.WriteString("time,type,id:crm\n")
	const people = 3000
	for p := range people {
		g.Observe(identity.Observation{Source: "crm_import", IDs: ids("crm", fmt.Sprint("p", p))})
		for k := range 10 {
			fmt.Fprintf(&in, "2026-03-%02dT10:00:00Z,page_view,p%d\n", 1+k, p)
		}
	}
	s, _ := New(g, nil)
	done := make(chan ReadReport)
	go func() {
		rep, err := s.LoadCSV(context.Background(), &in, nil)
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	for p := 0; p+1 < people; p += 2 { // merge pairs as the load runs
		ch, err := g.Observe(identity.Observation{Source: "crm_import", IDs: ids("crm", fmt.Sprint("p", p), "crm", fmt.Sprint("p", p+1))})
		if err != nil {
			t.Fatal(err)
		}
		s.Follow(ch)
	}
	rep := <-done
	if rep.Added != people*10 || s.Len() != people*10 {
		t.Fatalf("%s, %d stored", summary(rep), s.Len())
	}
	n := 0
	for _, p := range s.Profiles() {
		if cur, ok := g.Current(p); !ok || cur != p {
			t.Fatalf("events under %s, which the graph retired", p)
		}
		n += len(s.Timeline(p))
	}
	if n != people*10 || len(s.Profiles()) != people/2 {
		t.Fatalf("%d events in %d profiles", n, len(s.Profiles()))
	}
}

// FuzzCSVLine: no line panics the splitter or the decoder, and a line
// that decodes has a time, a type and identifiers.
func FuzzCSVLine(f *testing.F) {
	f.Add([]byte(`2026-03-01T10:00:00Z,lead,c1,"a ""b"", c",12.50`))
	f.Add([]byte(`,,,,`))
	f.Add([]byte(`"`))
	f.Add([]byte(`"",""`))
	l, err := parseCSVHeader([]byte("time,type,id:cookie,campaign,value"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		d := newCSVDecoder(l)
		var e Event
		if err := d.decode(bytes.Clone(line), &e); err == nil && (e.Time.IsZero() || e.Type == "" || len(e.IDs) == 0) {
			t.Fatalf("decoded %q into %+v", line, e)
		}
		if _, err := parseCSVHeader(bytes.Clone(line)); err != nil && !errors.Is(err, ErrCSVHeader) {
			t.Fatalf("header %q: %v", line, err)
		}
	})
}

// TestLoadAfterMerge: a profile's last events moved in by a merge carry
// another identifier list; a loaded event with the profile's earlier list
// keeps its own list, not the moved events'. Both ways round, since which
// profile survives a merge is the graph's choice.
func TestLoadAfterMerge(t *testing.T) {
	for _, c := range [][2]string{{"a", "b"}, {"b", "a"}} {
		early, late := c[0], c[1]
		g, _ := identity.New(nil)
		g.Observe(identity.Observation{Source: "crm_import", IDs: ids("crm", "a")})
		g.Observe(identity.Observation{Source: "crm_import", IDs: ids("crm", "b")})
		s, _ := New(g, nil)
		load := func(in string) {
			t.Helper()
			if rep, err := s.LoadCSV(context.Background(), strings.NewReader("time,type,id:crm\n"+in), nil); err != nil || rep.Added == 0 {
				t.Fatalf("%v, %s", err, summary(rep))
			}
		}
		load("2026-03-01T10:00:00Z,page_view," + early + "\n2026-03-02T10:00:00Z,page_view," + early + "\n")
		load("2026-03-05T10:00:00Z,page_view," + late + "\n2026-03-06T10:00:00Z,page_view," + late + "\n")
		ch, err := g.Observe(identity.Observation{Source: "crm_import", IDs: ids("crm", "a", "crm", "b")})
		if err != nil {
			t.Fatal(err)
		}
		s.Follow(ch)
		load("2026-03-09T10:00:00Z,lead," + early + "\n2026-03-10T10:00:00Z,lead," + late + "\n")
		p, _ := g.Resolve("crm", "a")
		var got []string
		for _, e := range s.Timeline(p) {
			got = append(got, e.IDs[0].Value)
		}
		if want := []string{early, early, late, late, early, late}; !reflect.DeepEqual(got, want) {
			t.Errorf("early %s: lists %v, want %v", early, got, want)
		}
	}
}
