package identity

import (
	"iter"
	"math/bits"
)

// nodes holds one entry per distinct identifier, in structure-of-arrays
// form: a few bytes per identifier in flat slices keeps a graph of millions
// of identifiers small and free of per-node pointers the GC would scan.
type nodes struct {
	hash   []uint64 // index hash of (kind, value)
	kind   []uint8
	parent []uint32 // union-find parent; a root is its own parent
	next   []uint32 // circular list of a profile's members, spliced on union
	// Values live in arenas of valChunk nodes each; end[i] is where node i's
	// value ends in its arena (it starts where node i-1's ends, or at 0).
	arena [][]byte
	end   []uint32
}

const valChunkBits = 16

func (ns *nodes) add(h uint64, k uint8, v string) uint32 {
	n := uint32(len(ns.parent))
	c := int(n >> valChunkBits)
	if c == len(ns.arena) {
		ns.arena = append(ns.arena, make([]byte, 0, 1<<valChunkBits*8))
	}
	ns.arena[c] = append(ns.arena[c], v...)
	ns.end = append(ns.end, uint32(len(ns.arena[c])))
	ns.hash = append(ns.hash, h)
	ns.kind = append(ns.kind, k)
	ns.parent = append(ns.parent, n)
	ns.next = append(ns.next, n)
	return n
}

func (ns *nodes) value(n uint32) []byte {
	a := ns.arena[n>>valChunkBits]
	start := uint32(0)
	if n&(1<<valChunkBits-1) != 0 {
		start = ns.end[n-1]
	}
	return a[start:ns.end[n]]
}

// find returns n's root, halving the path on the way (writers only).
func (ns *nodes) find(n uint32) uint32 {
	p := ns.parent
	for p[n] != n {
		p[n] = p[p[n]]
		n = p[n]
	}
	return n
}

// root returns n's root without writing: safe under a read lock.
func (ns *nodes) root(n uint32) uint32 {
	p := ns.parent
	for p[n] != n {
		n = p[n]
	}
	return n
}

func (ns *nodes) bytes() int {
	b := cap(ns.hash)*8 + cap(ns.kind) + cap(ns.parent)*4 + cap(ns.next)*4 + cap(ns.end)*4
	for _, a := range ns.arena {
		b += cap(a)
	}
	return b
}

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
		if ns.hash[n] == h && ns.kind[n] == k && string(ns.value(n)) == v {
			return n, true
		}
	}
}

func (ix *index) insert(ns *nodes, n uint32) {
	if (ix.count+1)*4 > len(ix.slots)*3 {
		ix.grow(ns)
	}
	ix.place(ns.hash[n], n)
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
			ix.place(ns.hash[s-1], s-1)
			ix.count++
		}
	}
}

// candidates yields the nodes whose hash equals h outside the ignored bits.
// The ignored bits must lie below the slot bits (true for the UUID version
// nibble while the table has fewer than 2^48 slots).
func (ix *index) candidates(ns *nodes, h, ignore uint64) iter.Seq[uint32] {
	return func(yield func(uint32) bool) {
		mask := uint64(len(ix.slots) - 1)
		for i := h >> ix.shift; ; i = (i + 1) & mask {
			s := ix.slots[i]
			if s == 0 {
				return
			}
			if ns.hash[s-1]&^ignore == h&^ignore && !yield(s-1) {
				return
			}
		}
	}
}

func (ix *index) bytes() int { return cap(ix.slots) * 4 }

// evidence stores observations compactly: per observation its time, source,
// trust and the span of its member nodes in one flat slice.
type evidence struct {
	time   []int64
	source []uint32
	trust  []uint8
	start  []uint64 // members of observation i: members[start[i]:start[i+1]]
	member []uint32
}

func (e *evidence) add(t int64, src uint32, tr Trust, members []uint32) {
	if len(e.start) == 0 {
		e.start = append(e.start, 0)
	}
	e.time = append(e.time, t)
	e.source = append(e.source, src)
	e.trust = append(e.trust, uint8(tr))
	e.member = append(e.member, members...)
	e.start = append(e.start, uint64(len(e.member)))
}

func (e *evidence) len() int { return len(e.time) }

func (e *evidence) bytes() int {
	return cap(e.time)*8 + cap(e.source)*4 + cap(e.trust) + cap(e.start)*8 + cap(e.member)*4
}

// sourceTable interns source names.
type sourceTable struct {
	ix    map[string]uint32
	names []string
}

func (s *sourceTable) intern(name string) uint32 {
	if i, ok := s.ix[name]; ok {
		return i
	}
	if s.ix == nil {
		s.ix = make(map[string]uint32)
	}
	i := uint32(len(s.names))
	s.ix[name] = i
	s.names = append(s.names, name)
	return i
}

func (s *sourceTable) bytes() int {
	b := 0
	for _, n := range s.names {
		b += len(n) + 48
	}
	return b
}
