package journey

import (
	"math/rand/v2"
	"testing"
)

// TestNumIndex checks a numIndex against the items it was given: every
// indexed item is found and no removed one, through growth, reserved
// sizes that are not powers of two, removals that shift probe runs back
// (across the wrap), and crowded homes. guess names the item a find
// returns, or one before it on the probe path with the same fingerprint.
func TestNumIndex(t *testing.T) {
	for _, tc := range []struct {
		name    string
		reserve int
		crowd   bool // hashes agree in the bits that choose the home slot
		remove  int  // of each 8 items added, how many are removed again
	}{
		{"grow", 0, false, 0},
		{"reserved", 7_001, false, 0},
		{"remove", 0, false, 5},
		{"crowded", 3_333, true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 8))
			var hashes []uint64 // by item number
			hashOf := func(n uint32) uint64 { return hashes[n] }
			var x numIndex
			x.reserve(tc.reserve, hashOf)
			live := map[uint32]bool{}
			for i := range 10_000 {
				h := rng.Uint64()
				if tc.crowd {
					h = h>>32<<32 | 0xffffff00 | h&0xff // homes at the end: runs that wrap
				}
				n := uint32(len(hashes))
				hashes = append(hashes, h)
				x.insert(h, n, hashOf)
				live[n] = true
				if i%8 < tc.remove {
					victim := uint32(rng.IntN(len(hashes)))
					x.remove(hashes[victim], victim, hashOf)
					delete(live, victim)
				}
			}
			if x.live != len(live) {
				t.Fatalf("%d live, want %d", x.live, len(live))
			}
			wrong := 0
			for n, h := range hashes {
				got, ok := x.find(h, func(m uint32) bool { return m == uint32(n) })
				if ok != live[uint32(n)] || ok && got != uint32(n) {
					t.Fatalf("find %d = %d, %v; want live %v", n, got, ok, live[uint32(n)])
				}
				switch g := x.guess(h); {
				case ok && g == uint32(n)+1:
				case g != 0 && hashes[g-1]>>32 == h>>32:
					wrong++
				case g != 0 || ok:
					t.Fatalf("guess %d = %d, want %d or an item of its fingerprint", n, g, n+1)
				}
			}
			if wrong > len(hashes)/100 {
				t.Fatalf("%d of %d guesses name another item", wrong, len(hashes))
			}
		})
	}
}
