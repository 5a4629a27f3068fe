package identity

import (
	"slices"
)

// An ObservationID names a stored observation, for [Graph.Retract] and
// explanations. IDs count up from 0 in the order observations were applied.
type ObservationID uint32

// A Merge reports profiles that became one: the profiles From named no
// longer stand, and their identifiers are now (at least partly) in Into.
type Merge struct {
	Into ProfileID
	From []ProfileID
}

// A Split reports a profile taken apart: its identifiers are now in the
// profiles Into (From may be among them, when its anchor stayed). Into is
// just From when identifiers left the profile for none: their last
// evidence was retracted, or they were forgotten.
type Split struct {
	From ProfileID
	Into []ProfileID
}

// tracker records, during one mutating call, the profile every touched node
// had before, to report merges and splits afterwards.
type tracker struct {
	order       []uint32    // touched nodes, in touch order
	prev        []ProfileID // their profiles before the call (zero: new node)
	index       map[uint32]int
	quarantined []uint32
	forgotten   int
}

// Most calls touch a handful of nodes, where a linear search beats a map;
// the map is built once a call touches many (a component rebuilt).
const trackerLinear = 32

func (t *tracker) reset() {
	t.order, t.prev = t.order[:0], t.prev[:0]
	if t.index != nil {
		clear(t.index)
	}
	t.quarantined = t.quarantined[:0]
	t.forgotten = 0
}

// find returns n's position in order, or -1.
func (t *tracker) find(n uint32) int {
	if len(t.order) <= trackerLinear {
		for i, m := range t.order {
			if m == n {
				return i
			}
		}
		return -1
	}
	if t.index == nil {
		t.index = map[uint32]int{}
	}
	if start := len(t.index); start < len(t.order) {
		for i, m := range t.order[start:] {
			t.index[m] = start + i
		}
	}
	if i, ok := t.index[n]; ok {
		return i
	}
	return -1
}

// before is n's profile before the call and whether n was touched.
func (t *tracker) before(n uint32) (ProfileID, bool) {
	if i := t.find(n); i >= 0 {
		return t.prev[i], true
	}
	return ProfileID{}, false
}

func (t *tracker) add(n uint32, p ProfileID) {
	if t.find(n) < 0 {
		t.order = append(t.order, n)
		t.prev = append(t.prev, p)
	}
}

func (t *tracker) fresh(n uint32) { t.add(n, ProfileID{}) }

func (t *tracker) touch(g *Graph, n uint32) {
	if t.find(n) < 0 {
		t.order = append(t.order, n)
		t.prev = append(t.prev, g.liveProfileOf(n))
	}
}

// touchComponent records every member of n's component.
func (t *tracker) touchComponent(g *Graph, n uint32) {
	for m := n; ; {
		t.touch(g, m)
		m = g.nodes.at(m).next
		if m == n {
			return
		}
	}
}

// liveProfileOf is the profile n is in, or zero if n does not resolve.
func (g *Graph) liveProfileOf(n uint32) ProfileID {
	if g.nodes.at(n).flags&(flagDead|flagErased) != 0 {
		return ProfileID{}
	}
	return g.profileIDOf(g.nodes.profile(n))
}

// change compares the touched nodes' profiles before and after.
func (t *tracker) change(g *Graph) Change {
	var ch Change
	ch.Forgotten = t.forgotten
	same := len(t.quarantined) == 0
	for i, n := range t.order {
		if !same {
			break
		}
		same = t.prev[i] == g.liveProfileOf(n)
	}
	if same {
		return ch // the common case: evidence added, no profile changed
	}
	into := map[ProfileID][]ProfileID{} // new -> old
	from := map[ProfileID][]ProfileID{} // old -> new
	oldSet, newSet := map[ProfileID]bool{}, map[ProfileID]bool{}
	lost := map[ProfileID]bool{} // profiles some identifiers left for none
	for i, n := range t.order {
		old, now := t.prev[i], g.liveProfileOf(n)
		if !old.IsZero() {
			oldSet[old] = true
			if now.IsZero() {
				lost[old] = true
			}
		}
		if !now.IsZero() {
			newSet[now] = true
		}
		if !old.IsZero() && !now.IsZero() {
			if !slices.Contains(into[now], old) {
				into[now] = append(into[now], old)
			}
			if !slices.Contains(from[old], now) {
				from[old] = append(from[old], now)
			}
		}
	}
	g.profiles += len(newSet) - len(oldSet)
	for old := range oldSet {
		if !newSet[old] {
			ch.Retired = append(ch.Retired, old)
		}
	}
	slices.SortFunc(ch.Retired, ProfileID.Compare)
	for now := range newSet {
		if !oldSet[now] && len(into[now]) == 0 {
			ch.Created = append(ch.Created, now)
		}
	}
	slices.SortFunc(ch.Created, ProfileID.Compare)
	for now, olds := range into {
		var fromOthers []ProfileID
		for _, o := range olds {
			// A profile that still stands lost identifiers to now: that is
			// a split (reported below), not a merge.
			if o != now && !newSet[o] {
				fromOthers = append(fromOthers, o)
			}
		}
		if len(fromOthers) > 0 {
			slices.SortFunc(fromOthers, ProfileID.Compare)
			ch.Merges = append(ch.Merges, Merge{Into: now, From: fromOthers})
		}
	}
	slices.SortFunc(ch.Merges, func(a, b Merge) int { return a.Into.Compare(b.Into) })
	for old, nows := range from {
		// A standing profile whose identifiers vanished (their last
		// evidence retracted, or erased) is reported as a split into
		// what remains, so stores keyed by profile refile its records.
		if len(nows) > 1 || lost[old] && newSet[old] {
			slices.SortFunc(nows, ProfileID.Compare)
			ch.Splits = append(ch.Splits, Split{From: old, Into: nows})
		}
	}
	slices.SortFunc(ch.Splits, func(a, b Split) int { return a.From.Compare(b.From) })
	for _, n := range t.quarantined {
		ch.Quarantined = append(ch.Quarantined, g.idOf(n))
	}
	ch.Forgotten = t.forgotten
	return ch
}

// A Change reports what one mutating call did to the partition, so that
// stores keyed by profile (journeys, segment memberships) can follow.
type Change struct {
	// Observation is the stored observation (Observe only).
	Observation ObservationID
	// Profile is the profile the observation's identifiers belong to now
	// (the first linking one's, when rules keep them apart).
	Profile ProfileID
	// Created lists new profiles made only of identifiers new to the graph:
	// a person seen for the first time.
	Created []ProfileID
	// Retired lists IDs that no longer name a profile. Each still resolves
	// through [Graph.Current] to the profile its anchor is in now. A profile
	// also retires its ID when a better anchor joins it (a CRM number joining
	// a profile known by its cookie).
	Retired []ProfileID
	// Merges and Splits say where the identifiers of changed profiles went.
	Merges []Merge
	Splits []Split
	// Quarantined lists identifiers that stopped linking in this call: junk
	// values and newly found hubs.
	Quarantined []ID
	// Added counts identifiers new to the graph. Forgotten counts erased
	// identifiers: for [Graph.Forget], the one it erases (1, also in a dry
	// run); for an observation, those it carried that were erased before and
	// were dropped (a replay cannot bring them back).
	Added     int
	Forgotten int
	// Skipped lists the identifiers of an applied observation that did not
	// normalize, each a *ParseError (errors.Is ErrMalformed, ErrRefused,
	// ErrEmpty or ErrUnknownKind): the rest of the observation was applied.
	Skipped []error
	// Erased holds the tag of the identifier a Forget erased (also one
	// another process erased, applied from a shared log): stores that keep
	// copies of identifiers match theirs against it ([Graph.ErasureTag]).
	Erased []ErasureTag
	// Rebuilt is set when the graph's state was replaced as a whole: a
	// shared log's checkpoint restored (see [OpenBackend]). Any profile
	// may have changed; a follower refiles everything.
	Rebuilt bool
}

// An ErasureTag is the keyed hash (the graph's erase key) an erased
// identifier leaves behind: it names the identifier without holding it.
type ErasureTag [16]byte

// ErasureTag returns the tag id has, or would have once erased; it
// normalizes id first.
func (g *Graph) ErasureTag(id ID) (ErasureTag, error) {
	c, err := g.Normalize(id.Kind, id.Value)
	if err != nil {
		return ErasureTag{}, err
	}
	k, _ := g.kindOf(c.Kind)
	return ErasureTag(g.tombstone(k, c.Value)), nil
}

// Tagged reports whether id (normalized first) has one of tags: a store
// following an erasure (Change.Erased) takes such identifiers out of its
// copies.
func (g *Graph) Tagged(id ID, tags []ErasureTag) bool {
	t, err := g.ErasureTag(id)
	return err == nil && slices.Contains(tags, t)
}

// Erased reports whether id (normalized first) was erased: a store
// holding a copy of it drops it.
func (g *Graph) Erased(id ID) bool {
	c, err := g.Normalize(id.Kind, id.Value)
	if err != nil {
		return false
	}
	k, _ := g.kindOf(c.Kind)
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	return g.tombstoned(k, c.Value)
}

// Erasures counts the identifiers erased from the graph: while it is 0, a
// store keeping copies of identifiers has nothing to check.
func (g *Graph) Erasures() int {
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	return len(g.tombstones)
}
