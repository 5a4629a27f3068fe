package population

import (
	"slices"
	"testing"

	"github.com/throughline/throughline/identity"
)

func TestDeterministicAndOrdered(t *testing.T) {
	g := New(Config{People: 500, Seed: 7})
	a := slices.Collect(g.Observations())
	b := slices.Collect(New(Config{People: 500, Seed: 7}).Observations())
	if len(a) != len(b) || len(a) < 500 {
		t.Fatalf("%d and %d observations", len(a), len(b))
	}
	for i := range a {
		if !a[i].Time.Equal(b[i].Time) || !slices.Equal(a[i].IDs, b[i].IDs) {
			t.Fatalf("observation %d differs", i)
		}
		if i > 0 && a[i].Time.Before(a[i-1].Time) {
			t.Fatalf("observation %d out of time order", i)
		}
	}
	c := slices.Collect(New(Config{People: 500, Seed: 8}).Observations())
	if slices.EqualFunc(a[:10], c[:10], func(x, y Observation) bool { return slices.Equal(x.IDs, y.IDs) }) {
		t.Fatal("another seed gave the same population")
	}
}

// TestCleanPopulationResolvesToPeople: without traps, every person is one
// profile and no profile holds two people.
func TestCleanPopulationResolvesToPeople(t *testing.T) {
	gen := New(Config{People: 3000, Seed: 1})
	g, err := identity.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	obs, ids := 0, 0
	for o := range gen.Observations() {
		if _, err := g.Observe(o.Observation); err != nil {
			t.Fatalf("%v: %v", o.IDs, err)
		}
		obs++
	}
	profileOf := map[int32]identity.ProfileID{}
	personOf := map[identity.ProfileID]int32{}
	for id, p := range gen.Identifiers() {
		ids++
		prof, err := g.Resolve(id.Kind, id.Value)
		if err != nil {
			t.Fatalf("%v: %v", id, err)
		}
		if q, ok := profileOf[p]; ok && q != prof {
			t.Fatalf("person %d split", p)
		}
		if q, ok := personOf[prof]; ok && q != p {
			t.Fatalf("people %d and %d merged", p, q)
		}
		profileOf[p], personOf[prof] = prof, p
	}
	st := g.Stats()
	if st.Profiles != 3000 || st.Identifiers != ids {
		t.Fatalf("stats %+v, %d identifiers generated", st, ids)
	}
	perPersonObs, perPersonIDs := float64(obs)/3000, float64(ids)/3000
	if perPersonObs < 3 || perPersonObs > 4 || perPersonIDs < 3.2 || perPersonIDs > 4 {
		t.Fatalf("%.2f observations and %.2f identifiers per person", perPersonObs, perPersonIDs)
	}
	t.Logf("%.2f observations, %.2f identifiers per person", perPersonObs, perPersonIDs)
}

// TestPhonesAreInUse: every person's phone the generator makes is a number in use
// (identity refuses +7 numbers outside the numbering plan), so no person
// loses a phone to normalization.
func TestPhonesAreInUse(t *testing.T) {
	for id, person := range New(Config{People: 20_000, Seed: 5, Traps: Realistic()}).Identifiers() {
		if id.Kind != identity.Phone || person == Nobody {
			continue // junk is meant to be refused
		}
		if _, err := identity.NormalizePhone(id.Value); err != nil {
			t.Fatalf("%s: %v", id.Value, err)
		}
	}
}

// TestWorldPhonesAreInUse: the same holds in the worlds DrawWorld plans.
func TestWorldPhonesAreInUse(t *testing.T) {
	for seed := range uint64(5) {
		w := DrawWorld(1000 + seed)
		for id, person := range New(Config{People: 3000, Seed: seed, World: &w}).Identifiers() {
			if id.Kind == identity.Phone && person != Nobody {
				if _, err := identity.NormalizePhone(id.Value); err != nil {
					t.Fatalf("world %d: %s: %v", seed, id.Value, err)
				}
			}
		}
	}
}
