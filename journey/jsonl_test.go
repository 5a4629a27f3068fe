package journey

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/throughline/throughline/identity"
)

func TestReadJSONL(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1", "phone", "+79161234567")})
	s, _ := New(g, nil)
	in := `{"id":"0190f5e2-6d1e-7a6b-8c3d-4e5f60718293","time":"2026-06-01T10:00:00Z","type":"car_view","ids":[{"kind":"cookie","value":"c1"}]}
{"id":"0190f5e2-6d1e-7a6b-8c3d-4e5f60718293","time":"2026-06-01T10:00:00Z","type":"car_view","ids":[{"kind":"cookie","value":"c1"}]}
not json

{"time":"2026-06-02T10:00:00Z","type":"lead","ids":[{"kind":"phone","value":"8 916 123-45-67"}],"value":"0","currency":"RUB"}
{"time":"2026-06-02T10:00:00Z","type":"lead","ids":[{"kind":"cookie","value":"stranger"}]}
{"time":"2026-06-02T10:00:00Z","type":"lead"}
`
	rep, err := s.ReadJSONL(context.Background(), strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lines != 6 || rep.Added != 2 || rep.Duplicates != 1 || len(rep.Bad) != 3 {
		t.Fatalf("report %+v", rep)
	}
	want := []int{3, 6, 7}
	for i, b := range rep.Bad {
		if b.Line != want[i] {
			t.Errorf("bad line %d reported as %d", want[i], b.Line)
		}
	}
	if !errors.Is(rep.Bad[0], ErrBadEvent) || !errors.Is(rep.Bad[1], ErrNoProfile) || !errors.Is(rep.Bad[2], ErrBadEvent) {
		t.Errorf("errors %v", rep.Bad)
	}
}
