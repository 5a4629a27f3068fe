package attribution

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

const eps = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= eps*math.Max(1, math.Abs(b)) }

func checkCredits(t *testing.T, r Result, want map[string]float64, field func(Credit) float64) {
	t.Helper()
	for ch, w := range want {
		if got := field(r.Credit(ch)); !near(got, w) {
			t.Errorf("%s %s = %.12f, want %.12f", r.Model, ch, got, w)
		}
	}
}

func conv(c Credit) float64  { return c.Conversions }
func value(c Credit) float64 { return c.Value }
func re(c Credit) float64    { return c.RemovalEffect }

// The Anderl / Bryl toy (reference 11.1).
func anderl() []Path {
	return []Path{
		PathOf(1, 100, 0, "C1", "C2", "C3"),
		PathOf(0, 0, 1, "C1"),
		PathOf(0, 0, 1, "C2", "C3"),
	}
}

func TestAnderlToy(t *testing.T) {
	ps := anderl()
	for _, c := range []struct {
		m    Model
		want map[string]float64
	}{
		{FirstTouch{}, map[string]float64{"C1": 1, "C2": 0, "C3": 0}},
		{LastTouch{}, map[string]float64{"C1": 0, "C2": 0, "C3": 1}},
		{Linear{}, map[string]float64{"C1": 1.0 / 3, "C2": 1.0 / 3, "C3": 1.0 / 3}},
		{Shapley{}, map[string]float64{"C1": 1.0 / 3, "C2": 1.0 / 3, "C3": 1.0 / 3}},
		{PositionBased{}, map[string]float64{"C1": 0.4, "C2": 0.2, "C3": 0.4}},
		{Markov{}, map[string]float64{"C1": 0.2, "C2": 0.4, "C3": 0.4}},
	} {
		r, err := c.m.Attribute(context.Background(), NewDataset(ps))
		if err != nil {
			t.Fatal(err)
		}
		checkCredits(t, r, c.want, conv)
	}
	r, _ := Markov{}.Attribute(context.Background(), NewDataset(ps))
	checkCredits(t, r, map[string]float64{"C1": 0.5, "C2": 1, "C3": 1}, re)
	checkCredits(t, r, map[string]float64{"C1": 20, "C2": 40, "C3": 40}, value)
	if !near(r.PConversion, 1.0/3) {
		t.Errorf("P(conversion) = %v", r.PConversion)
	}
}

// The pychattr README example (reference 11.2): exact Markov gives 2 / 1.
func TestPychattrExample(t *testing.T) {
	ps := []Path{
		PathOf(1, 0, 0, "A", "B", "A", "B", "B", "A"),
		PathOf(1, 0, 0, "A", "B", "B", "A", "A"),
		PathOf(1, 0, 0, "A", "A"),
	}
	for _, c := range []struct {
		m    Model
		want map[string]float64
	}{
		{Markov{}, map[string]float64{"A": 2, "B": 1}},
		{FirstTouch{}, map[string]float64{"A": 3, "B": 0}},
		{LastTouch{}, map[string]float64{"A": 3, "B": 0}},
		{Linear{}, map[string]float64{"A": 2.1, "B": 0.9}},
		{Shapley{}, map[string]float64{"A": 2, "B": 1}},
		{PositionBased{}, map[string]float64{"A": 2.716666666667, "B": 0.283333333333}},
	} {
		r, err := c.m.Attribute(context.Background(), NewDataset(ps))
		if err != nil {
			t.Fatal(err)
		}
		checkCredits(t, r, c.want, conv)
	}
	r, _ := Markov{}.Attribute(context.Background(), NewDataset(ps))
	checkCredits(t, r, map[string]float64{"A": 1, "B": 0.5}, re)
}

// The Shapley toy (reference 11.3).
func shapleyToy() []Path {
	return []Path{
		PathOf(1, 1, 0, "A", "B", "C"), PathOf(1, 1, 0, "A", "B"), PathOf(1, 1, 0, "B"),
		PathOf(1, 1, 0, "C", "A", "C"), PathOf(1, 1, 0, "A"),
	}
}

func TestShapleyToy(t *testing.T) {
	want := map[string]float64{"A": 7.0 / 3, "B": 11.0 / 6, "C": 5.0 / 6}
	for _, v := range []ShapleyVariant{Simplified, Ordered, Exact} {
		r, err := Shapley{Variant: v}.Attribute(context.Background(), NewDataset(shapleyToy()))
		if err != nil {
			t.Fatal(err)
		}
		checkCredits(t, r, want, conv)
	}
	r, _ := Shapley{Variant: Ordered}.Attribute(context.Background(), NewDataset(shapleyToy()))
	pos := map[string][]float64{"A": {11.0 / 6, 0.5, 0}, "B": {1, 5.0 / 6, 0}, "C": {0.25, 0, 7.0 / 12}}
	for ch, want := range pos {
		got := r.Credit(ch).ByPosition
		for i, w := range want {
			g := 0.0
			if i < len(got) {
				g = got[i]
			}
			if !near(g, w) {
				t.Errorf("ordered %s position %d = %v, want %v", ch, i+1, g, w)
			}
		}
	}
}

// The time-decay shares (reference 11.4).
func TestTimeDecayShares(t *testing.T) {
	end := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	p := Path{Conversions: 1, Value: 1, ConvertedAt: end}
	for _, c := range []struct {
		ch string
		dt time.Duration
	}{{"yan", 21 * day}, {"gdn", 14 * day}, {"retargeting", 7 * day}, {"organic", day}, {"dealer_visit", 0}} {
		p.Touches = append(p.Touches, Touch{Channel: c.ch, Time: end.Add(-c.dt)})
	}
	r, err := TimeDecay{}.Attribute(context.Background(), NewDataset([]Path{p}))
	if err != nil {
		t.Fatal(err)
	}
	checkCredits(t, r, map[string]float64{"yan": 0.044952327, "gdn": 0.089904654, "retargeting": 0.179809309, "organic": 0.325715092, "dealer_visit": 0.359618618}, func(c Credit) float64 {
		return math.Round(c.Conversions*1e9) / 1e9
	})
	if _, err := (TimeDecay{}).Attribute(context.Background(), NewDataset(anderl())); !errors.Is(err, ErrNoTimes) {
		t.Fatalf("time decay without times: %v", err)
	}
}

func TestLastNonDirectAndLinearPerChannel(t *testing.T) {
	ps := []Path{PathOf(1, 10, 0, "search", "direct", "direct"), PathOf(1, 10, 0, "direct", "direct")}
	r, _ := LastNonDirect{}.Attribute(context.Background(), NewDataset(ps))
	checkCredits(t, r, map[string]float64{"search": 1, "direct": 1}, conv)
	r, _ = LastNonDirect{Direct: []string{"direct", "search"}}.Attribute(context.Background(), NewDataset(ps))
	checkCredits(t, r, map[string]float64{"search": 0, "direct": 2}, conv)
	r, _ = Linear{PerChannel: true}.Attribute(context.Background(), NewDataset([]Path{PathOf(1, 0, 0, "A", "A", "B")}))
	checkCredits(t, r, map[string]float64{"A": 0.5, "B": 0.5}, conv)
	r, _ = PositionBased{First: 0.3, Middle: 0.4, Last: 0.3}.Attribute(context.Background(), NewDataset([]Path{PathOf(1, 0, 0, "A", "B"), PathOf(1, 0, 0, "A", "B", "C", "D")}))
	checkCredits(t, r, map[string]float64{"A": 0.8, "B": 0.7, "C": 0.2, "D": 0.3}, conv)
	if _, err := (PositionBased{First: 0.5, Middle: 0.5, Last: 0.5}).Attribute(context.Background(), NewDataset(ps)); !errors.Is(err, ErrBadOption) {
		t.Fatalf("bad weights: %v", err)
	}
}

func TestAssociated(t *testing.T) {
	r, _ := Associated{}.Attribute(context.Background(), NewDataset([]Path{PathOf(2, 0, 0, "A", "B", "A"), PathOf(1, 0, 0, "B")}))
	a, b := r.Credit("A"), r.Credit("B")
	if a.Last != 2 || a.Assisted != 0 || b.Last != 1 || b.Assisted != 2 {
		t.Fatalf("A %+v B %+v", a, b)
	}
}

// randomPaths makes seeded aggregated paths over n channels.
func randomPaths(rng *rand.Rand, rows, channels int, nulls bool) []Path {
	out := make([]Path, rows)
	for i := range out {
		l := 1 + rng.IntN(6)
		chs := make([]string, l)
		for j := range chs {
			chs[j] = fmt.Sprintf("ch%02d", rng.IntN(channels))
		}
		c := float64(rng.IntN(4))
		n := 0.0
		if nulls {
			n = float64(rng.IntN(5))
		}
		out[i] = PathOf(c, c*float64(100+rng.IntN(900)), n, chs...)
	}
	return out
}

// TestMarkovIdentities: for every order, P(conversion) = ΣC/(ΣC+ΣN) and the
// expected value per start = ΣV/(ΣC+ΣN); removal effects lie in [0, 1].
func TestMarkovIdentities(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ps := randomPaths(rng, 400, 6, true)
	var C, V, N float64
	for _, p := range ps {
		C, V, N = C+p.Conversions, V+p.Value, N+p.Nulls
	}
	for order := 1; order <= 4; order++ {
		for _, keep := range []bool{false, true} {
			m := Markov{Order: order, KeepRepeats: keep}
			c, _, _, err := m.fit(NewDataset(ps))
			if err != nil {
				t.Fatal(err)
			}
			x := c.solve(c.b, nil, nil)
			y := c.solve(c.r, nil, nil)
			if got := dot(c.start, x); !near(got, C/(C+N)) {
				t.Errorf("order %d keep %v: P(conv) = %v, want %v", order, keep, got, C/(C+N))
			}
			if got := dot(c.start, y); !near(got, V/(C+N)) {
				t.Errorf("order %d keep %v: E[value] = %v, want %v", order, keep, got, V/(C+N))
			}
			r, _ := m.Attribute(context.Background(), NewDataset(ps))
			for _, cr := range r.Credits {
				if cr.RemovalEffect < 0 || cr.RemovalEffect > 1+eps {
					t.Errorf("order %d: removal effect %v", order, cr.RemovalEffect)
				}
			}
		}
	}
}

// TestExactShapleyEqualsSimplified: with Zhao's characteristic function the
// classic formula over all coalitions equals the closed form, and sampling
// approximates it.
func TestExactShapleyEqualsSimplified(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	ps := randomPaths(rng, 300, 9, false)
	simple, _ := Shapley{}.Attribute(context.Background(), NewDataset(ps))
	exact, _ := Shapley{Variant: Exact}.Attribute(context.Background(), NewDataset(ps))
	sampled, _ := Shapley{Variant: Exact, MaxExact: 4, Samples: 20000, Seed: 7}.Attribute(context.Background(), NewDataset(ps))
	for _, c := range simple.Credits {
		if e := exact.Credit(c.Channel); !near(e.Conversions, c.Conversions) || !near(e.Value, c.Value) {
			t.Errorf("%s: exact %v, simplified %v", c.Channel, e, c)
		}
		if s := sampled.Credit(c.Channel); math.Abs(s.Conversions-c.Conversions) > 0.03*c.Conversions+0.5 {
			t.Errorf("%s: sampled %v, exact %v", c.Channel, s.Conversions, c.Conversions)
		}
	}
	again, _ := Shapley{Variant: Exact, MaxExact: 4, Samples: 20000, Seed: 7}.Attribute(context.Background(), NewDataset(ps))
	for i := range again.Credits {
		if again.Credits[i].Conversions != sampled.Credits[i].Conversions {
			t.Fatal("seeded sampling is not deterministic")
		}
	}
}

func TestMarkovWithoutNullsIsReach(t *testing.T) {
	ps := []Path{PathOf(1, 0, 0, "A", "B"), PathOf(1, 0, 0, "B"), PathOf(0, 0, 5, "C")}
	r, err := Markov{}.Attribute(context.Background(), NewDataset(ps))
	if err != nil {
		t.Fatal(err)
	}
	// The null-only path is dropped when nulls are ignored.
	r2, _ := Markov{IgnoreNulls: true}.Attribute(context.Background(), NewDataset(ps))
	checkCredits(t, r2, map[string]float64{"A": 0.5, "B": 1}, re)
	if r.PConversion >= r2.PConversion || !near(r2.PConversion, 1) {
		t.Errorf("P(conv) with nulls %v, without %v", r.PConversion, r2.PConversion)
	}
	if _, err := (Markov{Order: 9}).Attribute(context.Background(), NewDataset(ps)); !errors.Is(err, ErrBadOption) {
		t.Fatal(err)
	}
	if _, err := (Markov{}).Attribute(context.Background(), NewDataset([]Path{PathOf(-1, 0, 0, "A")})); !errors.Is(err, ErrBadPath) {
		t.Fatal(err)
	}
}

func TestRekey(t *testing.T) {
	ps := []Path{{Conversions: 1, Touches: []Touch{
		{Channel: "search", Attrs: map[string]string{"dealership": "north"}},
		{Channel: "display", Attrs: map[string]string{"dealership": "south"}},
		{Channel: "call"},
	}}}
	r, _ := Linear{}.Attribute(context.Background(), NewDataset(Rekey(ps, func(t Touch) string { return t.Attrs["dealership"] })))
	checkCredits(t, r, map[string]float64{"north": 0.5, "south": 0.5}, conv)
}

// TestCancelled: every model returns the context's error when it is done
// before the model starts, and Compare passes it on.
func TestCancelled(t *testing.T) {
	d := NewDataset([]Path{{Touches: []Touch{{Channel: "a"}, {Channel: "b"}}, Conversions: 1}})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, m := range []Model{FirstTouch{}, LastTouch{}, LastNonDirect{}, Linear{}, PositionBased{}, TimeDecay{}, Shapley{}, Markov{Order: 1}, Associated{}} {
		if _, err := m.Attribute(ctx, d); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v", m.Name(), err)
		}
	}
	if _, err := Compare(ctx, d, Linear{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Compare: %v", err)
	}
}

// TestReadCancelled: ReadCSV and ReadJSONL stop with the context's error.
func TestReadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	csv := "path,total_conversions\n" + strings.Repeat("a > b,1\n", 70_000)
	if _, _, err := ReadCSV(ctx, strings.NewReader(csv)); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadCSV: %v", err)
	}
	jl := strings.Repeat(`{"touches":[{"channel":"a"}],"conversions":1}`+"\n", 70_000)
	if _, _, err := ReadJSONL(ctx, strings.NewReader(jl)); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadJSONL: %v", err)
	}
}
