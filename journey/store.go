package journey

import (
	"errors"
	"fmt"
	"hash/maphash"
	"iter"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// Options configure a Store.
type Options struct {
	// Conversions are the event types that count as conversions; nil means
	// DefaultConversions.
	Conversions []EventType
	// NewID makes IDs for events that come without one; nil means UUIDv7
	// (time-ordered).
	NewID func() (uuid.UUID, error)
	// SizeHint is the number of events expected, so a bulk load does not
	// grow the duplicate index step by step. Zero is fine.
	SizeHint int
	// Sync and SyncInterval set when a store made by Open writes its
	// journal to disk; the zero value fsyncs every Add.
	Sync         SyncMode
	SyncInterval time.Duration
	// LockTimeout is how long Open waits for a directory another store
	// holds before failing with ErrLocked; 0 fails at once.
	LockTimeout time.Duration
	fs          journal.FS // a test's fault injection; nil is the OS
	// Logger hears about recoveries and compactions (Open, Snapshot); nil
	// is silent.
	Logger *slog.Logger
}

// ErrTooManyEvents reports an event a store cannot number: a store holds
// at most 2^32−1 events over its life (about 200 GB of them in memory).
var ErrTooManyEvents = errors.New("journey: the store has numbered 2^32-1 events")

// ErrNoProfile reports an event none of whose identifiers resolves.
var ErrNoProfile = errors.New("journey: no identifier of the event resolves to a profile")

// A Store keeps one timeline per profile. It resolves each event's
// identifiers through an identity graph and follows the graph's merges and
// splits. It is safe for concurrent use.
type Store struct {
	graph *identity.Graph
	conv  map[EventType]bool
	newID func() (uuid.UUID, error)

	mu        sync.RWMutex
	tab       *tables
	eventBufs sync.Pool       // of *[]Event, Events' snapshots
	recBufs   sync.Pool       // of *[]rec, decoded timelines
	timelines *profileTable   // each sorted by (time, ID)
	persist   *persistence    // nil unless made by Open
	follows   atomic.Uint64   // Follow calls, for Load's resolving outside the lock
	keySeed   [2]maphash.Seed // listKeyer's; set by New, then read-only
	// AddBatch's scratch, and readAhead's (batchHashes); the lock is held.
	batch         []batchItem
	batchIDs      []identity.ID
	batchHashes   []uint64
	batchProfiles []identity.ProfileID
	// pending holds, on a shared log, events none of whose identifiers
	// resolves now (another process's record applied before this graph
	// has the observation it rests on, or whose identifiers were taken
	// away since); they are filed when one does. Keyed by event ID.
	pending map[uuid.UUID]Event
	// fallback holds, on a shared log, the events filed by an identifier
	// after their first (the earlier ones did not resolve then), with the
	// profile they are under: a later observation can make an earlier one
	// resolve, and the event moves where the graph files it now.
	fallback map[uuid.UUID]identity.ProfileID
}

// ErrOptions reports options New or Open cannot use.
var ErrOptions = errors.New("journey: bad options")

// New returns an empty store over g; nil opts means the defaults.
func New(g *identity.Graph, opts *Options) (*Store, error) {
	if g == nil {
		return nil, fmt.Errorf("%w: no identity graph", ErrOptions)
	}
	if opts == nil {
		opts = &Options{}
	}
	if opts.SizeHint < 0 {
		return nil, fmt.Errorf("%w: SizeHint %d", ErrOptions, opts.SizeHint)
	}
	s := &Store{graph: g, conv: map[EventType]bool{}, newID: opts.NewID, timelines: newProfileTable()}
	s.eventBufs.New = func() any { return new([]Event) }
	s.recBufs.New = func() any { return new([]rec) }
	s.keySeed = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	s.tab = newTables(s.keySeed)
	s.tab.strip = s.stripErased
	if s.newID == nil {
		s.newID = uuid.NewV7
	}
	convs := opts.Conversions
	if convs == nil {
		convs = DefaultConversions
	}
	for _, c := range convs {
		if c == "" {
			return nil, fmt.Errorf("%w: an empty conversion type", ErrOptions)
		}
		s.conv[c] = true
	}
	s.tab.conv = s.conv
	s.tab.ids.reserve(opts.SizeHint)
	return s, nil
}

// IsConversion reports whether an event type counts as a conversion.
func (s *Store) IsConversion(typ EventType) bool { return s.conv[typ] }

// profileAt resolves identifiers to a profile, the first the graph knows,
// and returns the index of the identifier that resolved.
func (s *Store) profileAt(ids []identity.ID) (identity.ProfileID, int, error) {
	for i, id := range ids {
		if p, err := s.graph.Resolve(id.Kind, id.Value); err == nil {
			return p, i, nil
		}
	}
	return identity.ProfileID{}, 0, noProfile(len(ids))
}

// firstResolved is profileAt for identifiers resolved already (by
// Graph.ResolveAll: zero where one does not resolve).
func firstResolved(ps []identity.ProfileID) (identity.ProfileID, int, error) {
	for i, p := range ps {
		if !p.IsZero() {
			return p, i, nil
		}
	}
	return identity.ProfileID{}, 0, noProfile(len(ps))
}

func noProfile(ids int) error { return fmt.Errorf("%w (%d identifiers)", ErrNoProfile, ids) }

// Add files an event under its profile, in time order wherever it arrives
// (late events land in place), and returns that profile. An event whose ID
// is already stored is dropped: added is false, and p is the profile it
// resolves to now. An event without an ID gets one. Returning the profile
// spares a caller that keeps per-profile state (package segment) a second
// resolution that a concurrent merge could slip between.
func (s *Store) Add(e Event) (p identity.ProfileID, added bool, err error) {
	if err := s.complete(&e); err != nil {
		return p, false, err
	}
	// Resolve under the store's lock, so that a Follow cannot slip between
	// resolving the profile and filing the event under it.
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(e)
}

func (s *Store) addLocked(e Event) (p identity.ProfileID, added bool, err error) {
	p, at, err := s.profileAt(e.IDs)
	if err != nil {
		return p, false, err
	}
	if added, err = s.fileOnce(p, e); added && at > 0 {
		s.fellBack(e.ID, p)
	}
	return p, added, err
}

// complete gives e an ID when it has none, and refuses an event without a
// time.
func (s *Store) complete(e *Event) error {
	if e.ID == uuid.Nil {
		id, err := s.newID()
		if err != nil {
			return err
		}
		e.ID = id
	}
	if e.Time.IsZero() {
		return fmt.Errorf("journey: event %s has no time", e.ID)
	}
	return nil
}

// fileOnce journals and files e under p unless an event of its ID is
// stored already; the lock is held.
func (s *Store) fileOnce(p identity.ProfileID, e Event) (added bool, err error) {
	return s.fileKeyed(p, e, [2]uint64{})
}

// fileKeyed is fileOnce for an event whose identifier list's listKey is
// key (zero: not computed yet).
func (s *Store) fileKeyed(p identity.ProfileID, e Event, key [2]uint64) (added bool, err error) {
	h := idHash(e.ID)
	if _, dup := s.tab.ids.findHashed(e.ID, h); dup {
		return false, nil
	}
	if s.tab.ids.n == math.MaxUint32 {
		return false, ErrTooManyEvents
	}
	// Interned first: a list new to the store loses what the graph erased
	// (tables.strip), so the event is journaled and filed without it, and
	// a list seen before costs no more than the lookup filing does anyway.
	if key == [2]uint64{} {
		key = s.tab.keyer.key(e.IDs)
	}
	tl := s.timelines.get(p)
	var ix uint32
	if tl != nil && tl.last.key == key {
		ix = tl.last.ids // the same list as the profile's last event
	} else {
		ix = s.tab.idList(e.IDs, key)
	}
	if s.persist != nil {
		e.IDs = *s.tab.idLists.at(int(ix)) // cold memory: only what is journaled reads it
		if err := s.journalEvent(e); err != nil {
			return false, err
		}
		if s.persist.js.Shared() {
			// Journaling on a shared log may apply other processes' records
			// first (even a checkpoint that replaces the tables): file afresh.
			if _, dup := s.tab.ids.findHashed(e.ID, h); dup { // another process's copy came first
				return false, nil
			}
			s.file(p, e)
			return true, nil
		}
	}
	s.fileRec(p, tl, s.tab.pack(e, ix, h), key)
	return true, nil
}

// stripErased drops the identifiers the graph erased from ids, in place.
func (s *Store) stripErased(ids []identity.ID) []identity.ID {
	if s.graph.Erasures() == 0 {
		return ids
	}
	return slices.DeleteFunc(ids, s.graph.Erased)
}

// file numbers and packs e, an event not stored yet, and inserts it in
// p's timeline; the lock is held.
func (s *Store) file(p identity.ProfileID, e Event) {
	key := s.tab.keyer.key(e.IDs)
	s.fileRec(p, s.timelines.get(p), s.tab.pack(e, s.tab.idList(e.IDs, key), idHash(e.ID)), key)
}

// fileRec inserts r in tl, p's timeline (nil: p has none yet), and stores
// it; the lock is held. key is the listKey of r's identifier list, or zero
// when not known.
func (s *Store) fileRec(p identity.ProfileID, tl *timeline, r rec, key [2]uint64) {
	if tl == nil {
		tl = s.timelines.put(p)
	}
	if tl.n == 0 || s.tab.cmp(s.lastRec(tl), r) < 0 {
		tl.push(r) // the common case: in order
		tl.last.key = key
	} else {
		tl.insert(r, s.tab.cmp)
	}
}

// lastRec is the last record of a timeline that has one, as far as order
// needs it (time and event number).
func (s *Store) lastRec(tl *timeline) rec { return rec{t: tl.last.t, ev: tl.last.ev} }

// insert merges rs, which are in order, into p's timeline; the lock is
// held.
func (s *Store) insert(p identity.ProfileID, rs []rec) {
	tl := s.timelines.put(p)
	if len(rs) == 1 {
		s.fileRec(p, tl, rs[0], [2]uint64{})
		return
	}
	if tl.n == 0 || s.tab.cmp(s.lastRec(tl), rs[0]) < 0 {
		for _, r := range rs {
			tl.push(r)
		}
		return
	}
	buf := s.recBufs.Get().(*[]rec)
	have := tl.decode((*buf)[:0])
	merged := make([]rec, 0, len(have)+len(rs))
	i, j := 0, 0
	for i < len(have) && j < len(rs) {
		if s.tab.cmp(have[i], rs[j]) <= 0 {
			merged, i = append(merged, have[i]), i+1
		} else {
			merged, j = append(merged, rs[j]), j+1
		}
	}
	merged = append(append(merged, have[i:]...), rs[j:]...)
	*tl = encodeTimeline(merged)
	s.putRecs(buf, have)
}

// recs decodes p's timeline into a pooled slice; give it back with putRecs.
func (s *Store) recs(p identity.ProfileID) (*[]rec, []rec) {
	buf := s.recBufs.Get().(*[]rec)
	tl := s.timelines.get(p)
	if tl == nil {
		return buf, (*buf)[:0]
	}
	return buf, tl.decode((*buf)[:0])
}

func (s *Store) putRecs(buf *[]rec, rs []rec) {
	if cap(rs) <= 1<<16 {
		*buf = rs[:0]
		s.recBufs.Put(buf)
	}
}

// Refiled says where Follow put the events it moved.
type Refiled struct {
	Moved, Dropped int
	// Profiles received moved events, in ID order. It can name a profile
	// the change does not (an event carries identifiers of several
	// profiles and is filed under the first that resolves), so a store
	// keyed by profile should rebuild exactly these.
	Profiles []identity.ProfileID
}

// Follow applies an identity change: timelines of merged profiles join the
// profile they merged into; a split profile's events are filed again under
// the profiles their identifiers resolve to now. No event is lost or
// doubled; events none of whose identifiers resolves any more (erased) are
// dropped and counted (on a shared log they wait instead, see
// OpenBackend). An erasure (Change.Erased) takes the identifier out of
// every stored event; the journal still holds it until the next Pull or
// Snapshot, which takes it off the disk. The result says how
// many events moved and were dropped, and which profiles received events.
func (s *Store) Follow(ch identity.Change) (out Refiled) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.follows.Add(1)
	if len(ch.Erased) > 0 {
		s.forgetTags(ch.Erased)
	}
	var moving []rec
	take := func(p identity.ProfileID) {
		if tl := s.timelines.get(p); tl != nil {
			moving = tl.decode(moving)
			s.timelines.remove(p)
		}
	}
	if ch.Rebuilt { // the graph was replaced: every event is refiled
		for p := range s.timelines.all() {
			take(p)
		}
		slices.SortFunc(moving, s.tab.cmp)
	}
	for _, m := range ch.Merges {
		for _, from := range m.From {
			take(from)
		}
	}
	for _, sp := range ch.Splits {
		take(sp.From)
	}
	for _, r := range ch.Retired {
		take(r)
	}
	to := map[identity.ProfileID][]rec{}
	for _, r := range moving {
		p, at, err := s.profileAt(*s.tab.idLists.at(int(r.ids)))
		id := s.tab.ids.id(r.ev)
		if err != nil {
			delete(s.fallback, id)
			e := s.tab.event(r)
			s.tab.drop(r)
			if s.pending != nil { // on a shared log it waits, as others' events do
				s.wait(e)
			}
			out.Dropped++
			continue
		}
		to[p] = append(to[p], r)
		if _, ok := s.fallback[id]; ok || at > 0 {
			s.fellBack(id, p)
		}
		out.Moved++
		out.Profiles = append(out.Profiles, p)
	}
	for p, rs := range to {
		slices.SortFunc(rs, s.tab.cmp) // they came from several timelines
		s.insert(p, rs)
	}
	out.Profiles = append(out.Profiles, s.refileFallbacks()...)
	out.Profiles = append(out.Profiles, s.filePending()...)
	slices.SortFunc(out.Profiles, identity.ProfileID.Compare)
	out.Profiles = slices.Compact(out.Profiles)
	return out
}

// Timeline returns a copy of a profile's events in time order (following p
// if it retired).
func (s *Store) Timeline(p identity.ProfileID) []Event {
	if cur, ok := s.graph.Current(p); ok {
		p = cur
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	buf, rs := s.recs(p)
	defer s.putRecs(buf, rs)
	out := make([]Event, len(rs))
	for i, r := range rs {
		out[i] = s.tab.event(r)
	}
	return out
}

// Events iterates over a profile's events in time order (following p if it
// retired). The sequence is a snapshot taken when it starts: no lock is held
// while the loop body runs, so the body may add events and follow changes
// (they are not in this sequence).
func (s *Store) Events(p identity.ProfileID) iter.Seq[Event] {
	return func(yield func(Event) bool) {
		if cur, ok := s.graph.Current(p); ok {
			p = cur
		}
		// A snapshot: the lock is not held while the loop body runs, so
		// the body may add events or follow merges.
		buf := s.eventBufs.Get().(*[]Event)
		defer func() {
			clear(*buf) // drop the references the events hold
			if cap(*buf) <= 1<<16 {
				s.eventBufs.Put(buf)
			}
		}()
		s.mu.RLock()
		evs := (*buf)[:0]
		rb, rs := s.recs(p)
		for _, r := range rs {
			evs = append(evs, s.tab.event(r))
		}
		s.putRecs(rb, rs)
		s.mu.RUnlock()
		*buf = evs
		for _, e := range evs {
			if !yield(e) {
				return
			}
		}
	}
}

// Profiles returns the profiles with events, in ID order.
func (s *Store) Profiles() []identity.ProfileID {
	s.mu.RLock()
	out := make([]identity.ProfileID, 0, s.timelines.len())
	for p := range s.timelines.all() {
		out = append(out, p)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, identity.ProfileID.Compare)
	return out
}

// Len reports the number of stored events.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tab.ids.len()
}

// CountSince counts a profile's events of a type at or after since that
// match a filter (nil matches all): the "N car views in 30 days" segments ask.
func (s *Store) CountSince(p identity.ProfileID, typ EventType, since time.Time, match func(Event) bool) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	buf, tl := s.recs(p)
	defer s.putRecs(buf, tl)
	ts := since.UnixNano()
	i, _ := slices.BinarySearchFunc(tl, ts, func(r rec, t int64) int {
		switch {
		case r.t < t:
			return -1
		case r.t > t:
			return 1
		}
		return 0
	})
	ty, ok := s.tab.strs[string(typ)]
	if !ok {
		return 0
	}
	n := 0
	for _, r := range tl[i:] {
		if r.typ == ty && (match == nil || match(s.tab.event(r))) {
			n++
		}
	}
	return n
}

// Stats describe a store's size.
type Stats struct {
	Profiles, Events int
	// Pending counts events of a shared log waiting for one of their
	// identifiers to resolve (see OpenBackend).
	Pending int
	// Bytes estimates the memory held: event records, the per-profile
	// index, the duplicate index and the interned tables.
	Bytes int
}

// Stats returns the store's size.
func (s *Store) Stats() Stats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := Stats{Profiles: s.timelines.len(), Events: s.tab.ids.len(), Pending: len(s.pending)}
	for _, tl := range s.timelines.all() {
		st.Bytes += tl.bytes()
	}
	st.Bytes += s.timelines.bytes()
	t := s.tab
	st.Bytes += t.ids.bytes() + len(t.extras)*int(unsafe.Sizeof(extra{}))*3
	for _, x := range t.strList {
		st.Bytes += len(x) + 16 + 40
	}
	st.Bytes += len(t.touches) * (int(unsafe.Sizeof(Touch{})) * 2)
	st.Bytes += len(t.props) * 96
	st.Bytes += t.keyIx.bytes()
	for _, ids := range t.idLists.all() {
		st.Bytes += 24 + 16 + len(*ids)*(int(unsafe.Sizeof(identity.ID{})))
		for _, id := range *ids {
			st.Bytes += len(id.Value)
		}
	}
	return st
}
