package channel

import (
	"bytes"
	"cmp"
	"context"
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

// Persistence: a Reacher made by [OpenReacher] writes every change (a
// contact, a time zone, a consent, a suppression, a send, each step of
// Follow) to an append-only journal before applying it, in the record
// format of internal/journal that identity and journey use, and
// [Reacher.Snapshot] compacts the journal into a snapshot. A consent must
// outlive a restart: a refusal forgotten is a message to someone who said
// no, a grant forgotten is a customer the dealer may no longer reach.
// Reopening restores the snapshot and replays the journal; a torn or
// corrupted tail is cut off and reported by [Reacher.Recovery].
//
// Follow is journaled by its outcome (which profile merged into which,
// which split into which), not by the identity change, so replaying it
// needs no graph.

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

// Recovery reports what OpenReacher restored: the same type as
// identity.Recovery and journey.Recovery.
type Recovery = journal.StoreRecovery

// ErrNotPersistent is returned by Snapshot and Sync on a Reacher made
// by NewReacher.
var ErrNotPersistent = errors.New("channel: reacher has no directory (made by NewReacher, not OpenReacher)")

// ErrClosed is returned by changes to a Reacher after Close.
// It is the same error as identity.ErrClosed and journey.ErrClosed.
var ErrClosed = journal.ErrClosed

// ErrLocked is returned by OpenReacher for a directory another open
// Reacher holds.
var ErrLocked = journal.ErrLocked

// errRecord reports a journal or snapshot record that does not decode.
var errRecord = errors.New("bad reacher record")

type reachPersistence struct {
	dir      *journal.Dir
	replay   bool
	recovery Recovery
}

// OpenReacher opens the Reacher kept in dir (creating it), restoring its
// snapshot and replaying its journal. Close it when done.
//
// When ctx is done before the replay ends, OpenReacher stops and returns
// ctx's error, and dir is as it was.
func OpenReacher(ctx context.Context, dir string, opts *ReachOptions) (*Reacher, error) {
	r, err := NewReacher(opts)
	if err != nil {
		return nil, err
	}
	p := &reachPersistence{replay: true}
	r.persist = p
	d, rec, err := journal.OpenDir(ctx, dir, "reacher", &journal.Options{Sync: journal.Sync(r.cfg.Sync), Interval: r.cfg.SyncInterval, LockTimeout: r.cfg.LockTimeout, FS: r.cfg.fs, Logger: r.cfg.Logger},
		func(body []byte) error {
			rd := journal.NewReader(bytes.NewReader(body))
			for rd.Next() {
				if err := r.apply(rd.Record()); err != nil {
					return err
				}
			}
			if rd.Stop() != "" {
				return fmt.Errorf("%w: snapshot body: %s", errRecord, rd.Stop())
			}
			return rd.Err()
		},
		r.apply)
	p.replay = false
	if err != nil {
		return nil, fmt.Errorf("channel: %w", err)
	}
	p.dir = d
	p.recovery = rec.Store()
	return r, nil
}

// Recovery reports what OpenReacher restored.
func (r *Reacher) Recovery() Recovery {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.persist == nil {
		return Recovery{}
	}
	return r.persist.recovery
}

// journalIf writes a record ahead of the change it describes; the lock is
// held. A Reacher without a directory, or one replaying, writes nothing
// and does not build the payload.
func (r *Reacher) journalIf(typ byte, payload func() enc) error {
	p := r.persist
	if p == nil || p.replay {
		return nil
	}
	if p.dir == nil {
		return fmt.Errorf("channel: %w", ErrClosed)
	}
	if err := p.dir.Append(typ, payload()); err != nil {
		return fmt.Errorf("channel: %w", err)
	}
	return nil
}

// apply replays one record.
func (r *Reacher) apply(rec journal.Record) error {
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

// Snapshot writes the whole state to a new snapshot and starts a new
// journal, removing the old one. When ctx is done before the new snapshot
// is in place, Snapshot returns ctx's error and the directory keeps the
// previous snapshot and journal.
func (r *Reacher) Snapshot(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, err := r.dir()
	if err != nil {
		return err
	}
	if err := d.Compact(ctx, r.appendState(nil)); err != nil {
		return fmt.Errorf("channel: %w", err)
	}
	return nil
}

// appendState encodes the state as records, in a fixed order (the same
// state gives the same bytes).
func (r *Reacher) appendState(b []byte) []byte {
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

// Sync flushes the journal to disk.
func (r *Reacher) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, err := r.dir()
	if err != nil {
		return err
	}
	return d.Sync()
}

// dir returns the open journal directory; the lock is held.
func (r *Reacher) dir() (*journal.Dir, error) {
	switch {
	case r.persist == nil:
		return nil, ErrNotPersistent
	case r.persist.dir == nil:
		return nil, ErrClosed
	}
	return r.persist.dir, nil
}

// Close syncs and closes the journal and releases the directory (nil on an
// in-memory Reacher, and the second time); later changes fail with ErrClosed,
// reads still answer.
func (r *Reacher) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	d, err := r.dir()
	if err != nil {
		return nil // in memory, or closed already: nothing to close
	}
	err = d.Close()
	r.persist.dir = nil
	return err
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
