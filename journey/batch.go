package journey

import (
	"runtime"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
)

// An AddResult is what AddBatch reports for one event: what Add returns.
type AddResult struct {
	Profile identity.ProfileID
	Added   bool
	Err     error
}

// batchItem is AddBatch's scratch for one event.
type batchItem struct {
	id  uuid.UUID // the event's ID, given one when it had none
	at  int       // the index of the identifier that resolved
	key [2]uint64 // listKey of the event's identifiers
}

// AddBatch adds events as Add adds each in turn, and appends to dst, in
// order, what Add would have returned for each. The rules:
//   - The batch is filed under one acquisition of the store's lock: no
//     Follow runs between two of its events.
//   - Events are not changed: one without an ID is stored under a new
//     one, as Add stores it.
//   - One event's error (no identifier resolves, no time) is its result's
//     Err; the others are filed.
//
// A live stream's events land on profiles all over memory. Resolving a
// batch's identifiers in one sweep, and reading ahead the index slots
// filing will probe, before any is filed, lets the processor overlap the
// cache misses that Adds one by one wait out in turn; a batch of a few
// hundred is enough.
func (s *Store) AddBatch(dst []AddResult, events []Event) []AddResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	items, all := s.batch[:0], s.batchIDs[:0]
	for i := range events {
		all = append(all, events[i].IDs...)
	}
	profiles := s.graph.ResolveAll(s.batchProfiles[:0], all)
	resolved := profiles
	start := len(dst)
	for _, e := range events { // completed and resolved as Add does it
		var res AddResult
		var it batchItem
		if res.Err = s.complete(&e); res.Err == nil {
			if res.Profile, it.at, res.Err = firstResolved(resolved[:len(e.IDs)]); res.Err == nil {
				it.id, it.key = e.ID, s.tab.keyer.key(e.IDs)
			}
		}
		dst, items = append(dst, res), append(items, it)
		resolved = resolved[len(e.IDs):]
	}
	for i, e := range events {
		// Read ahead a group at a time, so that what was read stays in cache
		// until filed.
		if i%readAheadGroup == 0 {
			g, gs := items[i:min(i+readAheadGroup, len(items))], dst[start+i:]
			s.readAhead(len(g), func(k int) (uuid.UUID, identity.ProfileID, [2]uint64, bool) {
				return g[k].id, gs[k].Profile, g[k].key, gs[k].Err == nil
			})
		}
		res := &dst[start+i]
		if res.Err != nil {
			continue
		}
		e.ID = items[i].id
		res.Added, res.Err = s.fileKeyed(res.Profile, e, items[i].key)
		if res.Added && items[i].at > 0 {
			s.fellBack(e.ID, res.Profile)
		}
	}
	clear(all) // the identifiers' strings are the caller's
	// profiles, not resolved, which the loop above consumed to its end.
	s.batch, s.batchIDs, s.batchProfiles = items[:0], all[:0], profiles[:0]
	return dst
}

// readAhead reads, for n events about to be filed, the cache lines
// filing them starts with: the event ID's slot in the duplicate index,
// the profile's slot, then both lines of the profile's entry (the one
// whose fingerprint matches: numIndex.guess), then the end of its
// timeline (where the event goes) or, when its identifiers are not the
// profile's last ones, the slot of their interned list. item gives event
// i's ID, profile and listKey, or false to skip it.
//
// Filed one after another, each event waits out those misses in turn;
// read here in loops that do nothing else, they overlap (one loop over
// whole filings leaves the processor room for few). A small store stays
// in cache: it is skipped, and so is a journaled one, where journaling may
// replace the tables under the reads. Reading ahead changes nothing, so
// what a filing changes before the next is read (a new profile, say)
// costs only a miss.
func (s *Store) readAhead(n int, item func(i int) (uuid.UUID, identity.ProfileID, [2]uint64, bool)) {
	ev, pr, keys := &s.tab.ids.index, &s.timelines.index, &s.tab.keyIx
	if s.persist != nil || len(ev.slots) < touchFrom || len(pr.slots) == 0 || len(keys.slots) == 0 {
		return
	}
	hs := s.batchHashes[:0] // for each event: ID hash, profile hash, list key
	for i := range n {
		if id, p, key, ok := item(i); ok {
			hs = append(hs, idHash(id), s.timelines.hash(p), key[0])
		}
	}
	var sink uint64
	for k := 0; k < len(hs); k += 3 {
		sink += ev.slots[ev.home(hs[k])] + pr.slots[pr.home(hs[k+1])]
	}
	for k := 0; k < len(hs); k += 3 {
		sl := pr.guess(hs[k+1])
		if sl != 0 { // an entry spans two lines
			e := s.timelines.entry(sl - 1)
			sink += uint64(e.p.As16()[0]) + e.tl.last.key[1]
		}
		hs[k+1] = uint64(sl) // the profile's hash is spent: its entry number+1 from here
	}
	for k := 0; k < len(hs); k += 3 {
		if sl := uint32(hs[k+1]); sl != 0 {
			if tl := &s.timelines.entry(sl - 1).tl; tl.last.key[0] == hs[k+2] && len(tl.data) > 0 {
				sink += uint64(tl.data[len(tl.data)-1])
				continue
			}
		}
		sink += keys.slots[keys.home(hs[k+2])]
	}
	runtime.KeepAlive(sink) // so the reads are not optimised away
	s.batchHashes = hs[:0]
}

// touchFrom is the duplicate index's size from which AddBatch reads
// ahead (2 MB of slots: past a core's cache).
const touchFrom = 1 << 18
