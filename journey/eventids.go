package journey

import (
	"github.com/cespare/xxhash/v2"
	"github.com/google/uuid"
)

// eventIDs numbers the stored events and finds them by ID. Records carry
// the 4-byte event number instead of the 16-byte ID, the IDs sit in
// chunks of 65,536 in number order (no slack beyond the last chunk), and the
// duplicate index is an open-addressing table of 8-byte slots: a 32-bit
// fingerprint of the ID beside its number. A probe of an absent ID (the
// common case: a new event) reads one slot and, almost always, no ID.
//
// A Go map of IDs cost about 40 bytes an event; this costs 16 for the ID
// and 8 to 16 for the slot, the table being half to fully three quarters
// full.
type eventIDs struct {
	chunks [][]uuid.UUID // event number → ID
	n      uint32        // numbers handed out
	slots  []uint64      // fingerprint<<32 | number+1; 0 is empty
	live   int           // numbers in slots
}

const idChunk = 1 << 16

func idHash(id uuid.UUID) uint64 { return xxhash.Sum64(id[:]) }

// id returns the ID of event number ev.
func (x *eventIDs) id(ev uint32) uuid.UUID { return x.chunks[ev/idChunk][ev%idChunk] }

// find returns the number of the event of ID id.
func (x *eventIDs) find(id uuid.UUID) (uint32, bool) { return x.findHashed(id, idHash(id)) }

// findHashed is find for an ID whose idHash is h.
func (x *eventIDs) findHashed(id uuid.UUID, h uint64) (uint32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	fp, mask := h>>32, uint64(len(x.slots)-1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if s>>32 == fp && x.id(uint32(s)-1) == id {
			return uint32(s) - 1, true
		}
	}
}

// add numbers an event whose ID is not stored and returns its number.
func (x *eventIDs) add(id uuid.UUID) uint32 { return x.addHashed(id, idHash(id)) }

// addHashed is add for an ID whose idHash is h.
func (x *eventIDs) addHashed(id uuid.UUID, h uint64) uint32 {
	if (x.live+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	ev := x.n
	if ev%idChunk == 0 { // the first chunk grows as append grows it; the
		// others are made whole, since the store is large by then
		x.chunks = append(x.chunks, make([]uuid.UUID, 0, min(idChunk, ev+1)))
	}
	c := &x.chunks[ev/idChunk]
	*c = append(*c, id)
	x.n++
	x.place(h, ev)
	x.live++
	return ev
}

func (x *eventIDs) place(h uint64, ev uint32) {
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for x.slots[i] != 0 {
		i = (i + 1) & mask
	}
	x.slots[i] = h>>32<<32 | uint64(ev+1)
}

func (x *eventIDs) grow() { x.resize(max(1024, 2*len(x.slots))) }

// reserve sizes the table for n events, so that a bulk load does not grow
// it step by step.
func (x *eventIDs) reserve(n int) {
	size := 1024
	for size*3 < n*4 {
		size *= 2
	}
	if size > len(x.slots) {
		x.resize(size)
	}
}

func (x *eventIDs) resize(size int) {
	old := x.slots
	x.slots = make([]uint64, size)
	for _, s := range old {
		if s != 0 {
			ev := uint32(s) - 1
			x.place(idHash(x.id(ev)), ev)
		}
	}
}

// remove takes event number ev out of the index (the number is not
// reused). Deleting by shifting back the slots after it keeps every probe
// run unbroken without tombstones.
func (x *eventIDs) remove(ev uint32) {
	h := idHash(x.id(ev))
	mask := uint64(len(x.slots) - 1)
	i := h & mask
	for uint32(x.slots[i]) != ev+1 {
		if x.slots[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; x.slots[j] != 0; j = (j + 1) & mask {
		home := idHash(x.id(uint32(x.slots[j])-1)) & mask
		// The slot at j may move to i when i lies on its probe path, the
		// cyclic range [home, j).
		if (j-home)&mask >= (j-i)&mask {
			x.slots[i] = x.slots[j]
			i = j
		}
	}
	x.slots[i] = 0
	x.live--
}

// bytes is the memory the index holds.
func (x *eventIDs) bytes() int {
	n := len(x.slots) * 8
	for _, c := range x.chunks {
		n += cap(c) * 16
	}
	return n
}
