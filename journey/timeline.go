package journey

import (
	"encoding/binary"
	"slices"
)

// A timeline is one profile's events in time order, encoded back to back:
// 4 to 8 bytes an event, where a record in memory is 32. Each record is
// the difference from the one before it, as varints:
//
//	typ<<4 | flags   the interned type; flags: seconds 8, extra 4,
//	                 touch 2, ids 1
//	Δtime            zigzag; in seconds when the seconds flag is set
//	touch            the interned touch, when the touch flag is set
//	extra            the interned extra, when the extra flag is set
//	Δids             zigzag, the identifier list's index, when the ids
//	                 flag is set (it changed)
//	Δev              zigzag: the event number (eventIDs)
//
// A person's events mostly carry one identifier list and come close in
// time, so most differences take a byte or two; whole-second times (what
// most sources send) drop nine digits. An extra is what few events carry,
// interned: a value, properties, an origin (tables.extras).
// Appending in order writes one record; an event arriving late decodes
// the timeline and writes it again. Readers decode into a scratch slice.
type timeline struct {
	data []byte
	n    int32
	last struct { // the last record, which an append is a difference from
		t       int64
		ev, ids uint32
		// key is the keyed hash of the last record's identifier list as
		// it came (listKey), when the filing knew it; zero when
		// not. An event whose list hashes the same carries the same list,
		// which spares comparing lists in cold memory.
		key [2]uint64
	}
}

// rec is a decoded record.
type rec struct {
	t                   int64 // unix nanoseconds
	ev, typ, touch, ids uint32
	extra               uint32 // index into tables.extras (0: none)
}

// maxRecLen bounds an encoded record: a head, a time and three numbers.
const maxRecLen = 2*binary.MaxVarintLen64 + 3*binary.MaxVarintLen64

// The flags of a record's head.
const (
	recIDs uint64 = 1 << iota
	recTouch
	recExtra
	recSeconds
)

// push appends r, which sorts after every record of tl.
func (tl *timeline) push(r rec) {
	var t0 int64
	var ev0, ids0 uint32
	if tl.n > 0 {
		t0, ev0, ids0 = tl.last.t, tl.last.ev, tl.last.ids
	}
	var buf [maxRecLen]byte
	tl.data = append(tl.data, appendRec(buf[:0], r, t0, ev0, ids0)...)
	tl.n++
	tl.last.t, tl.last.ev, tl.last.ids = r.t, r.ev, r.ids
	tl.last.key = [2]uint64{} // the caller sets it when it knows it
}

func appendRec(b []byte, r rec, t0 int64, ev0, ids0 uint32) []byte {
	dt := r.t - t0
	head := uint64(r.typ) << 4
	if dt%1e9 == 0 {
		head |= recSeconds
		dt /= 1e9
	}
	if r.extra != 0 {
		head |= recExtra
	}
	if r.touch != 0 {
		head |= recTouch
	}
	if r.ids != ids0 {
		head |= recIDs
	}
	b = binary.AppendUvarint(b, head)
	b = binary.AppendVarint(b, dt)
	if r.touch != 0 {
		b = binary.AppendUvarint(b, uint64(r.touch))
	}
	if r.extra != 0 {
		b = binary.AppendUvarint(b, uint64(r.extra))
	}
	if r.ids != ids0 {
		b = binary.AppendVarint(b, int64(r.ids)-int64(ids0))
	}
	return binary.AppendVarint(b, int64(r.ev)-int64(ev0))
}

// decode appends tl's records to dst, in order.
func (tl *timeline) decode(dst []rec) []rec {
	dst = slices.Grow(dst, int(tl.n))
	b := tl.data
	var r rec
	for range tl.n {
		r, b = decodeRec(b, r)
		dst = append(dst, r)
	}
	return dst
}

// decodeRec reads the record at the start of b, which follows prev (the
// zero rec for the first), and returns it with the bytes after it.
func decodeRec(b []byte, prev rec) (rec, []byte) {
	var head, touch, extra uint64
	var dt, dids, dev int64
	head, b = uvarint(b)
	dt, b = varint(b)
	if head&recTouch != 0 {
		touch, b = uvarint(b)
	}
	if head&recExtra != 0 {
		extra, b = uvarint(b)
	}
	if head&recIDs != 0 {
		dids, b = varint(b)
	}
	dev, b = varint(b)
	if head&recSeconds != 0 {
		dt *= 1e9
	}
	return rec{
		t: prev.t + dt, typ: uint32(head >> 4), extra: uint32(extra), touch: uint32(touch),
		ids: uint32(int64(prev.ids) + dids), ev: uint32(int64(prev.ev) + dev),
	}, b
}

// insert puts r in its place among tl's records, before the first that
// cmp sorts after it. Only the record after it changes (it becomes a
// difference from r), so the bytes are spliced, not written again.
func (tl *timeline) insert(r rec, cmp func(a, b rec) int) {
	var prev, cur rec
	rest := tl.data
	for range tl.n {
		start := len(tl.data) - len(rest)
		cur, rest = decodeRec(rest, prev)
		if cmp(cur, r) > 0 {
			var buf [2 * maxRecLen]byte
			enc := appendRec(buf[:0], r, prev.t, prev.ev, prev.ids)
			enc = appendRec(enc, cur, r.t, r.ev, r.ids)
			tl.data = slices.Replace(tl.data, start, len(tl.data)-len(rest), enc...)
			tl.n++
			return
		}
		prev = cur
	}
	tl.push(r)
}

// The store writes every timeline itself, so the varints are well formed.
// Most are one byte, read without a call.
func uvarint(b []byte) (uint64, []byte) {
	if b[0] < 0x80 {
		return uint64(b[0]), b[1:]
	}
	v, n := binary.Uvarint(b)
	return v, b[n:]
}

func varint(b []byte) (int64, []byte) {
	u, b := uvarint(b)
	return int64(u>>1) ^ -int64(u&1), b
}

// encodeTimeline writes rs, which are in order, as a new timeline.
func encodeTimeline(rs []rec) timeline {
	var tl timeline
	tl.data = make([]byte, 0, len(rs)*10)
	for _, r := range rs {
		tl.push(r)
	}
	return tl
}

// bytes is the memory tl holds beyond its own header.
func (tl *timeline) bytes() int { return cap(tl.data) }
