package identity

import (
	"slices"
	"time"
)

// Views: a group is several companies, each an operator of personal data.
// A Viewer reads as one of them, for a purpose, and sees
//   - the evidence its own company collected;
//   - evidence collected with no company named (a host that is one
//     company);
//   - evidence another company collected, when the person gave that
//     company a basis for the purpose naming the viewer's company a
//     recipient (a Basis says so: channel.Reacher is one).
//
// The read paths that take a Viewer (Graph.ExplainFor, Graph.KeysFor,
// journey.Store.TimelineFor, segment.Engine.EvaluateFor and
// segment.ContactFor) show nothing else. The profile itself is
// the group's: one person is one person, whoever looks.

// A Viewer is who reads: a company of the group, one of its dealerships,
// for a purpose ("service", "marketing").
type Viewer struct {
	Company, Dealership, Purpose string
}

// A Basis says whether the person p gave collector, for purpose, a basis
// that names viewer a recipient, valid at now.
type Basis interface {
	Shares(p ProfileID, collector, viewer, purpose string, now time.Time) bool
}

// Sees reports whether v may see evidence about p that collector
// gathered; b may be nil (then only v's own and unnamed evidence).
func (v Viewer) Sees(p ProfileID, collector string, b Basis, now time.Time) bool {
	switch {
	case collector == "" || collector == v.Company:
		return true
	case b == nil:
		return false
	}
	return b.Shares(p, collector, v.Company, v.Purpose, now)
}

// ExplainFor is Explain through the evidence v may see (see Viewer): the
// shortest chain of observations v's company collected, or may see under
// a basis, joining a and b; ErrNotJoined when none does, even if a chain
// v may not see joins them.
func (g *Graph) ExplainFor(a, b ID, v Viewer, basis Basis, now time.Time) ([]Link, error) {
	// The basis is asked outside the graph's lock (it may read the graph):
	// first the profile and the companies that collected its evidence,
	// then the chain through the observations of the companies v sees.
	p, seen, err := g.seenBy(a, v, basis, now)
	if err != nil {
		return nil, err
	}
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	na, nb, err := g.nodePair(a, b)
	if err != nil {
		return nil, err
	}
	anchor := g.nodes.profile(na)
	if g.nodes.profile(nb) != anchor || g.profileIDOf(anchor) != p {
		return nil, ErrNotJoined // different profiles (or the profile changed meanwhile)
	}
	if na == nb {
		return nil, nil
	}
	inProfile := g.inProfile(anchor)
	visible := func(o uint32) bool { return seen[g.companyOf(o)] }
	path := g.bfs(na, nb, inProfile, visible, 0)
	if path == nil {
		return nil, ErrNotJoined
	}
	return path, nil
}

// seenBy returns the profile of id and, for each company that collected
// observations of its component, whether v sees its evidence. The basis
// is asked outside the graph's lock: it may read the graph.
func (g *Graph) seenBy(id ID, v Viewer, basis Basis, now time.Time) (ProfileID, map[string]bool, error) {
	l := g.mu.rlock()
	n, err := g.nodeOf(id)
	if err != nil {
		g.mu.runlock(l)
		return ProfileID{}, nil, err
	}
	seen := map[string]bool{}
	for _, m := range g.ring(g.nodes.find(n), nil) {
		g.inc.each(g.nodes.at(m).adj, func(o uint32) { seen[g.companyOf(o)] = false })
	}
	p := g.profileIDOf(g.nodes.profile(n))
	g.mu.runlock(l)
	for c := range seen {
		seen[c] = v.Sees(p, c, basis, now)
	}
	return p, seen, nil
}

// companyOf is the company that collected observation o ("" for none).
func (g *Graph) companyOf(o uint32) string {
	_, company, _ := splitOrigin(g.sources.names[g.ev.at(o).source])
	return company
}

// KeysFor is Keys as v sees the profile: its identifiers that some live
// observation v may see carries (see Viewer), in Keys' order. An export
// for v's company (an audience, say) is built from these, so an email
// only another company collected never leaves in v's file.
func (g *Graph) KeysFor(p ProfileID, v Viewer, basis Basis, now time.Time) []ID {
	all := g.keys(p)
	if len(all) == 0 {
		return nil
	}
	_, seen, err := g.seenBy(all[0], v, basis, now)
	if err != nil {
		return nil
	}
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	return slices.DeleteFunc(all, func(id ID) bool {
		n, err := g.nodeOf(id)
		if err != nil {
			return true
		}
		visible := false
		g.inc.each(g.nodes.at(n).adj, func(o uint32) {
			visible = visible || g.ev.at(o).flags&obsRetracted == 0 && seen[g.companyOf(o)]
		})
		return !visible
	})
}
