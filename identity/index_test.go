package identity

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestIndexFingerprints drives the index through growth, removal and node
// numbers that outgrow their slot bits (which shortens the fingerprints
// and rebuilds the table), with hashes that share their slot bits, and
// checks every lookup against a map.
func TestIndexFingerprints(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		crowd  bool // hashes agree in the bits that choose the slot
		remove int  // of each 8 nodes added, how many are removed again
	}{
		{"grow", 16, false, 0},
		{"remove", 16, false, 6}, // node numbers run far past the count
		{"crowded", 1024, true, 3},
		{"big", 1 << 12, false, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ns nodes
			var ix index
			ix.init(tc.size)
			rng := rand.New(rand.NewPCG(5, 6))
			want := map[string]uint32{}
			for i := range 20_000 {
				v := fmt.Sprintf("v%d", i)
				h := rng.Uint64()
				if tc.crowd {
					h = h>>58<<58 | h&(1<<40-1) // six slot bits: long probe runs
				}
				h = h&^(0xf<<12) | 0x8<<12
				n := ns.add(h, 0, 0, v)
				ix.insert(&ns, n)
				want[v] = n
				if i%8 < tc.remove {
					ix.remove(&ns, n)
					delete(want, v)
				}
			}
			if ix.count != len(want) {
				t.Fatalf("count %d, want %d", ix.count, len(want))
			}
			if ns.n >= 1<<ix.nodeBits {
				t.Fatalf("node %d does not fit %d slot bits", ns.n-1, ix.nodeBits)
			}
			wrong := 0
			for n := range ns.n {
				v := string(ns.value(n))
				got, found := ix.lookup(&ns, ns.at(n).hi, 0, v)
				if w, ok := want[v]; found != ok || (ok && got != w) {
					t.Fatalf("lookup %s = %d, %v; want %d, %v", v, got, found, w, ok)
				}
				if _, found := ix.lookup(&ns, ns.at(n).hi, 1, v); found {
					t.Fatalf("lookup %s of another kind found it", v)
				}
				var cands []uint32
				for c := range ix.candidates(&ns, ns.at(n).hi) {
					cands = append(cands, c)
				}
				if _, ok := want[v]; ok != (len(cands) == 1 && cands[0] == n) {
					t.Fatalf("candidates of %s: %v", v, cands)
				}
				// guess names the node a lookup finds, or one before it on
				// the probe path with the same fingerprint (then a miss).
				h := ns.at(n).hi
				g := ix.guess(h)
				switch _, ok := want[v]; {
				case ok && g == n+1:
				case g != 0 && ix.fingerprint(ns.at(g-1).hi) == ix.fingerprint(h):
					wrong++
				case g != 0 || ok:
					t.Fatalf("guess %s = %d, want %d or a node of its fingerprint", v, g, n+1)
				}
			}
			if wrong > int(ns.n)/100 {
				t.Fatalf("%d of %d guesses name another node", wrong, ns.n)
			}
		})
	}
}
