package journey

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
)

// benchWorld is a store's worth of people and pre-parsed events: each
// person has a CRM number and n events over 90 days, a tenth of them touches,
// with leads, test drives and contracts sprinkled in.
func benchWorld(b *testing.B, people, perPerson int) (*identity.Graph, []Event) {
	b.Helper()
	g, _ := identity.New(nil)
	rng := rand.New(rand.NewPCG(1, 1))
	types := []EventType{PageView, CarView, CarView, CarView, PageView, EmailOpen, Lead, TestDrive, Contract}
	channels := []string{"search", "display", "retargeting", "email", "vk", "yandex_direct"}
	events := make([]Event, 0, people*perPerson)
	for p := range people {
		crm := fmt.Sprintf("CRM-%d", p)
		g.Observe(identity.Observation{Source: "crm_import", IDs: []identity.ID{{Kind: identity.CRM, Value: crm}}})
		for k := range perPerson {
			e := Event{
				ID:   uuid.UUID{byte(p >> 24), byte(p >> 16), byte(p >> 8), byte(p), byte(k >> 8), byte(k)},
				Time: t0.Add(time.Duration(rng.IntN(90*24)) * time.Hour),
				Type: types[rng.IntN(len(types))],
				IDs:  []identity.ID{{Kind: identity.CRM, Value: crm}},
			}
			if rng.IntN(10) == 0 {
				e.Touch = Touch{Channel: channels[rng.IntN(len(channels))]}
			}
			events = append(events, e)
		}
	}
	return g, events
}

// BenchmarkIngest files pre-parsed events, identity resolution included,
// one profile's events after another (cache-resident: the best case).
func BenchmarkIngest(b *testing.B) {
	g, events := benchWorld(b, 20_000, 20)
	var s *Store
	for b.Loop() {
		s, _ = New(g, &Options{SizeHint: len(events)})
		for _, e := range events {
			if _, _, err := s.Add(e); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	st := s.Stats()
	b.ReportMetric(float64(st.Bytes)/float64(st.Events), "bytes/event")
}

// BenchmarkIngestInterleaved files the events of 1M profiles as a live
// stream arrives: in time order, every event on another profile than the
// one before it (random profile order), a hundredth of them late by up to
// a thousand events, one core, identity resolution included. The events
// are pre-parsed, each in memory of its own in arrival order, as a
// decoder leaves them. Each b.Loop iteration files the whole stream, 4M
// events, into a new store, by Add one at a time and by AddBatch 256 at a
// time; events/s and bytes per event are reported.
func BenchmarkIngestInterleaved(b *testing.B) {
	if testing.Short() {
		b.Skip("1M profiles")
	}
	const people, per = 1_000_000, 4
	g, events := benchWorld(b, people, per)
	events = liveStream(events, rand.New(rand.NewPCG(3, 4)))
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	run := func(b *testing.B, file func(*Store, []Event)) {
		var s *Store
		for b.Loop() { // the whole stream into a new store, whatever the benchtime
			b.StopTimer()
			s = nil
			runtime.GC() // the last store's garbage is not this one's to collect
			s, _ = New(g, &Options{SizeHint: len(events)})
			b.StartTimer()
			file(s, events)
		}
		b.ReportMetric(float64(len(events))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		st := s.Stats()
		b.ReportMetric(float64(st.Bytes)/float64(max(st.Events, 1)), "bytes/event")
	}
	b.Run("Add", func(b *testing.B) {
		run(b, func(s *Store, es []Event) {
			for _, e := range es {
				if _, _, err := s.Add(e); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("AddBatch", func(b *testing.B) {
		var res []AddResult
		run(b, func(s *Store, es []Event) {
			for len(es) > 0 {
				n := min(256, len(es))
				res = s.AddBatch(res[:0], es[:n])
				for _, r := range res {
					if r.Err != nil {
						b.Fatal(r.Err)
					}
				}
				es = es[n:]
			}
		})
	})
}

// liveStream orders events as a stream delivers them: by time (ties in
// an order unrelated to the profile), a hundredth moved up to a thousand
// places later, and each event's identifiers copied afresh in that order.
func liveStream(events []Event, rng *rand.Rand) []Event {
	// By time, ties in an order unrelated to the profile's.
	slices.SortFunc(events, func(a, b Event) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(idHash(a.ID), idHash(b.ID)))
	})
	for range len(events) / 100 {
		j := rng.IntN(len(events))
		k := min(len(events)-1, j+1+rng.IntN(1000))
		late := events[j]
		copy(events[j:k], events[j+1:k+1])
		events[k] = late
	}
	for i := range events {
		ids := make([]identity.ID, len(events[i].IDs))
		for k, id := range events[i].IDs {
			ids[k] = identity.ID{Kind: id.Kind, Value: strings.Clone(id.Value)}
		}
		events[i].IDs = ids
	}
	return events
}

// benchStore holds 1M profiles and 20M events (100k and 2M with -short).
var benchStore = sync.OnceValues(func() (*Store, error) {
	b := &testing.B{}
	people := 1_000_000
	if testing.Short() {
		people = 100_000
	}
	g, events := benchWorld(b, people, 20)
	s, _ := New(g, nil)
	for _, e := range events {
		if _, _, err := s.Add(e); err != nil {
			return nil, err
		}
	}
	return s, nil
})

// BenchmarkFunnel evaluates a 3-step funnel over every profile of
// benchStore.
func BenchmarkFunnel(b *testing.B) {
	s, err := benchStore()
	if err != nil {
		b.Fatal(err)
	}
	f := Funnel{Steps: []FunnelStep{{Type: Lead}, {Type: TestDrive}, {Type: Contract}}, Window: 90 * 24 * time.Hour}
	for b.Loop() {
		s.Funnel(context.Background(), f)
	}
	b.ReportMetric(float64(s.Len())*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkPaths builds conversion paths for every profile of the store.
func BenchmarkPaths(b *testing.B) {
	s, err := benchStore()
	if err != nil {
		b.Fatal(err)
	}
	convs := 0
	for b.Loop() {
		convs = 0
		for _, path := range mustPaths(b, s, PathOptions{}) {
			convs += int(path.Conversions)
		}
	}
	b.ReportMetric(float64(convs)*float64(b.N)/b.Elapsed().Seconds(), "conversions/s")
}

// BenchmarkStoreHeap files the events of benchStore's shape (1M profiles,
// 20 events each; 100k with -short) into a store in random profile order,
// as a live stream interleaves them, and reports the heap the store holds
// per event, measured (runtime.MemStats after a collection, the graph and
// the pre-parsed events excluded), beside Stats' estimate. Run it with
// -benchtime 1x.
func BenchmarkStoreHeap(b *testing.B) {
	people := 1_000_000
	if testing.Short() {
		people = 100_000
	}
	g, events := benchWorld(b, people, 20)
	rand.New(rand.NewPCG(5, 6)).Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	var s *Store
	var heap uint64
	for b.Loop() {
		s = nil
		before := liveHeap()
		s, _ = New(g, nil)
		for _, e := range events {
			if _, _, err := s.Add(e); err != nil {
				b.Fatal(err)
			}
		}
		heap = liveHeap() - before
	}
	b.ReportMetric(float64(heap)/float64(s.Len()), "heap-bytes/event")
	b.ReportMetric(float64(s.Stats().Bytes)/float64(s.Len()), "bytes/event")
	b.ReportMetric(float64(heap)/1e6, "heap-MB")
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
