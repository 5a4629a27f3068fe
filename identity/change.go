package identity

import (
	"slices"
)

// An ObservationID names a stored observation, for [Graph.Retract] and
// explanations. IDs count up from 0 in the order observations were applied.
type ObservationID uint32

// A Merge reports profiles that became one: the profiles From named are
// now part of Into.
type Merge struct {
	Into ProfileID
	From []ProfileID
}

// A Split reports a profile taken apart: its identifiers are now in the
// profiles Into (From may be among them, when its anchor stayed).
type Split struct {
	From ProfileID
	Into []ProfileID
}

// tracker records, during one mutating call, the profile every touched node
// had before, to report merges and splits afterwards.
type tracker struct {
	before      map[uint32]ProfileID // node -> profile before the call (zero: the node is new)
	order       []uint32
	quarantined []uint32
	forgotten   int
}

func (t *tracker) reset() {
	if t.before == nil {
		t.before = map[uint32]ProfileID{}
	}
	clear(t.before)
	t.order = t.order[:0]
	t.quarantined = t.quarantined[:0]
	t.forgotten = 0
}

func (t *tracker) fresh(n uint32) {
	if _, ok := t.before[n]; !ok {
		t.before[n] = ProfileID{}
		t.order = append(t.order, n)
	}
}

func (t *tracker) touch(g *Graph, n uint32) {
	if _, ok := t.before[n]; !ok {
		t.before[n] = g.liveProfileOf(n)
		t.order = append(t.order, n)
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
	for _, n := range t.order {
		if !same {
			break
		}
		same = t.before[n] == g.liveProfileOf(n)
	}
	if same {
		return ch // the common case: evidence added, no profile changed
	}
	into := map[ProfileID][]ProfileID{} // new -> old
	from := map[ProfileID][]ProfileID{} // old -> new
	oldSet, newSet := map[ProfileID]bool{}, map[ProfileID]bool{}
	for _, n := range t.order {
		old, now := t.before[n], g.liveProfileOf(n)
		if !old.IsZero() {
			oldSet[old] = true
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
			if o != now {
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
		if len(nows) > 1 {
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
