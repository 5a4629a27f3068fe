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

// The built-in dealer actions are data: the host edits them (here, the
// call centre works until ten), builds the catalog over today's inventory,
// and asks for a customer whose lead is three days old.
func ExampleDefaultDealerActions() {
	as := segment.DefaultDealerActions()
	for i := range as.Actions {
		if as.Actions[i].ID == "call_back" {
			as.Actions[i].Hours = "09:00-22:00"
		}
	}
	cat, err := as.Catalog([]segment.Car{{Model: "Camry", Trim: "LE", Dealership: "North", Count: 2, Level: 1}})
	if err != nil {
		fmt.Println(err)
		return
	}
	cat.Holdout = 0 // no control group in this example
	ar, _ := segment.NewArbiter(cat)
	recs, _ := ar.Next(&segment.Customer{Segments: []string{"lead_2_5_days"}, Now: time.Date(2026, 11, 2, 21, 0, 0, 0, time.UTC)}, 3)
	for _, r := range recs {
		fmt.Println(r.Action)
	}
	// Output:
	// call_back
}
