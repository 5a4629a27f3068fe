package journey

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
)

// Options configure a Store.
type Options struct {
	// Conversions are the event types that count as conversions; nil means
	// DefaultConversions.
	Conversions []string
	// NewID makes IDs for events that come without one; nil means UUIDv7
	// (time-ordered).
	NewID func() (uuid.UUID, error)
}

// ErrNoProfile reports an event none of whose identifiers resolves.
var ErrNoProfile = errors.New("journey: no identifier of the event resolves to a profile")

// A Store keeps one timeline per profile. It resolves each event's
// identifiers through an identity graph and follows the graph's merges and
// splits. It is safe for concurrent use.
type Store struct {
	graph *identity.Graph
	conv  map[string]bool
	newID func() (uuid.UUID, error)

	mu        sync.RWMutex
	timelines map[identity.ProfileID][]Event // each sorted by (time, ID)
	seen      map[uuid.UUID]identity.ProfileID
}

// NewStore returns an empty store over g.
func NewStore(g *identity.Graph, opts *Options) *Store {
	if opts == nil {
		opts = &Options{}
	}
	s := &Store{graph: g, conv: map[string]bool{}, newID: opts.NewID, timelines: map[identity.ProfileID][]Event{}, seen: map[uuid.UUID]identity.ProfileID{}}
	if s.newID == nil {
		s.newID = uuid.NewV7
	}
	convs := opts.Conversions
	if convs == nil {
		convs = DefaultConversions
	}
	for _, c := range convs {
		s.conv[c] = true
	}
	return s
}

// IsConversion reports whether an event type counts as a conversion.
func (s *Store) IsConversion(typ string) bool { return s.conv[typ] }

// profileOf resolves an event to a profile: the first of its identifiers
// the graph knows.
func (s *Store) profileOf(e Event) (identity.ProfileID, error) {
	for _, id := range e.IDs {
		if p, err := s.graph.Resolve(id.Kind, id.Value); err == nil {
			return p, nil
		}
	}
	return identity.ProfileID{}, fmt.Errorf("%w (%d identifiers)", ErrNoProfile, len(e.IDs))
}

func eventLess(a, b Event) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	return cmp.Compare(string(a.ID[:]), string(b.ID[:]))
}

// Add files an event under its profile, in time order wherever it arrives
// (late events land in place). An event whose ID is already stored is
// dropped and Add reports false. An event without an ID gets one.
func (s *Store) Add(e Event) (added bool, err error) {
	if e.ID == uuid.Nil {
		if e.ID, err = s.newID(); err != nil {
			return false, err
		}
	}
	if e.Time.IsZero() {
		return false, fmt.Errorf("journey: event %s has no time", e.ID)
	}
	// Resolve under the store's lock, so that a Follow cannot slip between
	// resolving the profile and filing the event under it.
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.profileOf(e)
	if err != nil {
		return false, err
	}
	if _, dup := s.seen[e.ID]; dup {
		return false, nil
	}
	s.seen[e.ID] = p
	s.insert(p, e)
	return true, nil
}

func (s *Store) insert(p identity.ProfileID, e Event) {
	tl := s.timelines[p]
	i, _ := slices.BinarySearchFunc(tl, e, eventLess)
	s.timelines[p] = slices.Insert(tl, i, e)
}

// Follow applies an identity change: timelines of merged profiles join the
// profile they merged into; a split profile's events are filed again under
// the profiles their identifiers resolve to now. No event is lost or
// doubled; events none of whose identifiers resolves any more (erased) are
// dropped and counted.
func (s *Store) Follow(ch identity.Change) (dropped int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var moving []Event
	take := func(p identity.ProfileID) {
		moving = append(moving, s.timelines[p]...)
		delete(s.timelines, p)
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
	for _, e := range moving {
		p, err := s.profileOf(e)
		if err != nil {
			delete(s.seen, e.ID)
			dropped++
			continue
		}
		s.seen[e.ID] = p
		s.insert(p, e)
	}
	return dropped
}

// Timeline returns a copy of a profile's events in time order (following p
// if it retired).
func (s *Store) Timeline(p identity.ProfileID) []Event {
	if cur, ok := s.graph.Current(p); ok {
		p = cur
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.timelines[p])
}

// Profiles returns the profiles with events, in ID order.
func (s *Store) Profiles() []identity.ProfileID {
	s.mu.RLock()
	out := make([]identity.ProfileID, 0, len(s.timelines))
	for p := range s.timelines {
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
	return len(s.seen)
}

// CountSince counts a profile's events of a type at or after since that
// match a filter (nil matches all): the "N car views in 30 days" segments ask.
func (s *Store) CountSince(p identity.ProfileID, typ string, since time.Time, match func(Event) bool) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	tl := s.timelines[p]
	i, _ := slices.BinarySearchFunc(tl, since, func(e Event, t time.Time) int { return e.Time.Compare(t) })
	n := 0
	for _, e := range tl[i:] {
		if e.Type == typ && (match == nil || match(e)) {
			n++
		}
	}
	return n
}
