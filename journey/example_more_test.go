package journey_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

func ExampleStore_ReadJSONL() {
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.111.222"}}})
	s, _ := journey.New(g, nil)
	rep, _ := s.ReadJSONL(context.Background(), strings.NewReader(`{"time":"2026-06-01T10:00:00Z","type":"car_view","ids":[{"kind":"cookie","value":"GA1.2.111.222"}],"touch":{"source":"yandex","medium":"cpc"},"props":{"model":"K5"}}
{"time":"2026-06-01T10:05:00Z","type":"lead","ids":[{"kind":"cookie","value":"111.222"}]}
{"time":"yesterday","type":"lead","ids":[]}
{"time":"2026-06-01T11:00:00Z","type":"call","ids":[{"kind":"phone","value":"+79160000000"}]}
`))
	fmt.Println(rep.Lines, "lines,", rep.Added, "added")
	for _, b := range rep.Bad {
		fmt.Println(b)
	}
	// Output:
	// 4 lines, 2 added
	// line 3: journey: bad event: time "yesterday": want RFC 3339
	// line 4: journey: no identifier of the event resolves to a profile (1 identifiers)
}

// A dealer's CRM export as CSV: a header names the columns, identifiers
// come in id:KIND columns, and a quoted field may hold commas.
func ExampleStore_LoadCSV() {
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "crm_import", IDs: []identity.ID{{Kind: identity.CRM, Value: "D-1042"}}})
	s, _ := journey.New(g, nil)
	rep, err := s.LoadCSV(context.Background(), strings.NewReader(`time,type,id:crm,value,currency,prop:model
2026-06-01T10:00:00Z,test_drive,D-1042,,,"Sportage, 2.0"
2026-06-03T16:30:00Z,contract,D-1042,2890000.00,RUB,"Sportage, 2.0"
2026-06-04T09:00:00Z,contract,D-9999,1.00,RUB,Rio
`), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Lines, "lines,", rep.Added, "added")
	for _, b := range rep.Bad {
		fmt.Println(b)
	}
	p, _ := g.Resolve(identity.CRM, "D-1042")
	for _, e := range s.Timeline(p) {
		fmt.Println(e.Time.Format("Jan 2"), e.Type, e.Props["model"], e.Value)
	}
	// Output:
	// 3 lines, 2 added
	// line 4: journey: no identifier of the event resolves to a profile (1 identifiers)
	// Jun 1 test_drive Sportage, 2.0 0.00
	// Jun 3 contract Sportage, 2.0 2890000.00 RUB
}

// Merges move timelines: pass the graph's changes to the store.
func ExampleStore_Follow() {
	g, _ := identity.New(nil)
	s, _ := journey.New(g, nil)
	phone := identity.ID{Kind: identity.Cookie, Value: "phone-browser"}
	laptop := identity.ID{Kind: identity.Cookie, Value: "laptop-browser"}
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	for i, id := range []identity.ID{phone, laptop} {
		g.Observe(identity.Observation{Source: "pageview", IDs: []identity.ID{id}})
		s.Add(journey.Event{Time: at.Add(time.Duration(i) * time.Hour), Type: journey.CarView, IDs: []identity.ID{id}})
	}
	fmt.Println(len(s.Profiles()), "profiles")
	// He logs into the app on both: one person.
	ch, _ := g.Observe(identity.Observation{Source: "app_login", IDs: []identity.ID{phone, laptop, {Kind: identity.CRM, Value: "C-1"}}})
	s.Follow(ch)
	fmt.Println(len(s.Profiles()), "profile with", len(s.Timeline(ch.Profile)), "events")
	// Output:
	// 2 profiles
	// 1 profile with 2 events
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "journey")
	defer os.RemoveAll(dir)
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}}})
	s, _ := journey.Open(context.Background(), dir, g, nil)
	s.Add(journey.Event{Time: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), Type: journey.Lead, IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}}})
	s.Close()

	s, _ = journey.Open(context.Background(), dir, g, nil)
	defer s.Close()
	fmt.Println(s.Len(), "event,", s.Recovery().Records, "journal record replayed")
	// Output:
	// 1 event, 1 journal record replayed
}
