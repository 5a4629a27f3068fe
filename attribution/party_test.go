package attribution

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

var partyPolicy = CreditPolicy{
	Version:      "2026-12",
	Weights:      map[string]float64{"lead_response": 1, "test_drive": 3, "trade_in": 2, "action": 1, "call": 0.5},
	HalfLife:     30 * 24 * time.Hour,
	Cap:          map[string]int{"call": 2},
	ClosingFloor: 0.4,
}

var saleDay = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func daysBefore(d int) time.Time { return saleDay.AddDate(0, 0, -d) }

func sumOf(m map[string]float64) float64 {
	s := 0.0
	for _, v := range m {
		s += v
	}
	return s
}

// TestPartyCreditSumsToOne: on random sales, revenue credit sums to 1
// across dealerships and to 1 across each dealership's people, to 1e-12,
// and the closing dealership never falls below the floor.
func TestPartyCreditSumsToOne(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	types := []string{"lead_response", "test_drive", "trade_in", "action", "call", "unknown"}
	for i := range 2000 {
		s := Sale{ID: fmt.Sprint(i), At: saleDay, Value: 2.5e6, Closing: fmt.Sprint("D", rng.IntN(3))}
		for range rng.IntN(12) {
			s.Activities = append(s.Activities, Activity{Type: types[rng.IntN(len(types))], Dealership: fmt.Sprint("D", rng.IntN(4)),
				Person: fmt.Sprint("P", rng.IntN(3)), At: daysBefore(rng.IntN(120)), Overlay: rng.IntN(8) == 0})
		}
		var ovs []Override
		if rng.IntN(10) == 0 {
			ovs = append(ovs, Override{Sale: s.ID, Dealership: fmt.Sprint("D", rng.IntN(4)), Share: rng.Float64(), Reason: "referral agreed"})
		}
		c := partyPolicy.Credit(s, ovs)
		if d := math.Abs(sumOf(c.Dealerships) - 1); d > 1e-12 {
			t.Fatalf("sale %d: dealership shares sum to 1%+g: %v", i, d, c.Dealerships)
		}
		for dealer, people := range c.People {
			if d := math.Abs(sumOf(people) - 1); d > 1e-12 {
				t.Fatalf("sale %d: %s's people sum to 1%+g: %v", i, dealer, d, people)
			}
		}
		for d, v := range c.Dealerships {
			if v < 0 || math.IsNaN(v) {
				t.Fatalf("sale %d: %s has share %v", i, d, v)
			}
		}
		if len(ovs) == 0 && c.Dealerships[s.Closing] < partyPolicy.ClosingFloor-1e-12 {
			t.Fatalf("sale %d: the closing dealership has %v, under the floor %v", i, c.Dealerships[s.Closing], partyPolicy.ClosingFloor)
		}
	}
}

// TestPartyCreditRules: a referral between two dealerships, the floor,
// decay, caps, overlay and activity the policy does not weigh.
func TestPartyCreditRules(t *testing.T) {
	s := Sale{ID: "s1", At: saleDay, Value: 3e6, Closing: "North", Activities: []Activity{
		{Type: "lead_response", Dealership: "South", Person: "anna", At: daysBefore(20)},
		{Type: "test_drive", Dealership: "South", Person: "anna", At: daysBefore(15)},
		{Type: "test_drive", Dealership: "North", Person: "boris", At: daysBefore(2)},
		{Type: "call", Dealership: "BDC", Person: "vera", At: daysBefore(21), Overlay: true},
		{Type: "call", Dealership: "North", Person: "gleb", At: daysBefore(3)},
		{Type: "call", Dealership: "North", Person: "gleb", At: daysBefore(4)},
		{Type: "call", Dealership: "North", Person: "gleb", At: daysBefore(5)},                // over the cap of 2
		{Type: "coffee", Dealership: "South", Person: "anna", At: daysBefore(1)},              // not in the policy
		{Type: "test_drive", Dealership: "South", Person: "anna", At: saleDay.Add(time.Hour)}, // after the sale
	}}
	c := partyPolicy.Credit(s, nil)
	decay := func(d int) float64 { return math.Exp2(-float64(d) / 30) }
	south := 1*decay(20) + 3*decay(15)
	north := 3*decay(2) + 0.5*decay(3) + 0.5*decay(4)
	if got, want := c.Dealerships["North"], north/(north+south); math.Abs(got-want) > 1e-12 {
		t.Errorf("North %v, want %v", got, want)
	}
	if got, want := c.People["North"]["boris"], 3*decay(2)/north; math.Abs(got-want) > 1e-12 {
		t.Errorf("boris %v, want %v", got, want)
	}
	if got, want := c.Overlay["BDC/vera"], 0.5*decay(21)/(north+south); math.Abs(got-want) > 1e-12 {
		t.Errorf("overlay %v, want %v", got, want)
	}
	if c.Policy != "2026-12" || c.Value != 3e6 {
		t.Errorf("credit %+v", c)
	}
	// The floor: South did most of the work, North closed.
	floor := partyPolicy
	floor.ClosingFloor = 0.9
	if got := floor.Credit(s, nil).Dealerships["North"]; math.Abs(got-0.9) > 1e-12 {
		t.Errorf("North under a 0.9 floor: %v", got)
	}
	// Nothing recorded: the closing dealership earned it all.
	if got := partyPolicy.Credit(Sale{ID: "s2", Closing: "North", At: saleDay}, nil); got.Dealerships["North"] != 1 || got.People["North"][""] != 1 {
		t.Errorf("no activity: %+v", got)
	}
	// Input order does not matter.
	rev := s
	rev.Activities = nil
	for i := len(s.Activities) - 1; i >= 0; i-- {
		rev.Activities = append(rev.Activities, s.Activities[i])
	}
	if r := partyPolicy.Credit(rev, nil); math.Abs(r.Dealerships["North"]-c.Dealerships["North"]) > 1e-15 {
		t.Error("credit depends on the order of activities")
	}
}

// TestPartyLedger: late evidence recomputes; overrides are records with
// a reason, applied and listed; a frozen period does not move.
func TestPartyLedger(t *testing.T) {
	l, err := NewPartyLedger(partyPolicy)
	if err != nil {
		t.Fatal(err)
	}
	s := Sale{ID: "s1", At: saleDay, Value: 3e6, Closing: "North", Activities: []Activity{
		{Type: "test_drive", Dealership: "North", Person: "boris", At: daysBefore(2)},
	}}
	if err := l.AddSale(s); err != nil {
		t.Fatal(err)
	}
	before, _ := l.Credit("s1")
	if before.Dealerships["North"] != 1 {
		t.Fatalf("before: %v", before.Dealerships)
	}
	// Late evidence: South's test drive, recorded after the sale.
	if err := l.AddActivity("s1", Activity{Type: "test_drive", Dealership: "South", Person: "anna", At: daysBefore(10)}); err != nil {
		t.Fatal(err)
	}
	after, _ := l.Credit("s1")
	if after.Dealerships["South"] <= 0 || after.Dealerships["North"] >= 1 {
		t.Fatalf("late evidence did not recompute: %v", after.Dealerships)
	}
	if err := l.Override(Override{Sale: "s1", Dealership: "South", Share: 0.5}); !errors.Is(err, ErrOverride) {
		t.Fatalf("override without a reason: %v", err)
	}
	if err := l.Override(Override{Sale: "s1", Dealership: "South", Share: 0.5, Reason: "the referral was agreed at 50/50", By: "manager"}); err != nil {
		t.Fatal(err)
	}
	over, _ := l.Credit("s1")
	if math.Abs(over.Dealerships["South"]-0.5) > 1e-12 || math.Abs(over.Dealerships["North"]-0.5) > 1e-12 || len(over.Overrides) != 1 {
		t.Fatalf("override: %+v", over)
	}
	if ovs := l.Overrides(); len(ovs) != 1 || ovs[0].Reason == "" {
		t.Fatalf("overrides recorded: %+v", ovs)
	}
	// Close the period: the credit is frozen.
	l.Close(saleDay.AddDate(0, 0, 10))
	frozen, _ := l.Credit("s1")
	if !frozen.Frozen {
		t.Fatal("not frozen")
	}
	if err := l.AddActivity("s1", Activity{Type: "trade_in", Dealership: "North", At: daysBefore(1)}); !errors.Is(err, ErrFrozen) {
		t.Fatalf("evidence for a frozen sale: %v", err)
	}
	if err := l.Override(Override{Sale: "s1", Dealership: "North", Share: 1, Reason: "x"}); !errors.Is(err, ErrFrozen) {
		t.Fatalf("override of a frozen sale: %v", err)
	}
	if err := l.AddSale(Sale{ID: "s0", At: daysBefore(3), Closing: "North"}); !errors.Is(err, ErrFrozen) {
		t.Fatalf("a sale in a closed period: %v", err)
	}
	again, _ := l.Credit("s1")
	if again.Dealerships["South"] != frozen.Dealerships["South"] {
		t.Fatal("a frozen sale moved")
	}
	if _, err := l.Credit("nope"); !errors.Is(err, ErrNoSale) {
		t.Fatalf("unknown sale: %v", err)
	}
	if _, err := NewPartyLedger(CreditPolicy{Version: "v", ClosingFloor: 2}); !errors.Is(err, ErrPolicy) {
		t.Fatalf("bad policy: %v", err)
	}
}

func TestCross(t *testing.T) {
	channels := Result{Credits: []Credit{{Channel: "search", Conversions: 3}, {Channel: "display", Conversions: 1}}}
	got := Cross(map[string]float64{"North": 0.75, "South": 0.25}, channels)
	if got[[2]string{"North", "search"}] != 0.5625 || got[[2]string{"South", "display"}] != 0.0625 {
		t.Fatalf("Cross = %v", got)
	}
	total := 0.0
	for _, v := range got {
		total += v
	}
	if math.Abs(total-1) > 1e-12 {
		t.Fatalf("cross shares sum to %v", total)
	}
}

// BenchmarkPartyCredit credits 100k sales of 8 activities each.
func BenchmarkPartyCredit(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	types := []string{"lead_response", "test_drive", "trade_in", "action", "call"}
	sales := make([]Sale, 100_000)
	for i := range sales {
		sales[i] = Sale{ID: fmt.Sprint(i), At: saleDay, Value: 2e6, Closing: fmt.Sprint("D", rng.IntN(3))}
		for range 8 {
			sales[i].Activities = append(sales[i].Activities, Activity{Type: types[rng.IntN(len(types))], Dealership: fmt.Sprint("D", rng.IntN(3)),
				Person: fmt.Sprint("P", rng.IntN(4)), At: daysBefore(rng.IntN(90))})
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range sales {
			partyPolicy.Credit(s, nil)
		}
	}
	b.ReportMetric(float64(len(sales))*float64(b.N)/b.Elapsed().Seconds(), "sales/s")
}
