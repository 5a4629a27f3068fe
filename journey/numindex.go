package journey

import "math/bits"

// A numIndex finds numbered items by a 64-bit hash of their key. The items
// live elsewhere, in number order (eventIDs' IDs, profileTable's entries);
// the index is an open-addressing table of 8-byte slots, each the hash's
// high 32 bits (a fingerprint) beside the item's number+1, 0 being empty,
// probed linearly from a home slot the hash's low bits give.
//
// A probe compares an item's key only when a fingerprint matches, so an
// absent key (a new event, a new profile: the common case) reads one slot
// and almost never an item, and a present one reads its item once. A Go
// map would keep the keys themselves in the table, two to five times the
// bytes, and probe them.
//
// Callers supply the hash of an item by number (hashOf), for growing and
// for deleting, which shifts back the slots after the one deleted: probe
// runs stay unbroken without tombstones.
type numIndex struct {
	slots []uint64 // fingerprint<<32 | number+1; 0 is empty
	live  int      // numbers in slots
}

// home is the slot a probe for h starts at: the hash's low 32 bits scaled
// to the table (Lemire's multiply-shift), so a table may take any size,
// not only a power of two, and a reserved one holds no more slack than
// its load factor asks. The fingerprint is the high 32 bits: independent
// of the home slot.
func (x *numIndex) home(h uint64) uint64 {
	hi, _ := bits.Mul64(h<<32, uint64(len(x.slots)))
	return hi
}

// next is the slot after i, wrapping round.
func (x *numIndex) next(i uint64) uint64 {
	if i++; i == uint64(len(x.slots)) {
		return 0
	}
	return i
}

// find returns the number of the item whose key hashes to h and is the
// one sought (is reports whether the item of a number is).
func (x *numIndex) find(h uint64, is func(n uint32) bool) (uint32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	fp := h >> 32
	for i := x.home(h); ; i = x.next(i) {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if s>>32 == fp && is(uint32(s)-1) {
			return uint32(s) - 1, true
		}
	}
}

// guess returns the number+1 of the item a find for h most likely
// returns, 0 for none: the first on h's probe path whose fingerprint
// matches. Reading ahead reads that item, where the home slot's would, at
// three quarters full, be another key's about half the time.
func (x *numIndex) guess(h uint64) uint32 {
	if len(x.slots) == 0 {
		return 0
	}
	fp := h >> 32
	for i := x.home(h); ; i = x.next(i) {
		if s := x.slots[i]; s == 0 || s>>32 == fp {
			return uint32(s)
		}
	}
}

// insert indexes item n, whose key hashes to h and is not indexed, growing
// the table past three quarters full.
func (x *numIndex) insert(h uint64, n uint32, hashOf func(uint32) uint64) {
	if (x.live+1)*4 > len(x.slots)*3 {
		x.resize(max(16, 2*len(x.slots)), hashOf)
	}
	x.place(h, n)
	x.live++
}

func (x *numIndex) place(h uint64, n uint32) {
	i := x.home(h)
	for x.slots[i] != 0 {
		i = x.next(i)
	}
	x.slots[i] = h>>32<<32 | uint64(n+1)
}

// reserve sizes the table for n items exactly, three quarters full, so
// that a bulk load does not grow it step by step.
func (x *numIndex) reserve(n int, hashOf func(uint32) uint64) {
	if size := max(16, (4*n+2)/3); size > len(x.slots) {
		x.resize(size, hashOf)
	}
}

// resize places the items anew in a table of size slots, in the old
// slots' order, so that the new slots fill about in order too. The items'
// hashes are read a group at a time before any is placed: hashOf reads an
// item where it lives, a cache miss each, and in a loop that does nothing
// else the misses overlap.
func (x *numIndex) resize(size int, hashOf func(uint32) uint64) {
	old := x.slots
	x.slots = make([]uint64, size)
	var ns [256]uint32
	var hs [256]uint64
	for len(old) > 0 {
		k := 0
		for len(old) > 0 && k < len(ns) {
			if s := old[0]; s != 0 {
				ns[k], k = uint32(s)-1, k+1
			}
			old = old[1:]
		}
		for i := range k {
			hs[i] = hashOf(ns[i])
		}
		for i := range k {
			x.place(hs[i], ns[i])
		}
	}
}

// remove takes item n, whose key hashes to h, out of the index; an item
// not indexed is no error.
func (x *numIndex) remove(h uint64, n uint32, hashOf func(uint32) uint64) {
	if len(x.slots) == 0 {
		return
	}
	i := x.home(h)
	for uint32(x.slots[i]) != n+1 {
		if x.slots[i] == 0 {
			return
		}
		i = x.next(i)
	}
	for j := x.next(i); x.slots[j] != 0; j = x.next(j) {
		home := x.home(hashOf(uint32(x.slots[j]) - 1))
		// The slot at j may move to i when i lies on its probe path, the
		// cyclic range [home, j).
		if x.behind(home, j) >= x.behind(i, j) {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = 0
	x.live--
}

// behind is how many slots a lies before b, going round.
func (x *numIndex) behind(a, b uint64) uint64 {
	if a <= b {
		return b - a
	}
	return b + uint64(len(x.slots)) - a
}

func (x *numIndex) bytes() int { return len(x.slots) * 8 }
