package identity_test

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/population"
)

// resolvePopulation feeds a generated population in time order and labels
// every identifier with its profile and its person.
func resolvePopulation(t testing.TB, cfg population.Config, opts *identity.Options) (population.Score, []population.TrapScore) {
	t.Helper()
	g, err := identity.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	gen := population.New(cfg)
	for o := range gen.Observations() {
		g.Observe(o.Observation)
	}
	labeled := labelAll(gen, g)
	traps := gen.Traps(func(id identity.ID) string {
		if p, err := g.Resolve(id.Kind, id.Value); err == nil {
			return p.String()
		}
		return ""
	})
	return population.Evaluate(labeled), traps
}

// labelAll labels every identifier of the population with its person and
// the profile g resolves it to.
func labelAll(gen *population.Generator, g *identity.Graph) []population.Labeled {
	var labeled []population.Labeled
	for id, person := range gen.Identifiers() {
		l := population.Labeled{Person: person, Contact: id.Kind == identity.Email || id.Kind == identity.Phone || id.Kind == identity.CRM}
		if p, err := g.Resolve(id.Kind, id.Value); err == nil {
			l.Profile = p.String()
		}
		labeled = append(labeled, l)
	}
	return labeled
}

func TestAccuracyRealistic(t *testing.T) {
	cfg := population.Config{People: 20_000, Seed: 3, Traps: population.Realistic()}
	if testing.Short() {
		cfg.People = 4000
	}
	for _, c := range []struct {
		name string
		opts *identity.Options
	}{{"components", &identity.Options{Policy: identity.Policy{Disabled: true}}}, {"rules", nil}} {
		s, traps := resolvePopulation(t, cfg, c.opts)
		t.Logf("%s: all %.4f/%.4f contacts %.4f/%.4f over-merged %d (largest %d) split %d",
			c.name, s.Precision, s.Recall, s.ContactPrecision, s.ContactRecall, s.OverMerged, s.LargestProfilePeople, s.Split)
		if c.opts == nil && (s.ContactPrecision < 0.9995 || s.Precision < 0.997) {
			t.Errorf("default rules: precision all %.5f contacts %.5f", s.Precision, s.ContactPrecision)
		}
		if c.opts != nil && s.Recall != 1 {
			t.Errorf("connected components must join every person's identifiers: recall %.5f", s.Recall)
		}
		for _, tr := range traps {
			t.Logf("  %-18s %5d observations, %5.1f%% right; pairs together %d/%d, apart %d/%d",
				tr.Trap, tr.Observations, 100*float64(tr.Right)/float64(tr.Observations), tr.PairsTogether, tr.PairsShould, tr.PairsApart, tr.PairsShouldnt)
		}
	}
}

// TestRulesOrderIndependent: with every observation in, the profiles and
// their IDs do not depend on the order observations arrived in.
func TestRulesOrderIndependent(t *testing.T) {
	gen := population.New(population.Config{People: 3000, Seed: 5, Traps: population.Realistic()})
	var os []identity.Observation
	for o := range gen.Observations() {
		os = append(os, o.Observation)
	}
	answer := func(os []identity.Observation) map[identity.ID]identity.ProfileID {
		g, _ := identity.New(nil)
		for _, o := range os {
			g.Observe(o)
		}
		out := map[identity.ID]identity.ProfileID{}
		for p := range g.Profiles() {
			for id := range g.Keys(p) {
				out[id] = p
			}
		}
		return out
	}
	want := answer(os)
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 2 {
		shuffled := slices.Clone(os)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got := answer(shuffled)
		diff := 0
		for id, p := range want {
			if got[id] != p {
				diff++
			}
		}
		if diff > 0 || len(got) != len(want) {
			t.Fatalf("round %d: %d of %d identifiers in other profiles", round, diff, len(want))
		}
	}
}

// TestAccuracyTargets holds the default rules to issue 13's precision
// targets on internal/population's realistic generator, on several seeds
// and with journeys up to 180 days: contacts precision ≥ 0.9995 and all
// identifiers ≥ 0.997. Recall is what the evidence allows once clicks and
// calls no longer merge (about 0.82 for contacts here, see the README's
// frontier); the floors below only catch a regression.
func TestAccuracyTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("resolves five populations of 20k people")
	}
	for _, c := range []struct {
		seed uint64
		span int
	}{{11, 0}, {13, 0}, {21, 0}, {53, 0}, {12, 180}} {
		seed := c.seed
		s, _ := resolvePopulation(t, population.Config{People: 20_000, Seed: seed, MaxSpanDays: c.span, Traps: population.Realistic()}, nil)
		t.Logf("seed %d, journeys up to %d days: all %.5f/%.5f contacts %.5f/%.5f", seed, cmp.Or(c.span, 90), s.Precision, s.Recall, s.ContactPrecision, s.ContactRecall)
		if s.ContactPrecision < 0.9995 || s.Precision < 0.997 || s.ContactRecall < 0.80 || s.Recall < 0.85 {
			t.Errorf("seed %d: all %.5f/%.5f contacts %.5f/%.5f", seed, s.Precision, s.Recall, s.ContactPrecision, s.ContactRecall)
		}
	}
}
