package segment

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// dealerSet is ten segments of the kind the reference dealer runs.
func dealerSet() Set {
	kia := Filter{Type: "car_view", Where: []Prop{{Name: "brand", Op: Equals, Value: "Kia"}}}
	return Set{Segments: []Segment{
		{Name: "warm", When: And{
			Count{Event: Filter{Type: "car_view"}, Min: 10, Window: Window{Last: 30 * day}},
			Count{Event: Filter{Type: "lead"}, Min: 1},
			None{Event: Filter{Type: "contract"}},
		}},
		{Name: "hot", When: And{InSegment{Name: "warm"}, Count{Event: Filter{Type: "test_drive"}, Min: 1, Window: Window{Last: 14 * day}}}},
		{Name: "kia fans", When: Count{Event: kia, Min: 3, Window: Window{Last: 30 * day}}},
		{Name: "stale leads", When: And{Last{Event: Filter{Type: "lead"}, OlderThan: 14 * day}, None{Event: Filter{Type: "contract"}}}},
		{Name: "new", When: First{Event: Filter{}, NewerThan: 7 * day}},
		{Name: "drove after lead", When: Sequence{Steps: []SequenceStep{{Event: Filter{Type: "lead"}}, {Event: Filter{Type: "test_drive"}, Within: 7 * day}}}},
		{Name: "buyers", When: Count{Event: Filter{Type: "contract"}, Min: 1}},
		{Name: "lapsed", When: And{Not{Cond: Count{Event: Filter{}, Min: 1, Window: Window{Last: 60 * day}}}, Count{Event: Filter{}, Min: 1}}},
		{Name: "moscow viewers", When: And{Prop{Name: "city", Op: Equals, Value: "Москва"}, Count{Event: Filter{Type: "car_view"}, Min: 1, Window: Window{Last: 30 * day}}}},
		{Name: "retargeting", When: And{Count{Event: Filter{Type: "car_view"}, Min: 5, Window: Window{Last: 30 * day}}, Not{Cond: InSegment{Name: "buyers"}}}},
	}}
}

var benchNow = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

// benchWorld builds n profiles with about per events each over 90 days
// and an engine loaded with them.
func benchWorld(b *testing.B, n, per int) (*Engine, *identity.Graph, []string) {
	b.Helper()
	g, err := identity.New(&identity.Options{SizeHint: n})
	if err != nil {
		b.Fatal(err)
	}
	s, _ := journey.New(g, &journey.Options{SizeHint: n * per})
	rng := rand.New(rand.NewPCG(1, 2))
	cookies := make([]string, n)
	types := []string{"car_view", "car_view", "car_view", "car_view", "page_view", "page_view", "lead", "test_drive", "contract"}
	brands := []string{"Kia", "Lada", "Haval", "Chery", "Toyota"}
	for i := range n {
		cookies[i] = fmt.Sprintf("GA1.2.%d.%d", 1000000+i, 1700000000+i)
		if _, err := g.Observe(identity.Observation{Source: "web", IDs: []identity.ID{{Kind: identity.Cookie, Value: cookies[i]}}}); err != nil {
			b.Fatal(err)
		}
		k := 1 + rng.IntN(2*per)
		for j := range k {
			typ := types[rng.IntN(len(types))]
			if j < k*2/3 && (typ == "lead" || typ == "contract" || typ == "test_drive") {
				typ = "car_view" // the decision comes late in a journey
			}
			ev := journey.Event{ID: uuid.UUID{0: byte(i), 1: byte(i >> 8), 2: byte(i >> 16), 3: byte(i >> 24), 4: byte(j), 5: byte(j >> 8), 6: 0x70, 8: 0x80},
				Time: benchNow.Add(-time.Duration(rng.IntN(90*86400)) * time.Second), Type: journey.EventType(typ),
				IDs: []identity.ID{{Kind: identity.Cookie, Value: cookies[i]}}}
			if typ == "car_view" {
				ev.Props = map[string]string{"brand": brands[rng.IntN(len(brands))]}
			}
			if _, _, err := s.Add(ev); err != nil {
				b.Fatal(err)
			}
		}
	}
	moscow := map[string]string{"city": "Москва"}
	pivot, _ := g.Resolve(identity.Cookie, cookies[n/2])
	props := func(p identity.ProfileID) map[string]string {
		if p.Compare(pivot) < 0 {
			return moscow
		}
		return nil
	}
	set := dealerSet()
	e, err := NewEngine(&set, &Options{Store: s, Graph: g, Props: props})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	e.Rebuild(context.Background(), benchNow)
	b.Logf("%d profiles, %d events, rebuild %v", n, s.Len(), time.Since(start))
	return e, g, cookies
}

// BenchmarkRefresh evaluates 10 segments over every profile (the
// whole-population pass; issue target: 1M profiles in ≤ 1 s on 2 cores).
func BenchmarkRefresh(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			e, _, _ := benchWorld(b, n, 8)
			now := benchNow
			for b.Loop() {
				now = now.Add(time.Hour)
				refresh(e, now)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
		})
	}
}

// BenchmarkAdd is one incremental update: the event filed in the store,
// matched against the set's filters, and the segments it feeds
// re-evaluated for its profile (issue target: ≤ 5 µs).
func BenchmarkAdd(b *testing.B) {
	e, _, cookies := benchWorld(b, 100_000, 8)
	rng := rand.New(rand.NewPCG(3, 4))
	types := []string{"car_view", "car_view", "page_view", "lead", "test_drive"}
	kia := map[string]string{"brand": "Kia"}
	i := 0
	for b.Loop() {
		i++
		// A live stream: each event a millisecond after the one before.
		at := benchNow.Add(time.Duration(i) * time.Millisecond)
		ev := journey.Event{ID: uuid.UUID{0: byte(i), 1: byte(i >> 8), 2: byte(i >> 16), 3: byte(i >> 24), 6: 0x70, 8: 0x80, 9: 0xff},
			Time: at, Type: journey.EventType(types[i%len(types)]), Props: kia,
			IDs: []identity.ID{{Kind: identity.Cookie, Value: cookies[rng.IntN(len(cookies))]}}}
		if _, err := e.Add(ev, at); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUpdate is the engine's own part of one incremental update, with
// the event already filed: matching it against the set's filters, keeping
// its hit and re-evaluating the segments it feeds for its profile.
func BenchmarkUpdate(b *testing.B) {
	e, g, cookies := benchWorld(b, 100_000, 8)
	ps := make([]identity.ProfileID, len(cookies))
	for i, c := range cookies {
		ps[i], _ = g.Resolve(identity.Cookie, c)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	types := []string{"car_view", "car_view", "page_view", "lead", "test_drive"}
	kia := map[string]string{"brand": "Kia"}
	i := 0
	for b.Loop() {
		i++
		ev := journey.Event{Time: benchNow, Type: journey.EventType(types[i%len(types)]), Props: kia}
		e.mu.Lock()
		e.update(ps[rng.IntN(len(ps))], &ev, benchNow)
		e.mu.Unlock()
	}
}

// BenchmarkRebuild reloads every profile from the store and evaluates
// it: the full evaluation incremental updates are checked against.
func BenchmarkRebuild(b *testing.B) {
	e, _, _ := benchWorld(b, 100_000, 8)
	for b.Loop() {
		e.Rebuild(context.Background(), benchNow)
	}
	b.ReportMetric(100_000*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
}
