package segment

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

var dealerInventory = []Car{
	{Model: "Camry", Trim: "LE", Dealership: "North", Count: 2, Level: 1},
	{Model: "Camry", Trim: "XSE", Dealership: "North", Count: 0, Level: 3},
	{Model: "Camry", Trim: "XSE", Dealership: "South", Count: 0, Level: 3},
	{Model: "RAV4", Trim: "XLE", Dealership: "South", Count: 1, Level: 2},
	{Model: "RAV4", Trim: "Limited", Dealership: "South", Count: 0, Level: 4},
}

// outside returns a profile the action set's holdout does not take.
func outside(t *testing.T, ar *Arbiter) identity.ProfileID {
	t.Helper()
	for i := range 100 {
		if p := actProfile(i); !ar.InHoldout(p) {
			return p
		}
	}
	t.Fatal("every profile is held out")
	return identity.ProfileID{}
}

// TestDealerActions is the table of the built-in dealer actions: what each
// customer is offered, and the gate that declines an action with its reason.
func TestDealerActions(t *testing.T) {
	cat, err := DefaultDealerActions().Catalog(dealerInventory)
	if err != nil {
		t.Fatal(err)
	}
	ar := mustArbiter(t, cat)
	p := outside(t, ar)
	morning := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	xse := []View{{Model: "Camry", Trim: "XSE", At: morning.Add(-48 * time.Hour)}}
	for _, c := range []struct {
		name     string
		c        Customer
		offered  string // the actions offered, in order
		declined string // "action gate: reason" that must be among the declined
	}{
		{"a lead 3 days old, no contact since", Customer{Segments: []string{"lead_2_5_days"}, Now: morning}, "call_back", ""},
		{"the same, in the evening", Customer{Segments: []string{"lead_2_5_days"}, Now: morning.Add(11 * time.Hour)}, "",
			"call_back applicable: outside working hours 09:00-20:00"},
		{"contacted since the lead", Customer{Segments: []string{"lead_2_5_days", "contacted_last_5_days"}, Now: morning}, "",
			"call_back suitable: in segment contacted_last_5_days"},
		{"no lead", Customer{Now: morning}, "", "call_back eligible: not in segment lead_2_5_days"},
		{"viewed a Camry: a test drive of one in stock, and the premium unlock over the factory order",
			Customer{Segments: []string{"viewed_car_30d"}, Views: xse, Now: morning}, "offer_test_drive premium_unlock",
			"factory_order excluded: a better action of group out_of_stock is offered"},
		{"served only by South, which has no Camry", Customer{Segments: []string{"viewed_car_30d"}, Views: xse, Dealerships: []string{"South"}, Now: morning},
			"factory_order", "offer_test_drive applicable: no model it viewed is in stock at a dealership that serves it"},
		{"had a test drive this month", Customer{Segments: []string{"viewed_car_30d", "test_drive_30d"}, Views: xse, Now: morning},
			"premium_unlock", "offer_test_drive suitable: in segment test_drive_30d"},
		{"the trim viewed is in stock: neither unlock nor order", Customer{Segments: []string{"viewed_car_30d"},
			Views: []View{{Model: "RAV4", Trim: "XLE"}}, Now: morning}, "offer_test_drive",
			"premium_unlock applicable: no trim it viewed is out of stock with a lower trim in stock"},
		{"the current car known", Customer{Segments: []string{"current_car_known"}, Now: morning}, "trade_in_estimate", ""},
		{"a trade-in estimate sent last week", Customer{Segments: []string{"current_car_known"}, Now: morning,
			Outcomes: []Outcome{{Action: "trade_in_estimate", Kind: Presented, At: morning.Add(-7 * 24 * time.Hour)}}}, "",
			"trade_in_estimate cooldown: presented 168h0m0s ago, cooldown 720h0m0s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.c.Profile = p
			recs, declined := ar.Next(&c.c, 5)
			var got []string
			for _, r := range recs {
				got = append(got, r.Action)
			}
			if strings.Join(got, " ") != c.offered {
				t.Errorf("offered %v, want %q", got, c.offered)
			}
			if c.declined != "" {
				var all []string
				for _, d := range declined {
					all = append(all, d.Action+" "+d.Gate+": "+d.Reason)
				}
				if !strings.Contains(strings.Join(all, "\n"), c.declined) {
					t.Errorf("declined:\n%s\nwant among them %q", strings.Join(all, "\n"), c.declined)
				}
			}
		})
	}
}

// TestAssignee: a salesperson's action goes to the customer's assigned
// salesperson; the call centre's does not.
func TestAssignee(t *testing.T) {
	cat, err := DefaultDealerActions().Catalog(dealerInventory)
	if err != nil {
		t.Fatal(err)
	}
	ar := mustArbiter(t, cat)
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	recs, _ := ar.Next(&Customer{Profile: outside(t, ar), Segments: []string{"lead_2_5_days", "current_car_known"}, Assigned: "Petrova", Now: now}, 5)
	got := map[string]string{}
	for _, r := range recs {
		got[r.Action] = r.Assignee
	}
	if got["call_back"] != "Petrova" || got["trade_in_estimate"] != "" || len(got) != 2 {
		t.Fatalf("assignees %v", got)
	}
}

// TestDealerActionsEdited: the host edits the data, not the code: a longer
// working day offers the evening call back.
func TestDealerActionsEdited(t *testing.T) {
	as := DefaultDealerActions()
	for i := range as.Actions {
		if as.Actions[i].ID == "call_back" {
			as.Actions[i].Hours = "08:00-22:00"
		}
	}
	cat, err := as.Catalog(dealerInventory)
	if err != nil {
		t.Fatal(err)
	}
	ar := mustArbiter(t, cat)
	recs, _ := ar.Next(&Customer{Profile: outside(t, ar), Segments: []string{"lead_2_5_days"}, Now: time.Date(2026, 11, 2, 21, 0, 0, 0, time.UTC)}, 1)
	if len(recs) != 1 || recs[0].Action != "call_back" {
		t.Fatalf("offered %v", recs)
	}
}

// TestDealerSegments: the built-in set's segments, evaluated by an Engine
// on a timeline, give the memberships the gates read: a lead three days
// old with no contact since is a call back.
func TestDealerSegments(t *testing.T) {
	as := DefaultDealerActions()
	g, _ := identity.New(nil)
	ids := []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}}
	if _, err := g.Observe(identity.Observation{Source: "web_form", IDs: ids}); err != nil {
		t.Fatal(err)
	}
	js, _ := journey.New(g, nil)
	e, err := NewEngine(as.Segments, &Options{Store: js, Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, ev := range []journey.Event{
		{Time: now.Add(-3 * 24 * time.Hour), Type: journey.Lead, IDs: ids},
		{Time: now.Add(-2 * 24 * time.Hour), Type: journey.CarView, IDs: ids, Props: map[string]string{"model": "Camry"}},
	} {
		if _, err := e.Add(ev, now); err != nil {
			t.Fatal(err)
		}
	}
	prof, _ := g.Resolve(identity.Email, "anna@mail.ru")
	segs := e.Evaluate(prof, now)
	if strings.Join(segs, " ") != "lead_2_5_days viewed_car_30d" {
		t.Fatalf("memberships %v", segs)
	}
	cat, _ := as.Catalog(dealerInventory)
	ar := mustArbiter(t, cat)
	recs, _ := ar.Next(&Customer{Profile: outside(t, ar), Segments: segs, Now: now}, 1)
	if len(recs) != 1 || recs[0].Action != "call_back" {
		t.Fatalf("offered %v", recs)
	}
}

func TestParseActionSetErrors(t *testing.T) {
	base := `{"version": "v", "segments": {"segments": [{"name": "s", "when": {"has": "email"}}]}, "actions": [%s]}`
	for _, c := range []string{
		`{"id": "a", "eligible": ["nope"]}`,
		`{"id": "a", "cooldown": "3 days"}`,
		`{"id": "a", "stock": "in_the_yard"}`,
		`{"id": "a", "hours": "20:00-09:00"}`,
		`{"id": "a", "hours": "9am-5pm"}`,
		`{"id": "a", "eligble": ["s"]}`,
		`{"id": "", "eligible": ["s"]}`,
	} {
		as, err := ParseActionSet([]byte(strings.Replace(base, "%s", c, 1)))
		if err == nil {
			_, err = as.Catalog(nil)
		}
		if !errors.Is(err, ErrCatalog) {
			t.Errorf("%s: %v, want ErrCatalog", c, err)
		}
	}
	if _, err := ParseActionSet([]byte(`{"segments": {"segments": [{"name": 1}]}}`)); !errors.Is(err, ErrCatalog) {
		t.Errorf("a bad segment set: %v", err)
	}
}

// FuzzParseActionSet: nothing panics; a set that parses builds a catalog
// or fails with ErrCatalog.
func FuzzParseActionSet(f *testing.F) {
	f.Add([]byte(defaultDealerActions))
	f.Add([]byte(`{"actions": [{"id": "a", "hours": "09:00-20:00", "cooldown": "1d"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		as, err := ParseActionSet(data)
		if err != nil {
			if !errors.Is(err, ErrCatalog) {
				t.Fatalf("error not ErrCatalog: %v", err)
			}
			return
		}
		if _, err := as.Catalog(dealerInventory); err != nil && !errors.Is(err, ErrCatalog) {
			t.Fatalf("catalog error not ErrCatalog: %v", err)
		}
	})
}

// TestCapsPerCompany: a company's caps count its own presentations: one
// company's SMS does not use up another's, and with no acting company
// named every presentation counts.
func TestCapsPerCompany(t *testing.T) {
	ar := mustArbiter(t, Catalog{Version: "v", Policy: ContactPolicy{Caps: map[string]int{"sms": 1}, Window: 7 * 24 * time.Hour},
		Actions: []Action{{ID: "offer", Channel: "sms", Value: 1}, {ID: "other", Channel: "sms", Value: 1}}})
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	sent := []Outcome{{Action: "other", Kind: Presented, At: now.Add(-24 * time.Hour), Company: "South"}}
	for _, c := range []struct {
		company string
		offered bool
	}{{"North", true}, {"South", false}, {"", false}} {
		recs, _ := ar.Next(&Customer{Profile: actProfile(1), Company: c.company, Now: now, Outcomes: sent}, 2)
		if got := len(recs) > 0; got != c.offered {
			t.Errorf("acting company %q: offered %v, want %v", c.company, recs, c.offered)
		}
	}
}
