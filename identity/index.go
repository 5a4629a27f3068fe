package identity

import (
	"iter"
	"math/bits"
	"runtime"
)

// index maps (kind, value) to a node: open addressing with linear probing.
// Slots are chosen by the hash's high bits, which lets a ProfileID (whose
// first 64 bits are its anchor's hash but for the UUID version nibble)
// find its anchor.
//
// A slot holds node+1 in its low nodeBits bits (0 marks an empty slot)
// and, in the bits node numbers leave free, a fingerprint of the hash: a
// probe past another identifier's slot then mostly skips it without
// reading its record, a cache miss in a large graph. nodeBits grows with
// the node numbers (the table is rebuilt when one outgrows it), so a
// small graph's fingerprints are long and a graph of 10^8 identifiers
// keeps a few bits.
type index struct {
	slots    []uint32
	shift    uint // 64 - log2(len(slots))
	count    int
	nodeBits uint // slot bits that hold node+1; the rest, the fingerprint
}

func (ix *index) init(size int) {
	size = 1 << bits.Len(uint(size-1))
	ix.slots = make([]uint32, size)
	ix.shift = uint(64 - bits.TrailingZeros(uint(size)))
	ix.count = 0
	// Room for node numbers up to twice the slots: a graph fills its
	// index to 3/4 before it grows, and dead nodes keep their numbers.
	ix.nodeBits = max(ix.nodeBits, min(uint(bits.Len(uint(size))), 32))
}

// fingerprint is the slot bits h gives above node+1: hash bits 16 and up,
// which neither the slot choice (the top bits) nor the version nibble
// (bits 12-15) fix.
func (ix *index) fingerprint(h uint64) uint32 {
	return uint32(h>>16) << ix.nodeBits // 0 when nodeBits is 32
}

// node is the node a full slot holds.
func (ix *index) node(s uint32) uint32 { return s&(1<<ix.nodeBits-1) - 1 }

// matches reports whether full slot s may hold a node whose hash gives
// fingerprint fp.
func (ix *index) matches(s uint32, fp uint32) bool {
	return s&^(1<<ix.nodeBits-1) == fp
}

func (ix *index) lookup(ns *nodes, h uint64, k uint8, v string) (uint32, bool) {
	mask := uint64(len(ix.slots) - 1)
	fp := ix.fingerprint(h)
	for i := h >> ix.shift; ; i = (i + 1) & mask {
		s := ix.slots[i]
		if s == 0 {
			return 0, false
		}
		if !ix.matches(s, fp) {
			continue
		}
		n := ix.node(s)
		if r := ns.at(n); r.hi == h && r.kind == k && int(r.vlen) == len(v) && string(ns.value(n)) == v {
			return n, true
		}
	}
}

func (ix *index) insert(ns *nodes, n uint32) {
	switch {
	case (ix.count+1)*4 > len(ix.slots)*3:
		ix.rebuild(ns, len(ix.slots)*2, ix.nodeBits)
	case uint64(n)+1 >= 1<<ix.nodeBits:
		// Node numbers outgrew their bits: shorter fingerprints.
		ix.rebuild(ns, len(ix.slots), ix.nodeBits+1)
	}
	ix.place(ns.at(n).hi, n)
	ix.count++
}

func (ix *index) place(h uint64, n uint32) {
	mask := uint64(len(ix.slots) - 1)
	i := h >> ix.shift
	for ix.slots[i] != 0 {
		i = (i + 1) & mask
	}
	ix.slots[i] = ix.fingerprint(h) | (n + 1)
}

// rebuild places every node anew in a table of size slots, nodeBits of
// each for node+1 (or more, if size needs them).
func (ix *index) rebuild(ns *nodes, size int, nodeBits uint) {
	old, oldBits := ix.slots, ix.nodeBits
	ix.slots = nil // let the old table go before the new one is filled, where the GC can
	ix.nodeBits = nodeBits
	ix.init(size)
	for _, s := range old {
		if s != 0 {
			n := s&(1<<oldBits-1) - 1
			ix.place(ns.at(n).hi, n)
			ix.count++
		}
	}
}

// readAhead reads the slots where probes for the hashes hs start, in a
// loop that does nothing else, then the records they name. A lookup in a
// large graph misses the cache on its slot and its record, one after the
// other; loops that small let the processor have many misses in flight at
// once, where a whole lookup's code has room for a few. An index smaller
// than touchFrom slots stays in cache, and is not read ahead.
func (ix *index) readAhead(ns *nodes, hs []uint64) {
	if len(ix.slots) < touchFrom {
		return
	}
	var sink uint32
	for _, h := range hs {
		sink += ix.slots[h>>ix.shift]
	}
	for _, h := range hs {
		if n := ix.guess(h); n != 0 {
			sink += ns.at(n - 1).anchor
		}
	}
	runtime.KeepAlive(sink) // so the reads are not optimised away
}

// guess is the node a lookup of h most likely finds, as node+1 (0: none):
// the first on h's probe path whose fingerprint matches. At three
// quarters full the home slot holds another identifier's node about half
// the time, so reading ahead the home slot's record would miss as often.
func (ix *index) guess(h uint64) uint32 {
	mask := uint64(len(ix.slots) - 1)
	fp := ix.fingerprint(h)
	for i := h >> ix.shift; ; i = (i + 1) & mask {
		if s := ix.slots[i]; s == 0 || ix.matches(s, fp) {
			return s & (1<<ix.nodeBits - 1)
		}
	}
}

// touchFrom is the index size from which readAhead reads.
const touchFrom = 1 << 18

// candidates yields the nodes whose hash is h.
func (ix *index) candidates(ns *nodes, h uint64) iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		mask := uint64(len(ix.slots) - 1)
		fp := ix.fingerprint(h)
		for i := h >> ix.shift; ; i = (i + 1) & mask {
			s := ix.slots[i]
			if s == 0 {
				return
			}
			if ix.matches(s, fp) && ns.at(ix.node(s)).hi == h && !yield(ix.node(s)) {
				return
			}
		}
	}
}

func (ix *index) bytes() int { return cap(ix.slots) * 4 }

// remove takes node n out of the index (backward-shift deletion, which keeps
// linear probing correct without tombstone slots).
func (ix *index) remove(ns *nodes, n uint32) {
	mask := uint64(len(ix.slots) - 1)
	i := ns.at(n).hi >> ix.shift
	for ix.slots[i] != 0 && ix.node(ix.slots[i]) != n {
		i = (i + 1) & mask
	}
	if ix.slots[i] == 0 {
		return
	}
	for j := i; ; {
		j = (j + 1) & mask
		s := ix.slots[j]
		if s == 0 {
			break
		}
		home := ns.at(ix.node(s)).hi >> ix.shift
		// Move s back to i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			ix.slots[i] = s
			i = j
		}
	}
	ix.slots[i] = 0
	ix.count--
}
