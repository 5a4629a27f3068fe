package channel

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// Journal record types. The payloads are the fields in order: profiles as
// 16 bytes, strings as a uvarint length and bytes, times as a varint of
// Unix nanoseconds (math.MinInt64 for the zero time), small enums as a byte.
const (
	recContact    byte = iota + 1 // profile, channel, address
	recLocation                   // profile, zone name, fixed offset (s)
	recConsent                    // profile, channel, purpose, status, at
	recSuppress                   // channel, address, reason, at
	recUnsuppress                 // channel, address
	recSend                       // profile, channel, at
	recMerge                      // into, from
	recSplit                      // from, into...
	recSendKept                   // snapshots: a send restored as it was, not trimmed
)

// errRecord reports a journal or snapshot record that does not decode.
var errRecord = errors.New("bad reacher record")

// apply replays one record.
func (r *Reacher) apply(rec journal.Record) error {
	if rec.Type&keyedBit != 0 {
		kr, err := r.decodeKeyed(rec.Type&^keyedBit, rec.Payload)
		if err != nil {
			return err
		}
		r.addKeyed(kr)
		return nil
	}
	d := &dec{b: rec.Payload}
	switch rec.Type {
	case recContact:
		p, ch, addr := d.profile(), d.str(), d.str()
		if d.done() == nil {
			r.setContact(p, ch, addr)
		}
	case recLocation:
		p, loc := d.profile(), r.readLocation(d)
		if d.done() == nil {
			r.person(p).loc = loc
		}
	case recConsent:
		p := d.profile()
		c := r.readConsent(d)
		if !c.valid() {
			d.fail("consent")
		}
		if d.done() == nil {
			keepLatest(r.person(p).consents, c.key(), c)
		}
	case recSuppress:
		ch, addr, reason, at := d.str(), d.str(), SuppressionReason(d.byte()), d.time()
		if d.done() == nil {
			r.supp[[2]string{ch, addr}] = suppression{reason, at}
		}
	case recUnsuppress:
		ch, addr := d.str(), d.str()
		if d.done() == nil {
			delete(r.supp, [2]string{ch, addr})
		}
	case recSend, recSendKept:
		p, ch, at := d.profile(), d.str(), d.time()
		if d.done() == nil {
			r.recordSend(p, ch, at, rec.Type == recSend)
		}
	case recMerge:
		into, from := d.profile(), d.profile()
		if d.done() == nil {
			r.merge(into, from)
		}
	case recSplit:
		from := d.profile()
		var into []identity.ProfileID
		for d.err == nil && len(d.b) > 0 {
			into = append(into, d.profile())
		}
		if d.done() == nil {
			r.split(from, into)
		}
	default:
		return fmt.Errorf("%w: unknown type %d", errRecord, rec.Type)
	}
	return d.done()
}

// appendState encodes the state as records, in a fixed order (the same
// state gives the same bytes).
func (r *Reacher) appendState(b []byte) []byte {
	if r.cfg.Graph != nil {
		return r.appendKeyedState(b)
	}
	for _, p := range slices.SortedFunc(maps.Keys(r.people), identity.ProfileID.Compare) {
		x := r.people[p]
		if x.loc != nil {
			b = journal.AppendRecord(b, recLocation, r.appendLocation(enc{}.profile(p), x.loc))
		}
		for _, ch := range sortedKeys(x.contacts) {
			b = journal.AppendRecord(b, recContact, enc{}.profile(p).str(ch).str(x.contacts[ch]))
		}
		for _, k := range slices.SortedFunc(maps.Keys(x.consents), func(a, b consentKey) int {
			return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]), cmp.Compare(a[2], b[2]))
		}) {
			b = journal.AppendRecord(b, recConsent, appendConsent(enc{}.profile(p), x.consents[k]))
		}
		for _, s := range x.sends {
			b = journal.AppendRecord(b, recSendKept, enc{}.profile(p).str(s.channel).time(s.at))
		}
	}
	return r.appendSuppressions(b)
}

// appendSuppressions encodes the suppression list, in a fixed order.
func (r *Reacher) appendSuppressions(b []byte) []byte {
	for _, k := range sortedPairs(r.supp) {
		s := r.supp[k]
		b = journal.AppendRecord(b, recSuppress, enc{}.str(k[0]).str(k[1]).byte(byte(s.reason)).time(s.at))
	}
	return b
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

func sortedPairs[V any](m map[[2]string]V) [][2]string {
	return slices.SortedFunc(maps.Keys(m), func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
}

// appendConsent encodes a consent: channel, purpose, status and time (the
// first format), then company, recipients, document, text hash, source and
// valid-until, which records of the first format lack.
func appendConsent(e enc, c Consent) enc {
	e = e.str(c.Channel).str(c.Purpose).byte(byte(c.Status)).time(c.At)
	e = e.str(c.Company).str(strings.Join(c.Recipients, "\x00")).str(c.Document).str(c.TextHash).str(c.Source).time(c.ValidUntil)
	return e
}

// readConsent decodes appendConsent's record, or one of the first format.
func (r *Reacher) readConsent(d *dec) Consent {
	c := Consent{Channel: d.str(), Purpose: d.str(), Status: ConsentStatus(d.byte()), At: d.time()}
	if d.more() {
		c.Company = d.str()
		if rs := d.str(); rs != "" {
			c.Recipients = strings.Split(rs, "\x00")
		}
		c.Document, c.TextHash, c.Source, c.ValidUntil = d.str(), d.str(), d.str(), d.time()
	}
	return c
}

// enc builds a record payload.
type enc []byte

func (e enc) profile(p identity.ProfileID) enc {
	b, _ := p.MarshalBinary()
	return append(e, b...)
}

func (e enc) str(s string) enc {
	return append(binary.AppendUvarint(e, uint64(len(s))), s...)
}

func (e enc) byte(c byte) enc { return append(e, c) }

func (e enc) uvarint(n uint64) enc { return binary.AppendUvarint(e, n) }

func (e enc) time(t time.Time) enc {
	if t.IsZero() {
		return binary.AppendVarint(e, math.MinInt64)
	}
	return binary.AppendVarint(e, t.UnixNano())
}

// appendLocation records a zone by name; a zone the name cannot load again
// (a time.FixedZone) also keeps its offset. The lock is held.
func (r *Reacher) appendLocation(e enc, loc *time.Location) enc {
	if loc == nil {
		return e.str("").byte(0)
	}
	name := loc.String()
	if named, err := r.zone(name); err == nil && name != "" && sameOffsets(named, loc) {
		return e.str(name).byte(0)
	}
	_, off := time.Date(2000, 1, 1, 0, 0, 0, 0, loc).Zone()
	return binary.AppendVarint(e.str(name).byte(1), int64(off))
}

// sameOffsets tells a zone loaded by name from a fixed zone that borrowed
// the name.
func sameOffsets(a, b *time.Location) bool {
	for _, m := range []time.Month{time.January, time.July} {
		t := time.Date(2000, m, 1, 0, 0, 0, 0, time.UTC)
		_, x := t.In(a).Zone()
		_, y := t.In(b).Zone()
		if x != y {
			return false
		}
	}
	return true
}

// zone loads a named zone once (LoadLocation reads the zone database on
// every call). The lock is held.
func (r *Reacher) zone(name string) (*time.Location, error) {
	if loc, ok := r.zones[name]; ok {
		if loc == nil {
			return nil, fmt.Errorf("unknown time zone %q", name)
		}
		return loc, nil
	}
	loc, err := time.LoadLocation(name)
	if r.zones == nil {
		r.zones = map[string]*time.Location{}
	}
	r.zones[name] = loc
	return loc, err
}

func (r *Reacher) readLocation(d *dec) *time.Location {
	name, fixed := d.str(), d.byte()
	switch {
	case d.err != nil:
		return nil
	case fixed == 1:
		off := d.varint()
		if off < -18*3600 || off > 18*3600 {
			d.fail("zone offset")
			return nil
		}
		return time.FixedZone(name, int(off))
	case fixed != 0:
		d.fail("zone kind")
		return nil
	case name == "":
		return nil
	}
	loc, err := r.zone(name)
	if err != nil {
		d.fail(err.Error())
		return nil
	}
	return loc
}

// dec reads a record payload; the first problem sticks in err.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", errRecord, what)
	}
	d.b = nil
}

func (d *dec) profile() identity.ProfileID {
	var p identity.ProfileID
	if len(d.b) < 16 {
		d.fail("short profile")
		return p
	}
	p.UnmarshalBinary(d.b[:16])
	d.b = d.b[16:]
	return p
}

func (d *dec) str() string {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || n > uint64(len(d.b)-k) {
		d.fail("bad string")
		return ""
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return s
}

func (d *dec) byte() byte {
	if len(d.b) == 0 {
		d.fail("short")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *dec) uvarint() uint64 {
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *dec) varint() int64 {
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *dec) time() time.Time {
	v := d.varint()
	if v == math.MinInt64 || d.err != nil {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

// done reports the first problem, or trailing bytes.
// more reports whether bytes remain (a later format's fields).
func (d *dec) more() bool { return d.err == nil && len(d.b) > 0 }

func (d *dec) done() error {
	if d.err == nil && len(d.b) > 0 {
		d.fail("trailing bytes")
	}
	return d.err
}
