package journey_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

func ExampleStore_Timeline() {
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{
		{Kind: identity.Cookie, Value: "c1"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	s, _ := journey.New(g, nil)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	// Events arrive out of order; the timeline is in time order.
	s.Add(journey.Event{Time: at.Add(2 * time.Hour), Type: journey.Lead, IDs: []identity.ID{{Kind: identity.Phone, Value: "8 916 123-45-67"}}})
	s.Add(journey.Event{Time: at, Type: journey.CarView, IDs: []identity.ID{{Kind: identity.Cookie, Value: "c1"}}})
	p, _ := g.Resolve(identity.Cookie, "c1")
	for _, e := range s.Timeline(p) {
		fmt.Println(e.Time.Format("15:04"), e.Type)
	}
	// Output:
	// 10:00 car_view
	// 12:00 lead
}

func ExampleStore_AddBatch() {
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "c1"}}})
	s, _ := journey.New(g, nil)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cookie := func(v string) []identity.ID { return []identity.ID{{Kind: identity.Cookie, Value: v}} }
	// A stream's events, a batch at a time; the results are Add's, in order.
	res := s.AddBatch(nil, []journey.Event{
		{Time: at, Type: journey.PageView, IDs: cookie("c1")},
		{Time: at.Add(time.Minute), Type: journey.CarView, IDs: cookie("c2")}, // nobody's yet
		{Time: at.Add(2 * time.Minute), Type: journey.CarView, IDs: cookie("c1")},
	})
	for _, r := range res {
		fmt.Println(r.Added, errors.Is(r.Err, journey.ErrNoProfile))
	}
	fmt.Println(s.Len(), "events")
	// Output:
	// true false
	// false true
	// true false
	// 2 events
}

func ExampleSessions() {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ad := journey.Touch{Source: "yandex", Medium: "cpc", YCLID: "123"}
	events := []journey.Event{
		{Time: at, Type: journey.PageView, Touch: ad},
		{Time: at.Add(5 * time.Minute), Type: journey.CarView},
		{Time: at.Add(10 * time.Minute), Type: journey.PageView, Touch: ad}, // a second ad click
	}
	fmt.Println(len(journey.Sessions(events, journey.GA4Sessions)), len(journey.Sessions(events, journey.MetricaSessions)))
	// Output: 1 2
}

func ExampleStore_Paths() {
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{
		{Kind: identity.Cookie, Value: "c1"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	s, _ := journey.New(g, nil)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cookie := []identity.ID{{Kind: identity.Cookie, Value: "c1"}}
	s.Add(journey.Event{Time: at, Type: journey.PageView, IDs: cookie, Touch: journey.Touch{Channel: "display"}})
	s.Add(journey.Event{Time: at.AddDate(0, 0, 20), Type: journey.PageView, IDs: cookie, Touch: journey.Touch{Channel: "retargeting"}})
	s.Add(journey.Event{Time: at.AddDate(0, 0, 21), Type: journey.Contract, IDs: cookie, Value: journey.Money{Minor: 250_000_000, Currency: "RUB"}})
	p, _ := g.Resolve(identity.Cookie, "c1")
	for _, path := range s.Paths(p, journey.PathOptions{}) {
		fmt.Println(path.Channels(), path.Conversions, path.Value)
	}
	// Output: [display retargeting] 1 2.5e+08
}

func ExampleStore_Funnel() {
	g, _ := identity.New(nil)
	s, _ := journey.New(g, nil)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	add := func(person string, days int, typ journey.EventType, channel string) {
		id := []identity.ID{{Kind: identity.CRM, Value: person}}
		g.Observe(identity.Observation{Source: "crm_import", IDs: id})
		s.Add(journey.Event{Time: at.AddDate(0, 0, days), Type: typ, IDs: id, Touch: journey.Touch{Channel: channel}})
	}
	add("anna", 0, journey.Lead, "retargeting")
	add("anna", 3, journey.TestDrive, "")
	add("anna", 20, journey.Contract, "")
	add("boris", 0, journey.Lead, "display")
	add("boris", 5, journey.TestDrive, "")
	add("vera", 1, journey.Lead, "display")
	r, _ := s.Funnel(context.Background(), journey.Funnel{
		Steps:     []journey.FunnelStep{{Type: journey.Lead}, {Type: journey.TestDrive}, {Type: journey.Contract}},
		Window:    90 * 24 * time.Hour,
		Breakdown: journey.ByLastTouch,
	})
	fmt.Println(r.Reached, r.TimeToConvert)
	fmt.Println(r.ByChannel["display"], r.ByChannel["retargeting"])
	// Output:
	// [3 2 1] [480h0m0s]
	// [2 1 0] [1 1 1]
}
