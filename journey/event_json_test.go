package journey

import (
	"errors"
	"github.com/throughline/throughline/identity"
	"reflect"
	"testing"
)

func TestEventJSON(t *testing.T) {
	in := `{"id":"0190f5e2-6d1e-7a6b-8c3d-4e5f60718293","time":"2026-06-01T10:43:01Z","type":"contract",` +
		`"ids":[{"kind":"cookie","value":"GA1.2.5129.1700"},{"kind":"phone","value":"8 916 123-45-67"}],` +
		`"touch":{"source":"yandex","medium":"cpc","campaign":"spring","yclid":"123","extra":1},` +
		`"value":"2500000.50","currency":"rub","props":{"model":"Camry","dealership":"North"},"unknown":[1,{"a":null}]}`
	var e Event
	if err := e.UnmarshalJSON([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if e.Type != Contract || len(e.IDs) != 2 || e.Touch.YCLID != "123" || e.Value != (Money{250000050, "RUB"}) || e.Props["model"] != "Camry" {
		t.Fatalf("decoded %+v", e)
	}
	var back Event
	if err := back.UnmarshalJSON(e.AppendJSON(nil)); err != nil || !reflect.DeepEqual(back, e) {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	var num Event
	if err := num.UnmarshalJSON([]byte(`{"time":"2026-06-01T10:43:01Z","type":"lead","ids":[{"kind":"crm","value":"1"}],"value":150.5,"currency":"RUB"}`)); err != nil || num.Value.Minor != 15050 {
		t.Fatalf("numeric value: %+v %v", num, err)
	}
	for _, bad := range []string{
		``, `{}`, `{"time":"2026-06-01T10:43:01Z","type":"lead"}`, `{"time":"x","type":"lead","ids":[{"kind":"crm","value":"1"}]}`,
		`{"time":"2026-06-01T10:43:01Z","ids":[{"kind":"crm","value":"1"}]}`, `{"time":"2026-06-01T10:43:01Z","type":"lead","ids":[]}`,
		`{"id":"nope","time":"2026-06-01T10:43:01Z","type":"lead","ids":[{"kind":"crm","value":"1"}]}`,
		`{"time":"2026-06-01T10:43:01Z","type":"lead","ids":[{"kind":"crm","value":"1"}],"value":"1.234"}`,
		`{"time":"2026-06-01T10:43:01Z","type":"lead","ids":[{"kind":"crm"}]}`,
	} {
		var x Event
		if err := x.UnmarshalJSON([]byte(bad)); !errors.Is(err, ErrBadEvent) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzEventJSON(f *testing.F) {
	f.Add([]byte(`{"time":"2026-06-01T10:43:01Z","type":"lead","ids":[{"kind":"crm","value":"1"}],"touch":{"source":"a\u0001"},"value":"1.5","currency":"RUB","props":{"k":"\u0416"}}`))
	f.Add([]byte(`{"id":"0190f5e2-6d1e-7a6b-8c3d-4e5f60718293","time":"2026-06-01T10:43:01.5+03:00","type":"call","ids":[{"kind":"phone","value":"8"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e Event
		if err := e.UnmarshalJSON(b); err != nil {
			if !errors.Is(err, ErrBadEvent) {
				t.Fatalf("error %v does not wrap ErrBadEvent", err)
			}
			return
		}
		var back Event
		if err := back.UnmarshalJSON(e.AppendJSON(nil)); err != nil {
			t.Fatalf("re-decode %s: %v", e.AppendJSON(nil), err)
		}
		if !back.Time.Equal(e.Time) || back.Type != e.Type || back.Value != e.Value || back.Touch != e.Touch || !reflect.DeepEqual(back.IDs, e.IDs) || back.ID != e.ID {
			t.Fatalf("round trip changed %+v into %+v", e, back)
		}
	})
}

// TestEventOrigin: the company and site that collected an event survive
// JSON and the store, kept beside the event's record, which stays a few
// bytes.
func TestEventOrigin(t *testing.T) {
	in := `{"time":"2026-03-01T10:00:00Z","type":"lead","ids":[{"kind":"cookie","value":"c1"}],"company":"North Motors LLC","site":"north-motors.ru"}`
	var e Event
	if err := e.UnmarshalJSON([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if e.Company != "North Motors LLC" || e.Site != "north-motors.ru" {
		t.Fatalf("decoded %+v", e)
	}
	var back Event
	if err := back.UnmarshalJSON(e.AppendJSON(nil)); err != nil || back.Company != e.Company || back.Site != e.Site {
		t.Fatalf("round trip %+v, %v", back, err)
	}
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	s, _ := New(g, nil)
	if _, _, err := s.Add(e); err != nil {
		t.Fatal(err)
	}
	p, _ := g.Resolve(identity.Cookie, "c1")
	if tl := s.Timeline(p); len(tl) != 1 || tl[0].Company != "North Motors LLC" || tl[0].Site != "north-motors.ru" {
		t.Fatalf("stored %+v", tl)
	}
	// The origin is kept beside the record, which stays a few bytes.
	tl := s.timelines.get(p)
	if x := s.tab.extraOf(tl.decode(nil)[0]); s.tab.origins[x.origin] != [2]string{"North Motors LLC", "north-motors.ru"} {
		t.Fatalf("extra %+v", x)
	}
	if n := len(tl.data); n > 16 {
		t.Fatalf("the event takes %d bytes in its timeline, want ≤ 16", n)
	}
}
