package journey

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// OpenBackend opens a store over b, a log other processes share (module
// github.com/throughline/throughline/pglog), as Open does over a
// directory; g is the graph this process opened over the same log. Every
// process applies the same events, and files each under the profile its
// identifiers resolve to in its graph, so that once the graphs agree the
// timelines do:
//   - follow every Change of the graph, those of other processes' records
//     too: feed [identity.Graph.PullChanges] to Follow, then call Pull;
//   - an event none of whose identifiers resolves yet (its observation is
//     not applied here yet) waits, and is filed when a Follow makes one
//     resolve; [Stats] counts them as Pending;
//   - an erasure the graph applied ([identity.Change.Erased]) takes the
//     identifier out of every stored event, and the next Pull rewrites the
//     log's records that hold it.
func OpenBackend(ctx context.Context, b identity.Backend, g *identity.Graph, opts *Options) (*Store, error) {
	s, err := New(g, opts)
	if err != nil {
		return nil, err
	}
	s.pending, s.fallback = map[uuid.UUID]Event{}, map[uuid.UUID]identity.ProfileID{}
	s.persist = &persistence{js: journal.NewStore(storeCodec{s})}
	if err := s.persist.js.OpenBackend(ctx, b); err != nil {
		return nil, fmt.Errorf("journey: %w", err)
	}
	s.persist.open = true
	return s, nil
}

// resetState empties the store, keeping its graph, options and
// persistence; the lock is held.
func (s *Store) resetState() {
	strip := s.tab.strip
	s.tab, s.timelines = newTables(s.keySeed), newProfileTable()
	s.tab.conv = s.conv
	s.tab.strip = strip
	if s.pending != nil {
		s.pending, s.fallback = map[uuid.UUID]Event{}, map[uuid.UUID]identity.ProfileID{}
	}
}

// fellBack notes that event id is under p by an identifier after its
// first (shared log only); the lock is held.
func (s *Store) fellBack(id uuid.UUID, p identity.ProfileID) {
	if s.fallback != nil {
		s.fallback[id] = p
	}
}

// refileFallbacks moves each event filed by a later identifier to where
// its identifiers resolve now, in ID order, and returns the profiles
// that received events; the lock is held.
func (s *Store) refileFallbacks() []identity.ProfileID {
	var out []identity.ProfileID
	for _, id := range sortedIDs(s.fallback) {
		from := s.fallback[id]
		ev, ok := s.tab.ids.find(id)
		buf, tl := s.recs(from)
		i := slices.IndexFunc(tl, func(r rec) bool { return ok && r.ev == ev })
		if i < 0 { // moved or dropped by the Follow that runs this
			s.putRecs(buf, tl)
			delete(s.fallback, id)
			continue
		}
		r := tl[i]
		p, at, err := s.profileAt(*s.tab.idLists.at(int(r.ids)))
		if err != nil || p == from {
			s.putRecs(buf, tl)
			if at == 0 && err == nil {
				delete(s.fallback, id)
			}
			continue
		}
		tl = slices.Delete(tl, i, i+1)
		s.timelines.set(from, encodeTimeline(tl))
		s.putRecs(buf, tl)
		s.insert(p, []rec{r})
		if at == 0 {
			delete(s.fallback, id)
		} else {
			s.fallback[id] = p
		}
		out = append(out, p)
	}
	return out
}

// Pull applies the events other processes appended to the store's shared
// log since the last one applied and returns how many; then it takes off
// the disk the identifiers erased since the last Pull (on a directory, a
// Snapshot; on a shared log, the rewrite of the records holding them). A
// store on a directory has no events to pull.
func (s *Store) Pull(ctx context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persist == nil {
		return 0, ErrNotPersistent
	}
	n, err := s.persist.js.Pull(ctx) // and the erasures noted since (EraseDue)
	if err != nil {
		return n, fmt.Errorf("journey: %w", err)
	}
	return n, nil
}

// forgetTags takes the identifiers tagged tags out of every identifier
// list, and notes them for Pull to take off the disk; the lock is held.
func (s *Store) forgetTags(tags []identity.ErasureTag) {
	gone := func(id identity.ID) bool { return s.graph.Tagged(id, tags) }
	for _, ids := range s.tab.idLists.all() {
		if slices.ContainsFunc(*ids, gone) {
			*ids = slices.DeleteFunc(slices.Clone(*ids), gone)
		}
	}
	for id, e := range s.pending {
		if e.IDs = slices.DeleteFunc(slices.Clone(e.IDs), gone); len(e.IDs) == 0 {
			delete(s.pending, id)
		} else {
			s.pending[id] = e
		}
	}
	if s.persist != nil {
		for _, t := range tags {
			s.persist.js.EraseDue(journal.Tag(t))
		}
	}
}

// filePending files the waiting events that resolve now, in ID order,
// and returns the profiles they went to; the lock is held.
func (s *Store) filePending() []identity.ProfileID {
	var out []identity.ProfileID
	for _, id := range sortedIDs(s.pending) {
		e := s.pending[id]
		p, at, err := s.profileAt(e.IDs)
		if err != nil || s.tab.ids.n == math.MaxUint32 { // none, or no number left: it waits
			continue
		}
		delete(s.pending, id)
		if _, dup := s.tab.ids.find(id); dup {
			continue
		}
		s.file(p, e)
		if at > 0 {
			s.fellBack(id, p)
		}
		out = append(out, p)
	}
	return out
}

// wait keeps an event of the shared log that does not resolve yet; the
// lock is held, and the store is on a shared log (pending is set).
func (s *Store) wait(e Event) {
	if _, dup := s.tab.ids.find(e.ID); dup {
		return
	}
	// Kept without what was erased; with nothing left it can never be
	// filed, and is dropped.
	if e.IDs = s.stripErased(slices.Clone(e.IDs)); len(e.IDs) > 0 {
		s.pending[e.ID] = e
	}
}

// sortedIDs are m's event IDs in byte order, for passes that must not
// depend on map order.
func sortedIDs[V any](m map[uuid.UUID]V) []uuid.UUID {
	return slices.SortedFunc(maps.Keys(m), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
}
