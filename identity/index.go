package identity

import (
	"iter"
	"math/bits"
)

// index maps (kind, value) to a node: open addressing with linear probing
// over node numbers (0 marks an empty slot, so slots hold node+1). Slots are
// chosen by the hash's high bits, which lets a ProfileID (whose first 64 bits
// are its anchor's hash but for the UUID version nibble) find its anchor.
type index struct {
	slots []uint32
	shift uint // 64 - log2(len(slots))
	count int
}

func (ix *index) init(size int) {
	size = 1 << bits.Len(uint(size-1))
	ix.slots = make([]uint32, size)
	ix.shift = uint(64 - bits.TrailingZeros(uint(size)))
	ix.count = 0
}

func (ix *index) lookup(ns *nodes, h uint64, k uint8, v string) (uint32, bool) {
	mask := uint64(len(ix.slots) - 1)
	for i := h >> ix.shift; ; i = (i + 1) & mask {
		s := ix.slots[i]
		if s == 0 {
			return 0, false
		}
		n := s - 1
		if r := ns.at(n); r.hi == h && r.kind == k && int(r.vlen) == len(v) && string(ns.value(n)) == v {
			return n, true
		}
	}
}

func (ix *index) insert(ns *nodes, n uint32) {
	if (ix.count+1)*4 > len(ix.slots)*3 {
		ix.grow(ns)
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
	ix.slots[i] = n + 1
}

func (ix *index) grow(ns *nodes) {
	old := ix.slots
	ix.slots = nil // let the old table go before the new one is filled, where the GC can
	ix.init(len(old) * 2)
	for _, s := range old {
		if s != 0 {
			ix.place(ns.at(s-1).hi, s-1)
			ix.count++
		}
	}
}

// candidates yields the nodes whose hash is h.
func (ix *index) candidates(ns *nodes, h uint64) iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		mask := uint64(len(ix.slots) - 1)
		for i := h >> ix.shift; ; i = (i + 1) & mask {
			s := ix.slots[i]
			if s == 0 {
				return
			}
			if ns.at(s-1).hi == h && !yield(s-1) {
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
	for ix.slots[i] != n+1 {
		if ix.slots[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := i; ; {
		j = (j + 1) & mask
		s := ix.slots[j]
		if s == 0 {
			break
		}
		home := ns.at(s-1).hi >> ix.shift
		// Move s back to i unless its home lies cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			ix.slots[i] = s
			i = j
		}
	}
	ix.slots[i] = 0
	ix.count--
}
