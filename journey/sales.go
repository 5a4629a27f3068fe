package journey

import (
	"time"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/identity"
)

// SaleOptions say which events of a timeline are a party's recorded
// activity toward a sale, for attribution's party credit. The zero value
// is usable.
type SaleOptions struct {
	// Activities maps event types to activity types (the names a
	// CreditPolicy weighs); nil means DefaultActivities. Only events with
	// a "dealership" property count: credit goes to a party.
	Activities map[EventType]string
	// Overlay lists the activity types credited beside the revenue credit
	// (a call centre's calls, say).
	Overlay map[string]bool
	// Window is how long before a sale activity counts: 90 days when zero.
	Window time.Duration
	// Sale is the event type that is a sale: Contract when empty.
	Sale EventType
}

// DefaultActivities are the recorded activities that count toward party
// credit: a salesperson's response to a lead, a test drive, a trade-in
// appraisal, a tracked call, and a completed next best action
// (segment.ActionCompleted).
var DefaultActivities = map[EventType]string{
	"lead_response":      "lead_response",
	TestDrive:            "test_drive",
	"trade_in_appraisal": "trade_in",
	Call:                 "call",
	"action_completed":   "action",
}

// Sales returns the sales on p's timeline, each with the activity recorded
// toward it, for attribution's CreditPolicy or PartyLedger. A sale's ID is
// its event's, its value the event's in major units, its closing
// dealership the event's "dealership" property; its activities are the
// events of the window before it (and after the sale before it) that
// SaleOptions map, with their "dealership" and "salesperson" properties. Late evidence is picked up by
// calling Sales again.
func (s *Store) Sales(p identity.ProfileID, opts *SaleOptions) []attribution.Sale {
	var o SaleOptions
	if opts != nil {
		o = *opts
	}
	if o.Activities == nil {
		o.Activities = DefaultActivities
	}
	if o.Window == 0 {
		o.Window = 90 * 24 * time.Hour
	}
	if o.Sale == "" {
		o.Sale = Contract
	}
	tl := s.Timeline(p)
	var out []attribution.Sale
	from := 0 // activity counts toward the first sale after it
	for i, e := range tl {
		if e.Type != o.Sale {
			continue
		}
		sale := attribution.Sale{ID: e.ID.String(), At: e.Time, Value: float64(e.Value.Minor) / 100, Closing: e.Props["dealership"]}
		for _, a := range tl[from:i] {
			typ, ok := o.Activities[a.Type]
			d := a.Props["dealership"]
			if !ok || d == "" || a.Time.Before(e.Time.Add(-o.Window)) {
				continue
			}
			sale.Activities = append(sale.Activities, attribution.Activity{Type: typ, Dealership: d, Person: a.Props["salesperson"], At: a.Time, Overlay: o.Overlay[typ]})
		}
		out = append(out, sale)
		from = i + 1
	}
	return out
}
