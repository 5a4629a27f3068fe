package identity

import (
	"errors"
	"testing"
	"time"
)

func TestObservationJSON(t *testing.T) {
	in := `{"time":"2026-06-01T10:43:01Z","source":"web_form","ids":[{"kind":"email","value":"Ivan.Petrov@Gmail.com"},{"kind":"phone","value":"8 (916) 123-45-67"},{"kind":"cookie","value":"GA1.2.512900830.1700083068"}]}`
	var o Observation
	if err := o.UnmarshalJSON([]byte(in)); err != nil {
		t.Fatal(err)
	}
	if !o.Time.Equal(time.Date(2026, 6, 1, 10, 43, 1, 0, time.UTC)) || o.Source != "web_form" || len(o.IDs) != 3 || o.IDs[1] != (ID{Phone, "8 (916) 123-45-67"}) {
		t.Fatalf("decoded %+v", o)
	}
	back, _ := o.MarshalJSON()
	if string(back) != in {
		t.Fatalf("round trip:\n%s\n%s", back, in)
	}
	o.Trust = TrustVerified
	o.IDs = append(o.IDs, ID{"crm", "a\"b\\c\n\x01\xff"})
	var o2 Observation
	if err := o2.UnmarshalJSON(o.AppendJSON(nil)); err != nil || o2.Trust != TrustVerified || o2.IDs[3].Value != "a\"b\\c\n\x01\ufffd" {
		t.Fatalf("round trip with trust and escapes: %+v, %v", o2, err)
	}
}

func TestObservationJSONErrors(t *testing.T) {
	for _, in := range []string{
		``, `{}`, `{"time":"2026-06-01T10:43:01Z"}`, `{"ids":[]}`, `{"time":"yesterday","ids":[]}`,
		`{"time":"2026-06-01T10:43:01Z","ids":[{"kind":"email"}]}`, `{"time":"2026-06-01T10:43:01Z","ids":{}}`,
		`{"time":"2026-06-01T10:43:01Z","ids":[],"trust":"maybe"}`, `{"time":"2026-06-01T10:43:01Z","ids":[]} x`,
		`{"time":"2026-06-01T10:43:01Z","ids":[{"kind":"email","value":"a@b.ru"}]`,
	} {
		var o Observation
		if err := o.UnmarshalJSON([]byte(in)); !errors.Is(err, ErrBadObservation) {
			t.Errorf("%q: %v", in, err)
		}
	}
	var o Observation
	if err := o.UnmarshalJSON([]byte(`{"x":{"y":[1,2]},"time":"2026-06-01T10:43:01Z","ids":[{"kind":"k","value":"v","extra":null}],"source":null}`)); err != nil {
		t.Errorf("unknown fields must be ignored: %v", err)
	}
}

func FuzzObservationJSON(f *testing.F) {
	f.Add([]byte(`{"time":"2026-06-01T10:43:01Z","source":"web_form","ids":[{"kind":"email","value":"Ivan.Petrov@Gmail.com"}]}`))
	f.Add([]byte(`{"time":"2026-06-01T10:43:01.5+03:00","trust":"inferred","ids":[{"kind":"phone","value":"\u0038 916"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var o Observation
		if err := o.UnmarshalJSON(b); err != nil {
			if !errors.Is(err, ErrBadObservation) {
				t.Fatalf("error %v does not wrap ErrBadObservation", err)
			}
			return
		}
		// What decodes re-encodes and decodes to the same observation.
		var o2 Observation
		if err := o2.UnmarshalJSON(o.AppendJSON(nil)); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !o2.Time.Equal(o.Time) || o2.Source != o.Source || o2.Trust != o.Trust || len(o2.IDs) != len(o.IDs) {
			t.Fatalf("round trip changed %+v into %+v", o, o2)
		}
		for i := range o.IDs {
			if o.IDs[i] != o2.IDs[i] {
				t.Fatalf("id %d: %q -> %q", i, o.IDs[i], o2.IDs[i])
			}
		}
	})
}
