package population

import (
	"slices"
	"testing"
)

// TestWorldsDeterministicAndInRange: a world seed gives one world, its
// parameters inside DrawWorld's ranges, and its population streams in
// time order with every home computer given to one of its household's
// members.
func TestWorldsDeterministicAndInRange(t *testing.T) {
	for seed := range uint64(50) {
		w := DrawWorld(seed)
		if w != DrawWorld(seed) {
			t.Fatalf("world %d drawn twice differs", seed)
		}
		in := func(v, lo, hi float64) bool { return v >= lo && v <= hi }
		if !in(w.Households, 0, 0.6) || !in(w.HomeUse, 0.3, 1) || !in(w.NoEmail, 0, 0.2) || !in(w.NoPhone, 0, 0.2) ||
			!in(w.SecondPhone, 0, 0.25) || !in(w.Misattributed, 0, 0.06) || !in(w.Forwarded, 0, 0.05) ||
			!in(w.HomeShare, 0.6, 1) || w.MaxSpanDays < 1 || w.MaxSpanDays > 180 || w.Dealerships < 3 || w.Dealerships > 20 {
			t.Fatalf("world %d out of range: %v", seed, w)
		}
	}
	w := DrawWorld(7)
	w.Households, w.HomeUse = 0.6, 1
	a := slices.Collect(New(Config{People: 800, Seed: 7, World: &w}).Observations())
	b := slices.Collect(New(Config{People: 800, Seed: 7, World: &w}).Observations())
	if len(a) != len(b) || len(a) < 800 {
		t.Fatalf("%d and %d observations", len(a), len(b))
	}
	traps := map[string]int{}
	for i := range a {
		if !a[i].Time.Equal(b[i].Time) || !slices.Equal(a[i].IDs, b[i].IDs) {
			t.Fatalf("observation %d differs", i)
		}
		if i > 0 && a[i].Time.Before(a[i-1].Time) {
			t.Fatalf("observation %d out of time order", i)
		}
		traps[a[i].Trap]++
	}
	if traps["family_computer"] == 0 {
		t.Fatalf("no home computer in a world of households: %v", traps)
	}
	// Members who may spend all their activity at home spend more there.
	atHome := func(share float64) int {
		w := w
		w.HomeShare = share
		n := 0
		for o := range New(Config{People: 800, Seed: 7, World: &w}).Observations() {
			if o.Trap == "family_computer" {
				n++
			}
		}
		return n
	}
	if lo, hi := atHome(0.6), atHome(1); hi <= lo*5/4 {
		t.Fatalf("observations on the home computer: %d with members at most 60%% there, %d at most 100%%", lo, hi)
	}
	owners := map[string]int32{}
	for id, p := range New(Config{People: 800, Seed: 7, World: &w}).Identifiers() {
		if q, ok := owners[id.String()]; ok && q != p {
			t.Fatalf("%v listed for %d and %d", id, q, p)
		}
		owners[id.String()] = p
		if p == homeMarker {
			t.Fatalf("%v left without an owner", id)
		}
	}
}
