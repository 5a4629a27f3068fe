package segment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
)

var actNow = time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)

func actProfile(i int) identity.ProfileID {
	p, _ := identity.ParseProfileID(fmt.Sprintf("00000000-0000-4000-8000-%012x", i))
	return p
}

// dealerCatalog is the built-in dealer actions, as a host would write
// their conditions.
func dealerCatalog() Catalog {
	inSeg := func(s string) func(*Customer) string {
		return func(c *Customer) string {
			if slices.Contains(c.Segments, s) {
				return ""
			}
			return "not in segment " + s
		}
	}
	return Catalog{Version: "v1", Policy: ContactPolicy{Caps: map[string]int{"sms": 1, "*": 3}, Window: 7 * 24 * time.Hour, RejectLimit: 2, Suppress: 30 * 24 * time.Hour},
		Actions: []Action{
			{ID: "call_back", Channel: "call", Role: "salesperson", Purpose: "service", Value: 5, Eligible: inSeg("lead_2_5_days"), Cooldown: 24 * time.Hour},
			{ID: "test_drive", Channel: "in_person", Role: "salesperson", Value: 8, Eligible: inSeg("viewed_model"), Applicable: inSeg("model_in_stock"),
				Suitable: func(c *Customer) string {
					if slices.Contains(c.Segments, "test_drive_30d") {
						return "had a test drive in the last 30 days"
					}
					return ""
				}},
			{ID: "trade_in", Channel: "sms", Purpose: "marketing", Value: 3, Eligible: inSeg("current_car_known"), Cooldown: 30 * 24 * time.Hour},
			{ID: "premium_unlock", Channel: "email", Purpose: "marketing", Group: "out_of_stock", Value: 6, Eligible: inSeg("trim_out_of_stock")},
			{ID: "factory_order", Channel: "email", Purpose: "marketing", Group: "out_of_stock", Value: 4, Eligible: inSeg("trim_out_of_stock")},
		}}
}

func mustArbiter(t testing.TB, c Catalog) *Arbiter {
	t.Helper()
	ar, err := NewArbiter(c)
	if err != nil {
		t.Fatal(err)
	}
	return ar
}

// TestActionGates is the table of gates, contact policy and mutual
// exclusion: what is offered, and the gate that declines the rest.
func TestActionGates(t *testing.T) {
	ar := mustArbiter(t, dealerCatalog())
	all := []string{"lead_2_5_days", "viewed_model", "model_in_stock", "current_car_known", "trim_out_of_stock"}
	noSMS := func(ch, purpose string) (bool, string) {
		if ch == "sms" {
			return false, "sms: no advertising consent given to North Motors LLC"
		}
		return true, ""
	}
	ago := func(h int) time.Time { return actNow.Add(-time.Duration(h) * time.Hour) }
	for _, c := range []struct {
		name     string
		segments []string
		reach    func(string, string) (bool, string)
		outcomes []Outcome
		want     []string          // offered, best first
		declined map[string]string // action → gate
	}{
		{"everything applies", all, nil, nil, []string{"test_drive", "premium_unlock", "call_back", "trade_in"}, map[string]string{"factory_order": "excluded"}},
		{"not eligible", []string{"viewed_model"}, nil, nil, nil, map[string]string{"call_back": "eligible", "test_drive": "applicable", "trade_in": "eligible"}},
		{"not suitable", append(slices.Clone(all), "test_drive_30d"), nil, nil, []string{"premium_unlock", "call_back", "trade_in"}, map[string]string{"test_drive": "suitable"}},
		{"not reachable", all, noSMS, nil, []string{"test_drive", "premium_unlock", "call_back"}, map[string]string{"trade_in": "reachable"}},
		{"cooldown", all, nil, []Outcome{{Action: "call_back", Kind: Presented, At: ago(3)}}, []string{"test_drive", "premium_unlock", "trade_in"}, map[string]string{"call_back": "cooldown"}},
		{"cooldown over", all, nil, []Outcome{{Action: "call_back", Kind: Presented, At: ago(25)}}, []string{"test_drive", "premium_unlock", "call_back", "trade_in"}, nil},
		{"sms cap", all, nil, []Outcome{{Action: "trade_in", Kind: Presented, At: ago(24 * 40)}, {Action: "other_sms", Kind: Presented, At: ago(2)}}, []string{"test_drive", "premium_unlock", "call_back", "trade_in"}, nil},
		{"channel cap", all, nil, []Outcome{{Action: "trade_in", Kind: Presented, At: ago(24 * 31)}, {Action: "trade_in", Kind: Presented, At: ago(24 * 2)}}, []string{"test_drive", "premium_unlock", "call_back"}, map[string]string{"trade_in": "cooldown"}},
		{"all channels cap", all, nil, []Outcome{{Action: "x", Kind: Presented, At: ago(1)}, {Action: "y", Kind: Presented, At: ago(2)}, {Action: "z", Kind: Presented, At: ago(3)}}, nil, map[string]string{"call_back": "cap", "test_drive": "cap"}},
		{"suppressed after rejections", all, nil, []Outcome{{Action: "premium_unlock", Kind: Rejected, At: ago(24 * 3)}, {Action: "premium_unlock", Kind: Rejected, At: ago(24 * 10)}}, []string{"test_drive", "call_back", "factory_order", "trade_in"}, map[string]string{"premium_unlock": "suppressed"}},
		{"rejections long ago", all, nil, []Outcome{{Action: "premium_unlock", Kind: Rejected, At: ago(24 * 60)}, {Action: "premium_unlock", Kind: Rejected, At: ago(24 * 70)}}, []string{"test_drive", "premium_unlock", "call_back", "trade_in"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			cust := &Customer{Profile: actProfile(1), Segments: c.segments, Now: actNow, Reachable: c.reach, Outcomes: c.outcomes}
			recs, declined := ar.Next(cust, 10)
			var got []string
			for _, r := range recs {
				got = append(got, r.Action)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("offered %v, want %v (declined %v)", got, c.want, declined)
			}
			gates := map[string]Declined{}
			for _, d := range declined {
				gates[d.Action] = d
			}
			for a, gate := range c.declined {
				if gates[a].Gate != gate || gates[a].Reason == "" {
					t.Errorf("%s declined by %+v, want gate %s", a, gates[a], gate)
				}
			}
		})
	}
	if _, declined := ar.Next(&Customer{Profile: actProfile(1), Segments: all, Now: actNow, Reachable: noSMS}, 10); !slices.ContainsFunc(declined, func(d Declined) bool {
		return d.Reason == "sms: no advertising consent given to North Motors LLC"
	}) {
		t.Error("the reachability reason is not passed on")
	}
}

// TestArbitrationScore: the score is the product of its factors, the
// lever boosts, and the same state gives the same actions.
func TestArbitrationScore(t *testing.T) {
	cat := dealerCatalog()
	cat.Actions[2].Lever = 3 // management pushes trade-ins
	ar := mustArbiter(t, cat)
	cust := &Customer{Profile: actProfile(1), Segments: []string{"lead_2_5_days", "current_car_known"}, Now: actNow,
		Context: func(a *Action) float64 {
			if a.Channel == "call" {
				return 0.5
			}
			return 1
		}}
	recs, _ := ar.Next(cust, 5)
	if len(recs) != 2 || recs[0].Action != "trade_in" || recs[0].Score != 9 || recs[1].Score != 2.5 || recs[1].Context != 0.5 {
		t.Fatalf("recommendations %+v", recs)
	}
	again, _ := ar.Next(cust, 5)
	if !slices.Equal(recs, again) {
		t.Fatal("not deterministic")
	}
	if top, _ := ar.Next(cust, 1); len(top) != 1 {
		t.Fatalf("n = 1 gave %v", top)
	}
	if _, err := NewArbiter(Catalog{Actions: []Action{{ID: "a"}, {ID: "a"}}}); err == nil {
		t.Error("repeated action ID accepted")
	}
	if _, err := NewArbiter(Catalog{Holdout: 1}); err == nil {
		t.Error("holdout of 1 accepted")
	}
}

// TestPropensityConverges: on simulated outcomes, each action's learned
// propensity per segment converges to its true acceptance rate, and the
// arbiter comes to prefer the action that is accepted more.
func TestPropensityConverges(t *testing.T) {
	ar := mustArbiter(t, Catalog{Version: "v", Actions: []Action{{ID: "a", Value: 1}, {ID: "b", Value: 1}}})
	rng := rand.New(rand.NewPCG(7, 8))
	truth := map[[2]string]float64{{"a", "warm"}: 0.3, {"b", "warm"}: 0.1, {"a", "cold"}: 0.05, {"b", "cold"}: 0.2}
	if ar.Propensity("a", "warm") != 1 {
		t.Fatal("the prior mean is not 1")
	}
	for range 20_000 {
		for k, p := range truth {
			ar.Learn(Outcome{Action: k[0], Segment: k[1], Kind: Presented})
			if rng.Float64() < p {
				ar.Learn(Outcome{Action: k[0], Segment: k[1], Kind: Accepted})
			}
		}
	}
	for k, p := range truth {
		if got := ar.Propensity(k[0], k[1]); math.Abs(got-p) > 0.01 {
			t.Errorf("%v: propensity %.4f, true rate %.2f", k, got, p)
		}
	}
	for seg, best := range map[string]string{"warm": "a", "cold": "b"} {
		recs, _ := ar.Next(&Customer{Profile: actProfile(2), Segments: []string{seg}, Now: actNow}, 1)
		if len(recs) != 1 || recs[0].Action != best {
			t.Errorf("%s customers get %v, want %s", seg, recs, best)
		}
	}
}

// TestHoldoutUplift: the holdout is a stable random share of profiles
// that gets no actions, and on simulated conversions the uplift estimate's
// interval holds the true uplift.
func TestHoldoutUplift(t *testing.T) {
	cat := dealerCatalog()
	cat.Holdout = 0.1
	ar := mustArbiter(t, cat)
	again := mustArbiter(t, cat) // another process with the same catalog
	rng := rand.New(rand.NewPCG(9, 10))
	const n = 100_000
	held, tc, treated, hc := 0, 0, 0, 0
	for i := range n {
		p := actProfile(i)
		if ar.InHoldout(p) != again.InHoldout(p) {
			t.Fatal("holdout not stable across arbiters of one catalog")
		}
		if ar.InHoldout(p) {
			held++
			if recs, declined := ar.Next(&Customer{Profile: p, Segments: []string{"lead_2_5_days"}, Now: actNow}, 5); len(recs) != 0 || declined[0].Gate != "holdout" {
				t.Fatal("a holdout customer got actions")
			}
			if rng.Float64() < 0.10 {
				hc++
			}
			continue
		}
		treated++
		if rng.Float64() < 0.13 { // actions lift conversion from 10% to 13%
			tc++
		}
	}
	if share := float64(held) / n; math.Abs(share-0.1) > 0.005 {
		t.Fatalf("holdout share %.4f", share)
	}
	diff, lo, hi := Uplift(tc, treated, hc, held)
	if lo > 0.03 || hi < 0.03 || lo <= 0 {
		t.Fatalf("uplift %.4f [%.4f, %.4f], true 0.03", diff, lo, hi)
	}
}

// BenchmarkNextAction ranks a 20-action catalog for one customer.
func BenchmarkNextAction(b *testing.B) {
	cat := Catalog{Version: "v", Policy: ContactPolicy{Caps: map[string]int{"*": 5}, Window: 7 * 24 * time.Hour, RejectLimit: 2, Suppress: 30 * 24 * time.Hour}}
	for i := range 20 {
		seg := fmt.Sprint("s", i%5)
		cat.Actions = append(cat.Actions, Action{ID: fmt.Sprint("a", i), Channel: []string{"sms", "email", "call", "in_person"}[i%4], Purpose: "marketing",
			Group: fmt.Sprint("g", i%7), Value: float64(1 + i%4), Cooldown: 24 * time.Hour,
			Eligible: func(c *Customer) string {
				if slices.Contains(c.Segments, seg) {
					return ""
				}
				return "no"
			}})
	}
	ar := mustArbiter(b, cat)
	cust := &Customer{Profile: actProfile(3), Segments: []string{"s0", "s1", "s2", "s3"}, Now: actNow,
		Outcomes: []Outcome{{Action: "a1", Kind: Presented, At: actNow.Add(-time.Hour)}, {Action: "a2", Kind: Rejected, At: actNow.Add(-48 * time.Hour)}}}
	b.ReportAllocs()
	for b.Loop() {
		ar.Next(cust, 3)
	}
}

// BenchmarkNextAction100k ranks the 20-action catalog for 100k customers
// in one pass, on every core.
func BenchmarkNextAction100k(b *testing.B) {
	cat := dealerCatalog()
	for i := range 15 {
		cat.Actions = append(cat.Actions, Action{ID: fmt.Sprint("extra", i), Channel: "email", Purpose: "marketing", Value: float64(i % 5), Group: fmt.Sprint("g", i%4)})
	}
	ar := mustArbiter(b, cat)
	custs := make([]Customer, 100_000)
	for i := range custs {
		custs[i] = Customer{Profile: actProfile(i), Segments: []string{"lead_2_5_days", "viewed_model", "model_in_stock"}, Now: actNow}
	}
	workers := runtime.GOMAXPROCS(0)
	for b.Loop() {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(custs); i += workers {
					ar.Next(&custs[i], 3)
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(len(custs))*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
}
