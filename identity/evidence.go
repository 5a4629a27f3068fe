package identity

import (
	"unsafe"
)

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

// erase replaces node n in observation o's members.
func (e *evidence) erase(o, n uint32) (slots []uint32) {
	ch := e.chunks[o>>evChunkBits]
	j := o & (evChunkSize - 1)
	start := uint32(0)
	if j > 0 {
		start = ch.end[j-1]
	}
	for i := start; i < ch.end[j]; i++ {
		if ch.member[i] == n {
			ch.member[i] = erasedMember
			slots = append(slots, i)
		}
	}
	return slots
}

// unerase puts n back in the slots of o's members that erase returned.
func (e *evidence) unerase(o uint32, slots []uint32, n uint32) {
	ch := e.chunks[o>>evChunkBits]
	for _, i := range slots {
		ch.member[i] = n
	}
}
