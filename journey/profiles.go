package journey

import (
	"encoding/binary"
	"iter"
	"math/bits"
	"math/rand/v2"
	"unsafe"

	"github.com/throughline/throughline/identity"
)

// A profileTable holds each profile's timeline. Entries sit in chunks by
// entry number, and a numIndex finds a profile's entry: filing an event
// reads one slot and one entry, and changes the timeline in place, where
// a Go map of timelines (80-byte values) was probed twice, once to read
// and once to write back, over about twice the memory.
//
// An entry's address stays put while its profile is in the table (chunks
// are never moved), so a *timeline from get or put is good until that
// profile is removed. Entries of removed profiles are reused.
type profileTable struct {
	seed   [2]uint64 // hash's: random, so that no input can crowd one probe run
	index  numIndex
	chunks [][]profileEntry // by entry number: the first firstChunk long, then tableChunk
	top    uint32           // entry numbers handed out
	free   []uint32         // entry numbers of removed profiles
}

type profileEntry struct {
	p  identity.ProfileID // zero: a free entry
	tl timeline
}

const (
	firstChunk = 16 // a small store's whole table
	tableChunk = 4096
)

func newProfileTable() *profileTable {
	return &profileTable{seed: [2]uint64{rand.Uint64(), rand.Uint64()}}
}

// hash mixes p's 128 bits with the table's seed (wyhash's multiply-fold):
// profile IDs are hashes of identifiers, which callers choose.
func (t *profileTable) hash(p identity.ProfileID) uint64 {
	b := p.As16()
	hi, lo := bits.Mul64(binary.BigEndian.Uint64(b[:8])^t.seed[0], binary.BigEndian.Uint64(b[8:])^t.seed[1])
	return hi ^ lo
}

func (t *profileTable) entry(n uint32) *profileEntry {
	if n < firstChunk {
		return &t.chunks[0][n]
	}
	n -= firstChunk
	return &t.chunks[1+n/tableChunk][n%tableChunk]
}

func (t *profileTable) hashOf(n uint32) uint64 { return t.hash(t.entry(n).p) }

// get returns p's timeline, or nil when p has none.
func (t *profileTable) get(p identity.ProfileID) *timeline {
	n, ok := t.index.find(t.hash(p), func(n uint32) bool { return t.entry(n).p == p })
	if !ok {
		return nil
	}
	return &t.entry(n).tl
}

// put returns p's timeline, adding an empty one when p has none. The
// caller gives it a record before the lock is let go: a profile in the
// table has events.
func (t *profileTable) put(p identity.ProfileID) *timeline {
	h := t.hash(p)
	if n, ok := t.index.find(h, func(n uint32) bool { return t.entry(n).p == p }); ok {
		return &t.entry(n).tl
	}
	var n uint32
	if k := len(t.free); k > 0 {
		n, t.free = t.free[k-1], t.free[:k-1]
	} else {
		n = t.top
		t.top++
		switch {
		case n == 0:
			t.chunks = append(t.chunks, make([]profileEntry, firstChunk))
		case n >= firstChunk && (n-firstChunk)%tableChunk == 0:
			t.chunks = append(t.chunks, make([]profileEntry, tableChunk))
		}
	}
	e := t.entry(n)
	e.p = p
	t.index.insert(h, n, t.hashOf)
	return &e.tl
}

// set stores tl as p's timeline, or removes p when tl is empty.
func (t *profileTable) set(p identity.ProfileID, tl timeline) {
	if tl.n == 0 {
		t.remove(p)
		return
	}
	*t.put(p) = tl
}

// remove takes p and its timeline out of the table.
func (t *profileTable) remove(p identity.ProfileID) {
	h := t.hash(p)
	n, ok := t.index.find(h, func(n uint32) bool { return t.entry(n).p == p })
	if !ok {
		return
	}
	t.index.remove(h, n, t.hashOf)
	*t.entry(n) = profileEntry{}
	t.free = append(t.free, n)
}

// len is the number of profiles in the table.
func (t *profileTable) len() int { return t.index.live }

// at returns the profile and timeline of entry number n, below t.top; p is
// zero for a free entry. Entries may be read by several goroutines at once
// (Funnel's workers split them by number).
func (t *profileTable) at(n uint32) (identity.ProfileID, *timeline) {
	e := t.entry(n)
	return e.p, &e.tl
}

// all yields the profiles and their timelines in entry order. The body
// may remove profiles (they are not yielded after); a profile it adds may
// or may not be yielded.
func (t *profileTable) all() iter.Seq2[identity.ProfileID, *timeline] {
	return func(yield func(identity.ProfileID, *timeline) bool) {
		for n := range t.top {
			if p, tl := t.at(n); !p.IsZero() && !yield(p, tl) {
				return
			}
		}
	}
}

// bytes is the memory the table holds, timelines' bytes aside.
func (t *profileTable) bytes() int {
	n := t.index.bytes() + 4*cap(t.free)
	for _, c := range t.chunks {
		n += len(c) * int(unsafe.Sizeof(profileEntry{}))
	}
	return n
}
