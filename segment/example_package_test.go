package segment_test

import (
	"fmt"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/segment"
)

// Example shows the package's job: an audience defined as data ("warm":
// a lead, three car views in 30 days, no contract) kept current as events
// arrive, and its members ready for export.
func Example() {
	set, err := segment.ParseSet([]byte(`{"segments":[{"name":"warm","when":{"and":[
		{"count":{"event":{"type":"lead"},"min":1}},
		{"count":{"event":{"type":"car_view"},"min":3,"window":{"last":"720h"}}},
		{"none":{"event":{"type":"contract"}}}]}}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	g, _ := identity.New(nil)
	store, _ := journey.New(g, nil)
	e, _ := segment.NewEngine(set, &segment.Options{Store: store, Graph: g})
	who := []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}}
	ch, _ := g.Observe(identity.Observation{Source: "web_form", IDs: who})
	day := func(d int) time.Time { return time.Date(2026, 6, d, 12, 0, 0, 0, time.UTC) }
	e.Follow(ch, day(1))
	for d, typ := range []journey.EventType{journey.Lead, journey.CarView, journey.CarView, journey.CarView} {
		changes, _ := e.Add(journey.Event{Time: day(d + 1), Type: typ, IDs: who}, day(d+1))
		for _, c := range changes {
			fmt.Println(c.At.Format("Jan 2"), c.Segment, c.Entered)
		}
	}
	fmt.Println(len(e.Members("warm")), "warm")
	// Output:
	// Jun 4 warm true
	// 1 warm
}
