package journey

import (
	"math"
	"testing"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/identity"
)

// TestSales: a timeline's contracts become sales with the parties'
// recorded activity before each (not the customer's own events, not those
// of an earlier sale), ready for party credit.
func TestSales(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "crm_import", IDs: ids("email", "anna@mail.ru")})
	s, _ := New(g, nil)
	at := func(e Event, props map[string]string) Event { e.Props = props; return e }
	sold := ev("c1", day(6), Contract, Touch{}, "email", "anna@mail.ru")
	sold.Value = Money{Minor: 250_000_000, Currency: "RUB"}
	for _, e := range []Event{
		at(ev("a", day(1), "lead_response", Touch{}, "email", "anna@mail.ru"), map[string]string{"dealership": "North", "salesperson": "Ivanov"}),
		at(ev("b", day(3), TestDrive, Touch{}, "email", "anna@mail.ru"), map[string]string{"dealership": "South", "salesperson": "Petrova"}),
		at(ev("c", day(4), Call, Touch{}, "email", "anna@mail.ru"), map[string]string{"dealership": "Call centre"}),
		at(ev("d", day(5), "action_completed", Touch{}, "email", "anna@mail.ru"), map[string]string{"dealership": "South", "salesperson": "Petrova", "action": "offer_test_drive"}),
		ev("e", day(5), PageView, Touch{}, "email", "anna@mail.ru"), // the customer's own
		at(sold, map[string]string{"dealership": "South"}),
		at(ev("f", day(20), TestDrive, Touch{}, "email", "anna@mail.ru"), map[string]string{"dealership": "North", "salesperson": "Ivanov"}),
		at(ev("c2", day(21), Contract, Touch{}, "email", "anna@mail.ru"), map[string]string{"dealership": "North"}),
	} {
		if _, _, err := s.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := g.Resolve(identity.Email, "anna@mail.ru")
	sales := s.Sales(p, &SaleOptions{Overlay: map[string]bool{"call": true}})
	if len(sales) != 2 {
		t.Fatalf("%d sales", len(sales))
	}
	first := sales[0]
	if first.Closing != "South" || first.Value != 2_500_000 || len(first.Activities) != 4 || !first.Activities[2].Overlay {
		t.Fatalf("first sale %+v", first)
	}
	if second := sales[1]; len(second.Activities) != 1 || second.Activities[0].Person != "Ivanov" {
		t.Fatalf("second sale's activity %+v", second.Activities)
	}
	policy := attribution.CreditPolicy{Version: "test", Weights: map[string]float64{"lead_response": 1, "test_drive": 2, "action": 1, "call": 1}}
	if err := policy.Check(); err != nil {
		t.Fatal(err)
	}
	cr := policy.Credit(first, nil)
	sum := 0.0
	for _, v := range cr.Dealerships {
		sum += v
	}
	if math.Abs(sum-1) > 1e-12 || cr.Dealerships["South"] <= cr.Dealerships["North"] {
		t.Fatalf("credit %+v", cr)
	}
}
