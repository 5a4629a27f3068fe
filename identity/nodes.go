package identity

import (
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
	// flagShare, on a component root: the calibration holds the
	// component's share under it (calibration.parts), so clustering looks
	// up only the members that carry it.
	flagShare
)

// derivedFlags are recomputed from the evidence, never stored.
const derivedFlags = flagSimple | flagShare

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

// The record must stay one cache line.
var _ [64 - unsafe.Sizeof(node{})]struct{}

var _ [unsafe.Sizeof(node{}) - 64]struct{}

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
