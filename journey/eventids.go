package journey

import (
	"github.com/cespare/xxhash/v2"
	"github.com/google/uuid"
)

// eventIDs numbers the stored events and finds them by ID. Records carry
// the 4-byte event number instead of the 16-byte ID, the IDs sit in
// chunks of 65,536 in number order (no slack beyond the last chunk), and
// the duplicate index is a numIndex: a probe of an absent ID (the common
// case: a new event) reads one slot and, almost always, no ID.
//
// A Go map of IDs cost about 40 bytes an event; this costs 16 for the ID
// and 8 to 16 for the slot, the table being half to fully three quarters
// full.
type eventIDs struct {
	chunks [][]uuid.UUID // event number → ID
	n      uint32        // numbers handed out
	index  numIndex
}

const idChunk = 1 << 16

func idHash(id uuid.UUID) uint64 { return xxhash.Sum64(id[:]) }

// id returns the ID of event number ev.
func (x *eventIDs) id(ev uint32) uuid.UUID { return x.chunks[ev/idChunk][ev%idChunk] }

// hashOf is the idHash of event number ev's ID.
func (x *eventIDs) hashOf(ev uint32) uint64 { return idHash(x.id(ev)) }

// find returns the number of the event of ID id.
func (x *eventIDs) find(id uuid.UUID) (uint32, bool) { return x.findHashed(id, idHash(id)) }

// findHashed is find for an ID whose idHash is h.
func (x *eventIDs) findHashed(id uuid.UUID, h uint64) (uint32, bool) {
	return x.index.find(h, func(ev uint32) bool { return x.id(ev) == id })
}

// add numbers an event whose ID is not stored and returns its number.
func (x *eventIDs) add(id uuid.UUID) uint32 { return x.addHashed(id, idHash(id)) }

// addHashed is add for an ID whose idHash is h.
func (x *eventIDs) addHashed(id uuid.UUID, h uint64) uint32 {
	ev := x.n
	if ev%idChunk == 0 { // the first chunk grows as append grows it; the
		// others are made whole, since the store is large by then
		x.chunks = append(x.chunks, make([]uuid.UUID, 0, min(idChunk, ev+1)))
	}
	c := &x.chunks[ev/idChunk]
	*c = append(*c, id)
	x.n++
	x.index.insert(h, ev, x.hashOf)
	return ev
}

// reserve sizes the index for n events, so that a bulk load does not grow
// it step by step.
func (x *eventIDs) reserve(n int) { x.index.reserve(n, x.hashOf) }

// remove takes event number ev out of the index (the number is not
// reused).
func (x *eventIDs) remove(ev uint32) { x.index.remove(x.hashOf(ev), ev, x.hashOf) }

// len is the number of events stored (numbered and not removed).
func (x *eventIDs) len() int { return x.index.live }

// bytes is the memory the index holds.
func (x *eventIDs) bytes() int {
	n := x.index.bytes()
	for _, c := range x.chunks {
		n += cap(c) * 16
	}
	return n
}
