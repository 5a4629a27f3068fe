package journey

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
)

// TestEventIDs checks the index against a map through adds, finds and
// removals, with the table growing and runs of colliding slots shifted
// back on removal: from empty (powers of two) and from a reservation of
// an odd size, whose probe runs wrap round at a slot that is not one.
func TestEventIDs(t *testing.T) {
	for _, reserve := range []int{0, 1001, 77_777} {
		t.Run(fmt.Sprint(reserve), func(t *testing.T) { testEventIDs(t, reserve) })
	}
}

func testEventIDs(t *testing.T, reserve int) {
	rng := rand.New(rand.NewPCG(7, 7))
	var x eventIDs
	x.reserve(reserve)
	ref := map[uuid.UUID]uint32{}
	var ids []uuid.UUID
	for step := range 200_000 {
		switch op := rng.IntN(10); {
		case op < 6 || len(ids) == 0: // a new event; some IDs differ in one byte only
			var id uuid.UUID
			if len(ids) > 0 && rng.IntN(4) == 0 {
				id = ids[rng.IntN(len(ids))]
				id[15] ^= byte(1 + rng.IntN(255))
			} else {
				id = uuid.UUID{byte(step), byte(step >> 8), byte(step >> 16)}
			}
			if _, ok := ref[id]; ok {
				continue
			}
			ref[id] = x.add(id)
			ids = append(ids, id)
		case op < 8: // remove one
			i := rng.IntN(len(ids))
			id := ids[i]
			if ev, ok := ref[id]; ok {
				x.remove(ev)
				delete(ref, id)
			}
			ids[i] = ids[len(ids)-1]
			ids = ids[:len(ids)-1]
		default: // find one, present or removed
			id := ids[rng.IntN(len(ids))]
			ev, ok := x.find(id)
			want, wok := ref[id]
			if ok != wok || (ok && ev != want) {
				t.Fatalf("step %d: find(%v) = %d, %v; want %d, %v", step, id, ev, ok, want, wok)
			}
		}
	}
	if x.len() != len(ref) {
		t.Fatalf("live %d, want %d", x.len(), len(ref))
	}
	for id, ev := range ref {
		if got, ok := x.find(id); !ok || got != ev || x.id(ev) != id {
			t.Fatalf("find(%v) = %d, %v; want %d", id, got, ok, ev)
		}
	}
	if _, ok := x.find(uuid.UUID{3: 0xff}); ok { // byte 3 is never set above
		t.Fatal("found an ID never added")
	}
}

func TestEventIDsEmpty(t *testing.T) {
	var x eventIDs
	if _, ok := x.find(uuid.UUID{1}); ok || x.bytes() != 0 {
		t.Fatal("an empty index finds something or holds memory")
	}
}

// BenchmarkEventIDs numbers 1M new events, then finds each.
func BenchmarkEventIDs(b *testing.B) {
	ids := make([]uuid.UUID, 1_000_000)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewRandom())
	}
	var x eventIDs
	for b.Loop() {
		x = eventIDs{}
		for _, id := range ids {
			x.add(id)
		}
		for _, id := range ids {
			if _, ok := x.find(id); !ok {
				b.Fatal("lost an ID")
			}
		}
	}
	b.ReportMetric(float64(x.bytes())/float64(len(ids)), "bytes/event")
}

func TestEventIDsReserve(t *testing.T) {
	var x eventIDs
	x.reserve(3000)
	if len(x.index.slots) != 4000 { // three quarters full, exactly
		t.Fatalf("%d slots for 3,000 events, want 4,000", len(x.index.slots))
	}
	for i := range 3000 {
		x.add(uuid.UUID{byte(i), byte(i >> 8), 1})
	}
	if len(x.index.slots) != 4000 {
		t.Fatalf("grew to %d slots within the reservation", len(x.index.slots))
	}
}

// TestTooManyEvents: a store that has numbered 2^32−1 events refuses the
// next with ErrTooManyEvents and keeps what it has.
func TestTooManyEvents(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	s, _ := New(g, nil)
	if _, _, err := s.Add(ev("a", day(1), PageView, Touch{}, "cookie", "c1")); err != nil {
		t.Fatal(err)
	}
	s.tab.ids.n = math.MaxUint32
	if _, _, err := s.Add(ev("b", day(2), PageView, Touch{}, "cookie", "c1")); !errors.Is(err, ErrTooManyEvents) {
		t.Fatalf("Add at the limit: %v", err)
	}
	if s.Len() != 1 {
		t.Fatalf("%d events", s.Len())
	}
}
