package segment

import (
	"reflect"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// TestOutcomeEvents: outcomes go onto the customer's timeline as journey
// events and come back whole; the same outcome recorded twice is stored
// once; read back from the timeline they set the contact policy (a cap)
// and teach propensities as the outcomes themselves do.
func TestOutcomeEvents(t *testing.T) {
	g, _ := identity.New(nil)
	if _, err := g.Observe(identity.Observation{Source: "crm_import", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}}}); err != nil {
		t.Fatal(err)
	}
	js, _ := journey.New(g, nil)
	ids := []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}}
	at := actNow.Add(-time.Hour)
	outs := []Outcome{
		{Action: "trade_in", Kind: Presented, At: at, Segment: "warm", Salesperson: "Petrova", Dealership: "South"},
		{Action: "trade_in", Kind: Accepted, At: at.Add(time.Minute), Segment: "warm", Salesperson: "Petrova", Dealership: "South"},
		{Action: "call_back", Kind: Completed, At: at.Add(2 * time.Minute), Dealership: "North"},
	}
	for _, o := range append(outs, outs[0]) { // the first twice
		if _, _, err := js.Add(o.Event(ids)); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := g.Resolve(identity.Email, "anna@mail.ru")
	tl := js.Timeline(p)
	if len(tl) != 3 {
		t.Fatalf("%d events stored, want 3", len(tl))
	}
	got := OutcomesIn(tl)
	if !reflect.DeepEqual(got, outs) {
		t.Fatalf("read back %+v\nwant %+v", got, outs)
	}
	if _, ok := OutcomeOf(journey.Event{Type: journey.Lead}); ok {
		t.Fatal("a lead read as an outcome")
	}
	// The contact policy counts the presented trade-in read from the
	// timeline (its 30-day cooldown declines it).
	ar := mustArbiter(t, dealerCatalog())
	recs, declined := ar.Next(&Customer{Profile: actProfile(1), Segments: []string{"current_car_known"}, Now: actNow, Outcomes: got}, 5)
	capped := false
	for _, d := range declined {
		capped = capped || d.Action == "trade_in" && d.Gate == "cooldown"
	}
	if len(recs) != 0 || !capped {
		t.Fatalf("offered %v, declined %v: the timeline's outcome did not hold the trade-in back", recs, declined)
	}
	direct := mustArbiter(t, dealerCatalog())
	direct.Learn(outs...)
	ar.Learn(got...)
	if a, b := ar.Propensity("trade_in", "warm"), direct.Propensity("trade_in", "warm"); a != b {
		t.Fatalf("learned %v from the timeline, %v from the outcomes", a, b)
	}
}
