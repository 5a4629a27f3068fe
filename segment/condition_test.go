package segment

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

func compileProp(t *testing.T, p Prop) *matcher {
	t.Helper()
	k := newCompiler(nil)
	m := k.prop(p, "prop", true)
	if err := k.err(); err != nil {
		t.Fatalf("%+v: %v", p, err)
	}
	return m
}

func TestOperators(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	const missing = "\x00missing"
	tests := []struct {
		p    Prop
		v    string
		want bool
	}{
		{Prop{Op: Equals, Value: "Kia"}, "Kia", true},
		{Prop{Op: Equals, Value: "Kia"}, "KIA", false},
		{Prop{Op: Equals, Value: "Kia", Fold: true}, "KIA", true},
		{Prop{Op: Equals, Value: "Фёдоров", Fold: true}, "ФЕДОРОВ", true},
		{Prop{Op: Equals, Value: "Kia"}, missing, false},
		{Prop{Op: Equals}, "", true}, // an empty value is a value
		{Prop{Op: NotEquals, Value: "Kia"}, "Lada", true},
		{Prop{Op: NotEquals, Value: "Kia"}, "Kia", false},
		{Prop{Op: NotEquals, Value: "Kia"}, missing, true},
		{Prop{Op: Exists}, "", true},
		{Prop{Op: Exists}, missing, false},
		{Prop{Op: Missing}, missing, true},
		{Prop{Op: Missing}, "x", false},
		{Prop{Op: Contains, Value: "моск"}, "г. москва", true},
		{Prop{Op: Contains, Value: "моск"}, "г. Москва", false},
		{Prop{Op: Contains, Value: "моск", Fold: true}, "г. Москва", true},
		{Prop{Op: Contains, Value: "x"}, missing, false},
		{Prop{Op: NotContains, Value: "test"}, "ivan", true},
		{Prop{Op: NotContains, Value: "test"}, "my-test-1", false},
		{Prop{Op: NotContains, Value: "test"}, missing, true},
		{Prop{Op: StartsWith, Value: "+7916"}, "+79161234567", true},
		{Prop{Op: StartsWith, Value: "+7916"}, "+79031234567", false},
		{Prop{Op: EndsWith, Value: "@mail.ru"}, "anna@mail.ru", true},
		{Prop{Op: EndsWith, Value: "@mail.ru"}, "anna@gmail.com", false},
		{Prop{Op: Regex, Value: `^[A-Z]{2}\d{3}$`}, "XR123", true},
		{Prop{Op: Regex, Value: `^[A-Z]{2}\d{3}$`}, "xr123", false},
		{Prop{Op: Regex, Value: `^[A-Z]{2}\d{3}$`, Fold: true}, "xr123", true},
		{Prop{Op: Regex, Value: `x`}, missing, false},
		// Numbers compare as numbers, not strings: "9" < "10".
		{Prop{Op: Greater, Value: "10"}, "9", false},
		{Prop{Op: Greater, Value: "10"}, "10.5", true},
		{Prop{Op: Greater, Value: "10"}, "10", false},
		{Prop{Op: GreaterEq, Value: "10"}, "10", true},
		{Prop{Op: Less, Value: "10"}, "9", true},
		{Prop{Op: Less, Value: "10"}, "ten", false}, // not a number: no match
		{Prop{Op: LessEq, Value: "-1.5"}, "-1.5", true},
		{Prop{Op: LessEq, Value: "-1.5"}, "-1", false},
		{Prop{Op: Between, Values: []string{"18", "65"}}, "18", true},
		{Prop{Op: Between, Values: []string{"18", "65"}}, "65", true},
		{Prop{Op: Between, Values: []string{"18", "65"}}, "66", false},
		{Prop{Op: Between, Values: []string{"18", "65"}}, missing, false},
		// Dates compare as instants.
		{Prop{Op: Less, Value: "2026-01-01"}, "2025-12-31T23:59:59+03:00", true},
		{Prop{Op: Less, Value: "2026-01-01"}, "2026-01-01T02:00:00+03:00", true}, // 23:00 UTC the day before
		{Prop{Op: Greater, Value: "2026-01-01T00:00:00Z"}, "2026-01-01", false},
		{Prop{Op: GreaterEq, Value: "2026-01-01T00:00:00Z"}, "2026-01-01", true},
		{Prop{Op: Less, Value: "2026-01-01"}, "soon", false},
		// Relative to the evaluation time: a last service over a year ago.
		{Prop{Op: Less, Value: "now-365d"}, "2025-05-01", true},
		{Prop{Op: Less, Value: "now-365d"}, "2025-07-01", false},
		{Prop{Op: Between, Values: []string{"now-7d", "now"}}, "2026-05-30", true},
		{Prop{Op: Greater, Value: "now+1h"}, "2026-06-01T14:00:00Z", true},
		// Strings order bytewise.
		{Prop{Op: Greater, Value: "b"}, "c", true},
		{Prop{Op: Greater, Value: "b"}, "a", false},
		{Prop{Op: In, Values: []string{"Kia", "Lada"}}, "Lada", true},
		{Prop{Op: In, Values: []string{"Kia", "Lada"}}, "BMW", false},
		{Prop{Op: In, Values: []string{"Kia", "Lada"}}, missing, false},
		{Prop{Op: In, Values: []string{"kia"}, Fold: true}, "KIA", true},
		{Prop{Op: NotIn, Values: []string{"Kia", "Lada"}}, "BMW", true},
		{Prop{Op: NotIn, Values: []string{"Kia", "Lada"}}, "Kia", false},
		{Prop{Op: NotIn, Values: []string{"Kia", "Lada"}}, missing, true},
	}
	for _, tt := range tests {
		tt.p.Name = "f"
		m := compileProp(t, tt.p)
		v, ok := tt.v, tt.v != missing
		if !ok {
			v = ""
		}
		if got := m.match(v, ok, now); got != tt.want {
			t.Errorf("%s %q %v on %q: got %v, want %v", tt.p.Op, tt.p.Value, tt.p.Values, tt.v, got, tt.want)
		}
	}
}

// every returns a condition using every node type and every field.
func every() Condition {
	kia := Filter{Type: "car_view", Where: []Prop{{Name: "brand", Op: Equals, Value: "Kia", Fold: true}}}
	return And{
		Or{HasID{Kind: identity.Email}, HasID{Kind: identity.Phone}},
		Not{Cond: Prop{Name: "city", Op: In, Values: []string{"Москва", "Химки"}}},
		Prop{Name: "age", Op: Between, Values: []string{"18", "65"}},
		Prop{Name: "vip", Op: Exists},
		Count{Event: kia, Min: 10, Max: 100, Window: Window{Last: 30 * day}},
		Count{Event: Filter{Type: "lead"}, Min: 1, Window: Window{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)}},
		None{Event: Filter{Type: "contract"}},
		Last{Event: Filter{Type: "lead"}, OlderThan: 14 * day, NewerThan: 90*day + 12*time.Hour},
		First{Event: Filter{Where: []Prop{{Name: "touch.channel", Op: Equals, Value: "Retargeting"}}}, NewerThan: 7 * day},
		Sequence{Steps: []SequenceStep{{Event: Filter{Type: "lead"}}, {Event: Filter{Type: "test_drive"}, Within: 7 * day}}, Window: Window{Last: 90 * day}},
		InSegment{Name: "stage/warm"},
		ReachableOn{Channel: "email"},
		ReachableOn{Channel: "sms", Purpose: "service"},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	c := every()
	b, err := MarshalCondition(c)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseCondition(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !reflect.DeepEqual(back, c) {
		t.Fatalf("round trip changed the condition:\n%#v\n%#v", back, c)
	}
	b2, _ := MarshalCondition(back)
	if string(b2) != string(b) {
		t.Fatalf("not canonical:\n%s\n%s", b, b2)
	}
	const warm = `{"and":[{"count":{"event":{"type":"car_view"},"min":10,"window":{"last":"30d"}}},{"count":{"event":{"type":"lead"},"min":1}},{"none":{"event":{"type":"contract"}}}]}`
	w, err := ParseCondition([]byte(warm))
	if err != nil {
		t.Fatal(err)
	}
	want := And{
		Count{Event: Filter{Type: "car_view"}, Min: 10, Window: Window{Last: 30 * day}},
		Count{Event: Filter{Type: "lead"}, Min: 1},
		None{Event: Filter{Type: "contract"}},
	}
	if !reflect.DeepEqual(w, want) {
		t.Fatalf("warm = %#v", w)
	}
	if b, _ := MarshalCondition(w); string(b) != warm {
		t.Fatalf("warm written as %s", b)
	}
	// Times are kept in UTC; durations in any spelling.
	c2, err := ParseCondition([]byte(`{"count":{"event":{},"min":1,"window":{"from":"2026-01-01T03:00:00+03:00"}}}`))
	if err != nil || !c2.(Count).Window.From.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || c2.(Count).Window.From.Location() != time.UTC {
		t.Fatalf("%#v %v", c2, err)
	}
	c3, err := ParseCondition([]byte(`{"last":{"event":{"type":"lead"},"olderThan":"36h","newerThan":"2d"}}`))
	if err != nil || c3.(Last).OlderThan != 36*time.Hour || c3.(Last).NewerThan != 2*day {
		t.Fatalf("%#v %v", c3, err)
	}
	// 1.5d is 36h: a window from 36h to 36h holds nothing.
	if _, err := ParseCondition([]byte(`{"last":{"event":{"type":"lead"},"olderThan":"36h","newerThan":"1.5d"}}`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty age range accepted: %v", err)
	}
}

func TestSetJSON(t *testing.T) {
	set := Set{
		Segments: []Segment{
			{Name: "warm", When: Count{Event: Filter{Type: "car_view"}, Min: 10, Window: Window{Last: 30 * day}}},
			{Name: "hot", When: And{InSegment{Name: "warm"}, Count{Event: Filter{Type: "lead"}, Min: 1}}},
		},
		Segmentations: []Segmentation{{Name: "stage", Tabs: []Segment{
			{Name: "buyer", When: Count{Event: Filter{Type: "contract"}, Min: 1}},
			{Name: "hot", When: InSegment{Name: "hot"}},
		}, Other: "cold"}},
	}
	b, err := set.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSet(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !reflect.DeepEqual(*back, set) {
		t.Fatalf("round trip:\n%#v\n%#v", *back, set)
	}
	var sg Segment
	if err := sg.UnmarshalJSON([]byte(`{"name":"x","when":{"has":"email"}}`)); err != nil || sg.When != (HasID{Kind: identity.Email}) {
		t.Fatal(sg, err)
	}
	if b, _ := sg.MarshalJSON(); string(b) != `{"name":"x","when":{"has":"email"}}` {
		t.Fatalf("%s", b)
	}
}

func errorPaths(err error) []string {
	var out []string
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		var e *Error
		if errors.As(err, &e) {
			out = append(out, e.Path)
		}
	}
	walk(err)
	return out
}

func TestValidationPaths(t *testing.T) {
	tests := []struct {
		in    string
		paths []string
	}{
		{`{"and":[{"has":"email"},{"has":"phone"},{"count":{"event":{"type":"car_view"},"min":10,"window":{"last":"30d","from":"2026-01-01T00:00:00Z"}}}]}`, []string{"and[2].count.window"}},
		{`{"and":[{"has":"email"},{"has":"phone"},{"count":{"event":{"type":"car_view"},"min":10,"window":{"last":"-3d"}}}]}`, []string{"and[2].count.window.last"}},
		{`{"and":[{"count":{"event":{"type":"x"},"mni":10}}]}`, []string{"and[0].count.mni", "and[0].count.min"}},
		{`{"and":[]}`, []string{"and"}},
		{`{"or":[{"has":""},{"prop":{"name":"a","op":"like","value":"b"}}]}`, []string{"or[0].has", "or[1].prop.op"}},
		{`{"not":{"prop":{"name":"a","op":"matchesRegex","value":"("}}}`, []string{"not.prop.value"}},
		{`{"prop":{"name":"a","op":"between","values":["10"]}}`, []string{"prop.values"}},
		{`{"prop":{"name":"a","op":"between","values":["10","2026-01-01"]}}`, []string{"prop.values"}},
		{`{"prop":{"name":"a","op":"between","values":["65","18"]}}`, []string{"prop.values"}},
		{`{"prop":{"name":"a","op":"in"}}`, []string{"prop.values"}},
		{`{"prop":{"name":"a","op":"exists","value":"x"}}`, []string{"prop.value"}},
		{`{"prop":{"op":"equals","value":"x"}}`, []string{"prop.name"}},
		{`{"prop":{"name":"a","op":"lessThan","value":"now-x"}}`, []string{"prop.value"}},
		{`{"count":{"event":{"type":"lead","where":[{"name":"at","op":"lessThan","value":"now-1d"}]},"min":1}}`, []string{"count.event.where[0].value"}},
		{`{"count":{"event":{"type":"lead"},"min":5,"max":2}}`, []string{"count.max"}},
		{`{"count":{"event":{"type":"lead"},"min":-1,"max":2}}`, []string{"count.min"}},
		{`{"count":{"event":{"type":"lead"},"min":1.5}}`, []string{"count.min"}},
		{`{"count":{"event":{"type":"lead"},"min":1,"window":{"from":"2026-02-01T00:00:00Z","to":"2026-01-01T00:00:00Z"}}}`, []string{"count.window.to"}},
		{`{"count":{"event":{"type":"lead"},"min":1,"window":{"from":"yesterday"}}}`, []string{"count.window.from"}},
		{`{"last":{"event":{"type":"lead"},"olderThan":"14d","newerThan":"7d"}}`, []string{"last.newerThan"}},
		{`{"first":{"event":{"type":"lead"},"olderThan":"fortnight"}}`, []string{"first.olderThan"}},
		{`{"sequence":{"steps":[{"event":{"type":"lead"},"within":"1d"},{"event":{"type":"test_drive"},"within":"7d"}]}}`, []string{"sequence.steps[0].within"}},
		{`{"sequence":{"steps":[{"event":{"type":"lead"}}]}}`, []string{"sequence.steps"}},
		{`{"segment":""}`, []string{"segment"}},
		{`{"reach":{"purpose":"marketing"}}`, []string{"reach.channel"}},
		{`{"has":"email","prop":{}}`, []string{""}},
		{`{"maybe":true}`, []string{""}},
		{`{"and":[{"has":"email"},{"maybe":true}]}`, []string{"and[1]"}},
		{`[]`, []string{""}},
		{`{"and":[{"has":"email"},null]}`, []string{"and[1]"}},
	}
	for _, tt := range tests {
		_, err := ParseCondition([]byte(tt.in))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tt.in, err)
			continue
		}
		if got := errorPaths(err); !equalSets(got, tt.paths) {
			t.Errorf("%s: paths %q, want %q (%v)", tt.in, got, tt.paths, err)
		}
	}
	// Go-built conditions get the same checks.
	err := Validate(And{HasID{Kind: identity.Email}, Count{Event: Filter{Type: "x"}}, nil})
	if got := errorPaths(err); !equalSets(got, []string{"and[1].count.min", "and[2]"}) {
		t.Errorf("Validate paths %q", got)
	}
	if !strings.Contains(err.Error(), "segment: and[1].count.min: ") {
		t.Errorf("message %q", err)
	}
}

func equalSets(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

func TestSetValidation(t *testing.T) {
	tests := []struct {
		in    string
		paths []string
	}{
		{`{"segments":[{"name":"a","when":{"has":"email"}},{"name":"a","when":{"has":"phone"}}]}`, []string{"segments[1].name"}},
		{`{"segments":[{"name":"a/b","when":{"has":"email"}}]}`, []string{"segments[0].name"}},
		{`{"segments":[{"name":"","when":{"has":"email"}}]}`, []string{"segments[0].name"}},
		{`{"segments":[{"name":"a"}]}`, []string{"segments[0].when"}},
		{`{"segments":[{"name":"a","when":{"segment":"ghost"}}]}`, []string{"segments[0].when.segment"}},
		{`{"segments":[{"name":"a","when":{"segment":"b"}},{"name":"b","when":{"and":[{"has":"email"},{"not":{"segment":"a"}}]}}]}`, []string{"segments[1].when.and[1].not.segment"}},
		{`{"segments":[{"name":"a","when":{"segment":"a"}}]}`, []string{"segments[0].when.segment"}},
		{`{"segmentations":[{"name":"s","tabs":[{"name":"x","when":{"has":"email"}},{"name":"x","when":{"has":"phone"}}]}]}`, []string{"segmentations[0].tabs[1].name"}},
		{`{"segmentations":[{"name":"s","tabs":[{"name":"x","when":{"has":"email"}}],"other":"x"}]}`, []string{"segmentations[0].other"}},
		{`{"segmentations":[{"name":"s","tabs":[]}]}`, []string{"segmentations[0].tabs"}},
		{`{"segmentations":[{"name":"s","tabs":[{"name":"x","when":{"segment":"s/other"}}]}]}`, []string{"segmentations[0].tabs[0].when.segment"}},
		{`{"segments":[],"extra":1}`, []string{"extra"}},
	}
	for _, tt := range tests {
		_, err := ParseSet([]byte(tt.in))
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", tt.in, err)
			continue
		}
		if got := errorPaths(err); !equalSets(got, tt.paths) {
			t.Errorf("%s: paths %q, want %q (%v)", tt.in, got, tt.paths, err)
		}
	}
	// A tab and a segment may share a short name; references use the full one.
	ok := `{"segments":[{"name":"warm","when":{"segment":"stage/warm"}}],"segmentations":[{"name":"stage","tabs":[{"name":"warm","when":{"has":"email"}}]}]}`
	if _, err := ParseSet([]byte(ok)); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseSet([]byte(`{`)); !errors.Is(err, ErrInvalid) {
		t.Fatalf("broken JSON: %v", err)
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * day, "0.5d": 12 * time.Hour, "90m": 90 * time.Minute, "36h": 36 * time.Hour} {
		if d, err := parseDuration(in); err != nil || d != want {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
	for _, in := range []string{"", "d", "xd", "NaNd", "1e9d", "3 days"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if s := formatDuration(36 * time.Hour); s != "36h0m0s" {
		t.Error(s)
	}
}

// FuzzParseCondition: anything that parses writes back canonically and
// reads back to the same value; nothing panics.
func FuzzParseCondition(f *testing.F) {
	b, _ := MarshalCondition(every())
	f.Add(string(b))
	for _, s := range []string{
		`{"and":[{"count":{"event":{"type":"car_view"},"min":10,"window":{"last":"30d"}}},{"none":{"event":{"type":"contract"}}}]}`,
		`{"sequence":{"steps":[{"event":{"type":"lead"}},{"event":{"type":"test_drive"},"within":"7d"}]}}`,
		`{"prop":{"name":"age","op":"between","values":["18","65"]}}`,
		`{"prop":{"name":"d","op":"lessThan","value":"now-1.5d"}}`,
		`{"not":{"last":{"event":{"where":[{"name":"touch.channel","op":"in","values":["Email"]}]},"olderThan":"14d"}}}`,
		`{"count":{"event":{},"min":1,"window":{"from":"2026-01-01T00:00:00+03:00","to":"2026-02-01T00:00:00Z"}}}`,
		`{"segment":"stage/warm"}`, `{"reach":{"channel":"sms"}}`, `{"has":"email"}`, `{}`, `null`, `{"and":[null]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCondition([]byte(in))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		b, err := MarshalCondition(c)
		if err != nil {
			t.Fatalf("valid condition does not write: %v", err)
		}
		back, err := ParseCondition(b)
		if err != nil {
			t.Fatalf("%s does not read back: %v", b, err)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip of %s:\n%#v\n%#v", b, c, back)
		}
		if b2, _ := MarshalCondition(back); string(b2) != string(b) {
			t.Fatalf("not canonical: %s vs %s", b, b2)
		}
	})
}

// FuzzParseSet: a set that parses writes back and reads back equal.
func FuzzParseSet(f *testing.F) {
	f.Add(`{"segments":[{"name":"warm","when":{"count":{"event":{"type":"car_view"},"min":10}}},{"name":"hot","when":{"segment":"warm"}}],"segmentations":[{"name":"stage","tabs":[{"name":"hot","when":{"segment":"hot"}}],"other":"cold"}]}`)
	f.Add(`{"segments":[{"name":"a","when":{"segment":"b"}},{"name":"b","when":{"segment":"a"}}]}`)
	f.Add(`{"segmentations":[{"name":"s","tabs":[]}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSet([]byte(in))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v does not wrap ErrInvalid", err)
			}
			return
		}
		b, err := s.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseSet(b)
		if err != nil || !reflect.DeepEqual(back, s) {
			t.Fatalf("round trip of %s: %v", b, err)
		}
	})
}

func TestTooManyFilters(t *testing.T) {
	or := make(Or, 1<<16+1)
	for i := range or {
		or[i] = Count{Event: Filter{Type: journey.EventType(fmt.Sprint("t", i))}, Min: 1}
	}
	if got := errorPaths(Validate(or)); !equalSets(got, []string{"or[65536].count.event"}) {
		t.Fatalf("%q", got)
	}
}
