package journey

import (
	"math/rand/v2"
	"testing"

	"github.com/throughline/throughline/identity"
)

// TestProfileTable checks the table against a map through puts, sets,
// gets and removals: entries are reused after removal, chunks are crossed,
// all yields exactly the profiles held, and a *timeline stays the
// profile's while others come and go.
func TestProfileTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	tab := newProfileTable()
	ref := map[identity.ProfileID]int32{} // a timeline's n, as a marker
	var held []identity.ProfileID
	profile := func() identity.ProfileID {
		var p identity.ProfileID
		if err := p.UnmarshalBinary(randomBytes(rng, 16)); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for step := range 100_000 {
		switch op := rng.IntN(10); {
		case op < 5 || len(held) == 0:
			p := profile()
			tl := tab.put(p)
			if tl.n != 0 {
				t.Fatalf("step %d: a new profile's timeline has %d events", step, tl.n)
			}
			tl.n = int32(step + 1)
			ref[p] = tl.n
			held = append(held, p)
		case op < 7:
			i := rng.IntN(len(held))
			p := held[i]
			if rng.IntN(2) == 0 {
				tab.remove(p)
			} else {
				tab.set(p, timeline{}) // an empty timeline removes
			}
			delete(ref, p)
			held[i] = held[len(held)-1]
			held = held[:len(held)-1]
			if tab.get(p) != nil {
				t.Fatalf("step %d: %v still held", step, p)
			}
		case op < 8:
			p := held[rng.IntN(len(held))]
			tab.set(p, timeline{n: int32(step + 1)})
			ref[p] = int32(step + 1)
		default:
			p := held[rng.IntN(len(held))]
			if tl := tab.get(p); tl == nil || tl.n != ref[p] {
				t.Fatalf("step %d: get(%v) = %v, want n %d", step, p, tl, ref[p])
			}
			if tab.get(profile()) != nil {
				t.Fatalf("step %d: a profile never put is held", step)
			}
		}
	}
	if tab.len() != len(ref) {
		t.Fatalf("len %d, want %d", tab.len(), len(ref))
	}
	seen := 0
	for p, tl := range tab.all() {
		if want, ok := ref[p]; !ok || tl.n != want {
			t.Fatalf("all yields %v with n %d; want %d, %v", p, tl.n, want, ok)
		}
		seen++
	}
	if seen != len(ref) {
		t.Fatalf("all yields %d profiles, want %d", seen, len(ref))
	}
	if tab.top > uint32(len(ref))+uint32(len(tab.free)) {
		t.Fatalf("%d entries for %d profiles and %d free: removed entries not reused", tab.top, len(ref), len(tab.free))
	}
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}
