package segment_test

import (
	"fmt"
	"slices"
	"time"

	"github.com/throughline/throughline/segment"
)

// A salesperson's next actions for one customer, with why the rest are not
// offered.
func ExampleArbiter() {
	inSegment := func(s string) func(*segment.Customer) string {
		return func(c *segment.Customer) string {
			if slices.Contains(c.Segments, s) {
				return ""
			}
			return "not " + s
		}
	}
	ar, _ := segment.NewArbiter(segment.Catalog{Version: "2026-12", Actions: []segment.Action{
		{ID: "call_back", Channel: "call", Purpose: "service", Value: 5, Eligible: inSegment("fresh lead")},
		{ID: "test_drive", Channel: "in_person", Value: 8, Eligible: inSegment("viewed a model"), Applicable: inSegment("model in stock")},
		{ID: "trade_in", Channel: "sms", Purpose: "marketing", Value: 3, Eligible: inSegment("current car known")},
	}})
	customer := &segment.Customer{Segments: []string{"fresh lead", "viewed a model", "current car known"},
		Now: time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC),
		Reachable: func(channel, purpose string) (bool, string) {
			if channel == "sms" {
				return false, "sms: no advertising consent given to North Motors LLC"
			}
			return true, ""
		}}
	next, declined := ar.Next(customer, 3)
	for _, r := range next {
		fmt.Printf("%s %.0f = propensity %.0f × value %.0f\n", r.Action, r.Score, r.Propensity, r.Value)
	}
	for _, d := range declined {
		fmt.Printf("%s: %s: %s\n", d.Action, d.Gate, d.Reason)
	}
	// Output:
	// call_back 5 = propensity 1 × value 5
	// test_drive: applicable: not model in stock
	// trade_in: reachable: sms: no advertising consent given to North Motors LLC
}
