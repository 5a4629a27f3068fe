package identity

import (
	"iter"
	"math/bits"
	"unsafe"
)

// nodes holds one 64-byte record (a cache line) per distinct identifier, in
// chunks of 2^16 records. A record holds all a lookup needs: hash, kind,
// parent and the value itself when it fits in 32 bytes (most cookies, phones
// and emails do; longer values go to the chunk's byte arena). A resolve thus
// reads the index slot, the record and the root's record: three cache lines.
// Chunks grow without copying, so memory never doubles while the graph grows,
// and the GC sees no per-node pointers.
type nodes struct {
	chunks []*chunk
	n      uint32
}

type chunk struct {
	rec   [chunkSize]node
	arena []byte
}

const (
	chunkBits = 16
	chunkSize = 1 << chunkBits
	// maxValueLen bounds a canonical value; longer values are refused by
	// KindSpec.normalize, so a value length always fits the record.
	maxValueLen = 4096
)

type node struct {
	hi, lo uint64 // the ProfileID this node gives when it anchors; hi is also the index hash
	parent uint32 // union-find parent within the node's component
	next   uint32 // circular list of the component's members, spliced on union
	anchor uint32 // the anchor of the node's profile (itself when it anchors)
	adj    uint32 // head of the node's incidence list (observations), +1; 0 is none
	off    uint32 // value offset in the chunk arena, when vlen > inlineLen
	vlen   uint16
	kind   uint8
	flags  uint8
	// hardSeen counts, saturating, the hard identifiers seen alongside this
	// one over all its observations: an upper bound of its distinct hard
	// neighbours, so hub checks run only once it passes the limit.
	hardSeen uint8
	inline   [inlineLen]byte
}

const inlineLen = 23

// Node flags.
const (
	flagJunk   = 1 << iota // on a junk list: never links
	flagHub                // seen with too many people: quarantined, never links
	flagErased             // forgotten: value wiped, never matches
	flagDead               // no live evidence left (retracted): does not resolve
	// flagSimple, on an anchor: its profile is its whole component and has
	// at most one hard cluster (no bridge made it), so evidence that only
	// adds to that cluster cannot change it and needs no reclustering.
	flagSimple
)

// linking reports whether a node may join others.
func (r *node) linking() bool { return r.flags&(flagJunk|flagHub|flagErased) == 0 }

func (ns *nodes) len() int { return int(ns.n) }

func (ns *nodes) at(n uint32) *node { return &ns.chunks[n>>chunkBits].rec[n&(chunkSize-1)] }

func (ns *nodes) add(hi, lo uint64, k uint8, v string) uint32 {
	n := ns.n
	c := int(n >> chunkBits)
	if c == len(ns.chunks) {
		ns.chunks = append(ns.chunks, &chunk{})
	}
	ch := ns.chunks[c]
	r := &ch.rec[n&(chunkSize-1)]
	*r = node{hi: hi, lo: lo, parent: n, next: n, anchor: n, vlen: uint16(len(v)), kind: k}
	if len(v) <= inlineLen {
		copy(r.inline[:], v)
	} else {
		r.off = uint32(len(ch.arena))
		ch.arena = append(ch.arena, v...)
	}
	ns.n++
	return n
}

func (ns *nodes) value(n uint32) []byte {
	ch := ns.chunks[n>>chunkBits]
	r := &ch.rec[n&(chunkSize-1)]
	if r.vlen <= inlineLen {
		return r.inline[:r.vlen]
	}
	return ch.arena[r.off : r.off+uint32(r.vlen)]
}

// find returns n's root, halving the path on the way (writers only).
func (ns *nodes) find(n uint32) uint32 {
	for {
		r := ns.at(n)
		if r.parent == n {
			return n
		}
		gp := ns.at(r.parent).parent
		r.parent = gp
		n = gp
	}
}

// profile returns the anchor of n's profile. Anchor pointers form a second
// forest: clustering points every member straight at its anchor, and with
// rules disabled whole profiles are linked under a better anchor in O(1).
// It does not write: safe under a read lock.
func (ns *nodes) profile(n uint32) uint32 {
	for {
		a := ns.at(n).anchor
		if a == n {
			return n
		}
		n = a
	}
}

// findProfile is profile with path halving (writers only).
func (ns *nodes) findProfile(n uint32) uint32 {
	for {
		r := ns.at(n)
		if r.anchor == n {
			return n
		}
		ga := ns.at(r.anchor).anchor
		r.anchor = ga
		n = ga
	}
}

func (ns *nodes) bytes() int {
	b := cap(ns.chunks) * 8
	for _, c := range ns.chunks {
		b += int(unsafe.Sizeof(c.rec)) + cap(c.arena)
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

// evidence stores observations compactly, in chunks of 2^14: per
// observation its time, source, trust and the span of its member nodes in the
// chunk's flat member slice. Chunks, unlike one growing slice, never copy
// what they hold as the journal of evidence grows.
type evidence struct {
	chunks []*evChunk
	n      int
}

const (
	evChunkBits = 14
	evChunkSize = 1 << evChunkBits
)

type evChunk struct {
	time   [evChunkSize]int64
	source [evChunkSize]uint32
	end    [evChunkSize]uint32 // members of observation i end at member[end[i]]
	trust  [evChunkSize]uint8
	flags  [evChunkSize]uint8
	member []uint32
}

// Observation flags.
const (
	obsAttachOnly = 1 << iota // may attach soft IDs, never merge profiles that hold hard IDs
	obsRetracted              // withdrawn: no longer evidence
)

// erasedMember replaces a forgotten node in an observation's member list.
const erasedMember = ^uint32(0)

func (e *evidence) add(t int64, src uint32, tr Trust, flags uint8, members []uint32) uint32 {
	c, i := e.n>>evChunkBits, e.n&(evChunkSize-1)
	if c == len(e.chunks) {
		e.chunks = append(e.chunks, &evChunk{member: make([]uint32, 0, evChunkSize*3)})
	}
	ch := e.chunks[c]
	ch.time[i], ch.source[i], ch.trust[i], ch.flags[i] = t, src, uint8(tr), flags
	ch.member = append(ch.member, members...)
	ch.end[i] = uint32(len(ch.member))
	e.n++
	return uint32(e.n - 1)
}

// obsRec is one observation as stored.
type obsRec struct {
	time    int64
	source  uint32
	trust   Trust
	flags   uint8
	members []uint32 // aliases the store: do not keep past the lock
}

// at returns observation i.
func (e *evidence) at(i uint32) obsRec {
	ch := e.chunks[i>>evChunkBits]
	j := i & (evChunkSize - 1)
	start := uint32(0)
	if j > 0 {
		start = ch.end[j-1]
	}
	return obsRec{ch.time[j], ch.source[j], Trust(ch.trust[j]), ch.flags[j], ch.member[start:ch.end[j]]}
}

func (e *evidence) setFlag(i uint32, f uint8) {
	e.chunks[i>>evChunkBits].flags[i&(evChunkSize-1)] |= f
}

// incidences link each node to the observations it appears in: singly
// linked lists threaded through chunked entries, newest first.
type incidences struct {
	chunks [][]incidence
	n      uint32
}

type incidence struct{ obs, next uint32 } // next is an entry index +1; 0 ends the list

const incChunk = 1 << 16

func (in *incidences) push(head *uint32, obs uint32) {
	c := in.n / incChunk
	if int(c) == len(in.chunks) {
		in.chunks = append(in.chunks, make([]incidence, incChunk))
	}
	in.chunks[c][in.n%incChunk] = incidence{obs: obs, next: *head}
	in.n++
	*head = in.n
}

// each calls fn for every observation on the list starting at head.
func (in *incidences) each(head uint32, fn func(obs uint32)) {
	for e := head; e != 0; {
		ent := in.chunks[(e-1)/incChunk][(e-1)%incChunk]
		fn(ent.obs)
		e = ent.next
	}
}

// until calls fn for observations on the list, newest first, until it
// returns false.
func (in *incidences) until(head uint32, fn func(obs uint32) bool) {
	for e := head; e != 0; {
		ent := in.chunks[(e-1)/incChunk][(e-1)%incChunk]
		if !fn(ent.obs) {
			return
		}
		e = ent.next
	}
}

func (in *incidences) bytes() int { return len(in.chunks) * incChunk * 8 }

func (e *evidence) len() int { return e.n }

func (e *evidence) bytes() int {
	b := cap(e.chunks) * 8
	for _, c := range e.chunks {
		b += int(unsafe.Sizeof(*c)) - int(unsafe.Sizeof(c.member)) + cap(c.member)*4
	}
	return b
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

// The record must stay one cache line.
var _ [64 - unsafe.Sizeof(node{})]struct{}
var _ [unsafe.Sizeof(node{}) - 64]struct{}

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

// wipe erases a node's value and hashes, for Forget.
func (ns *nodes) wipe(n uint32) {
	ch := ns.chunks[n>>chunkBits]
	r := &ch.rec[n&(chunkSize-1)]
	if r.vlen > inlineLen {
		clear(ch.arena[r.off : r.off+uint32(r.vlen)])
	}
	r.inline = [inlineLen]byte{}
	r.hi, r.lo, r.vlen = 0, 0, 0
}

// erase replaces node n in observation o's members.
func (e *evidence) erase(o, n uint32) {
	ch := e.chunks[o>>evChunkBits]
	j := o & (evChunkSize - 1)
	start := uint32(0)
	if j > 0 {
		start = ch.end[j-1]
	}
	for i := start; i < ch.end[j]; i++ {
		if ch.member[i] == n {
			ch.member[i] = erasedMember
		}
	}
}
