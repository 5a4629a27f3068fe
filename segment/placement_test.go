package segment

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
)

var placeNow = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func testInventory() []Car {
	return []Car{
		{"Camry", "LE", "North", 2, 0},
		{"Camry", "XSE", "North", 1, 0},
		{"Camry", "XSE", "South", 0, 0}, // sold out there
		{"RAV4", "XLE", "South", 3, 0},
		{"Corolla", "L", "North", 5, 0},
		{"Highlander", "XLE", "East", 1, 0},
	}
}

// cardsOf prints cards as "model trim dealership why".
func cardsOf(cs []Card) string {
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%s %s %s %s", c.Model, c.Trim, c.Dealership, c.Why))
	}
	return strings.Join(out, ", ")
}

func testPlacement(t *testing.T, holdout func(identity.ProfileID) bool) *Placement {
	t.Helper()
	pl, err := NewPlacement(testInventory(), &PlacementOptions{Holdout: holdout})
	if err != nil {
		t.Fatal(err)
	}
	var visitors [][]View
	for range 30 { // Camry XSE and RAV4 XLE are looked at together
		visitors = append(visitors, []View{{"Camry", "XSE", placeNow}, {"RAV4", "XLE", placeNow}})
	}
	for range 60 { // Corolla is the most viewed
		visitors = append(visitors, []View{{"Corolla", "L", placeNow}, {"Corolla", "L", placeNow}})
	}
	for range 10 {
		visitors = append(visitors, []View{{"Highlander", "XLE", placeNow}})
	}
	pl.LearnViews(visitors)
	return pl
}

func TestPlacementRank(t *testing.T) {
	held := actProfile(7)
	pl := testPlacement(t, func(p identity.ProfileID) bool { return p == held })
	day := 24 * time.Hour
	for _, c := range []struct {
		name string
		v    Visitor
		n    int
		want string
	}{
		{"new visitor: the most viewed first", Visitor{Now: placeNow}, 3,
			"Corolla L North popular, Camry XSE North popular, RAV4 XLE South popular"},
		{"viewed a trim: it, its model, what others viewed with it", Visitor{Profile: actProfile(1), Now: placeNow,
			Views: []View{{"Camry", "XSE", placeNow.Add(-day)}}}, 4,
			"Camry XSE North viewed, Camry LE North same model, RAV4 XLE South co-viewed, Corolla L North popular"},
		{"served by one dealership: its cars only", Visitor{Profile: actProfile(1), Now: placeNow, Dealerships: []string{"South"},
			Views: []View{{"Camry", "XSE", placeNow.Add(-day)}}}, 4,
			"RAV4 XLE South co-viewed"},
		{"held out: what a new visitor sees", Visitor{Profile: held, Now: placeNow,
			Views: []View{{"Camry", "XSE", placeNow.Add(-day)}}}, 2,
			"Corolla L North popular, Camry XSE North popular"},
		{"the latest view weighs most", Visitor{Profile: actProfile(2), Now: placeNow,
			Views: []View{{"RAV4", "XLE", placeNow.Add(-60 * day)}, {"Highlander", "XLE", placeNow.Add(-time.Hour)}}}, 2,
			"Highlander XLE East viewed, RAV4 XLE South viewed"},
		{"a view of a car not in stock still counts for its model", Visitor{Profile: actProfile(3), Now: placeNow,
			Views: []View{{"Camry", "SE", placeNow}}}, 2,
			"Camry XSE North same model, Camry LE North same model"}, // XSE is the more viewed
		{"dealerships none of which has stock", Visitor{Now: placeNow, Dealerships: []string{"West"}}, 3, ""},
		{"no cards asked for", Visitor{Now: placeNow}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := cardsOf(pl.Rank(&c.v, c.n))
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			if again := cardsOf(pl.Rank(&c.v, c.n)); again != got {
				t.Errorf("a second call gave %s", again)
			}
		})
	}
}

func TestPlacementErrors(t *testing.T) {
	for _, c := range []struct {
		inv  []Car
		opts *PlacementOptions
	}{
		{[]Car{{"", "LE", "North", 1, 0}}, nil},
		{[]Car{{"Camry", "", "North", 1, 0}}, nil},
		{[]Car{{"Camry", "LE", "", 1, 0}}, nil},
		{[]Car{{"Camry", "LE", "North", -1, 0}}, nil},
		{nil, &PlacementOptions{HalfLife: -time.Hour}},
		{nil, &PlacementOptions{CoViewed: -1}},
	} {
		if _, err := NewPlacement(c.inv, c.opts); !errors.Is(err, ErrInventory) {
			t.Errorf("%+v %+v: %v, want ErrInventory", c.inv, c.opts, err)
		}
	}
	pl, err := NewPlacement(nil, nil)
	if err != nil || pl.Rank(&Visitor{Now: placeNow}, 5) != nil {
		t.Fatalf("an empty inventory: %v", err)
	}
}

// TestPlacementTies: equal scores rank by model, trim, dealership.
func TestPlacementTies(t *testing.T) {
	pl, err := NewPlacement([]Car{{"B", "x", "d2", 1, 0}, {"A", "y", "d1", 1, 0}, {"B", "x", "d1", 1, 0}, {"A", "x", "d1", 1, 0}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := cardsOf(pl.Rank(&Visitor{Now: placeNow}, 4)); got != "A x d1 popular, A y d1 popular, B x d1 popular, B x d2 popular" {
		t.Fatal(got)
	}
}

func TestPlacementConcurrent(t *testing.T) {
	pl := testPlacement(t, nil)
	want := cardsOf(pl.Rank(&Visitor{Now: placeNow, Views: []View{{"Camry", "XSE", placeNow}}}, 4))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 200 {
				if got := cardsOf(pl.Rank(&Visitor{Now: placeNow, Views: []View{{"Camry", "XSE", placeNow}}}, 4)); got != want {
					t.Errorf("concurrent Rank: %s, want %s", got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkPlacement: one visitor with 10 views over a 5,000-car
// inventory (50 models × 10 trims × 10 dealerships), co-views learned
// from 20,000 visitors; the 12 best cards.
func BenchmarkPlacement(b *testing.B) {
	var inv []Car
	for m := range 50 {
		for tr := range 10 {
			for d := range 10 {
				inv = append(inv, Car{fmt.Sprintf("model%02d", m), fmt.Sprintf("trim%d", tr), fmt.Sprintf("dealer%d", d), 1 + (m+tr+d)%4, tr})
			}
		}
	}
	pl, err := NewPlacement(inv, nil)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	view := func() View {
		m := min(rng.IntN(50), rng.IntN(50)) // some models are far more popular
		return View{fmt.Sprintf("model%02d", m), fmt.Sprintf("trim%d", rng.IntN(10)), placeNow.Add(-time.Duration(rng.IntN(90*24)) * time.Hour)}
	}
	visitors := make([][]View, 20_000)
	for i := range visitors {
		for range 3 + rng.IntN(6) {
			visitors[i] = append(visitors[i], view())
		}
	}
	pl.LearnViews(visitors)
	v := &Visitor{Profile: actProfile(1), Now: placeNow, Dealerships: []string{"dealer1", "dealer2", "dealer3", "dealer4", "dealer5", "dealer6", "dealer7", "dealer8", "dealer9", "dealer0"}}
	for range 10 {
		v.Views = append(v.Views, view())
	}
	b.ReportAllocs()
	for b.Loop() {
		if len(pl.Rank(v, 12)) != 12 {
			b.Fatal("short ranking")
		}
	}
	b.ReportMetric(float64(len(inv)), "cars/op")
}
