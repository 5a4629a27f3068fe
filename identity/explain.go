package identity

import (
	"fmt"
	"strings"
	"time"
)

// A Link is one link in an explanation: an observation that carried both
// identifiers.
type Link struct {
	From, To    ID
	Observation ObservationID
	Time        time.Time
	Source      string
	Trust       Trust
	// Company and Site are the observation's (see Observation).
	Company, Site string
}

func (s Link) String() string {
	return fmt.Sprintf("%s —%s %s %s→ %s", s.From, s.Source, s.Trust, s.Time.UTC().Format(time.RFC3339), s.To)
}

// RefusalReason says which rule kept identifiers apart.
type RefusalReason uint8

const (
	RefusedJunk       RefusalReason = iota + 1 // an identifier on the path is junk
	RefusedHub                                 // an identifier on the path is a quarantined hub
	RefusedBridge                              // a shared soft identifier did not bridge two profiles
	RefusedAttach                              // a soft identifier attached to another profile with more evidence
	RefusedLimit                               // a profile's soft limit left the identifier out
	RefusedNoEvidence                          // no chain of observations joins them
	RefusedErased                              // an identifier on the path was forgotten
	RefusedShared                              // a soft identifier several people typed into is kept apart
)

var refusalNames = [...]string{"", "junk", "hub", "bridge refused", "attached elsewhere", "soft limit", "no evidence", "erased", "shared"}

func (r RefusalReason) String() string {
	if int(r) < len(refusalNames) {
		return refusalNames[r]
	}
	return fmt.Sprintf("RefusalReason(%d)", uint8(r))
}

// A Refusal is one reason two identifiers are not in one profile.
type Refusal struct {
	Reason RefusalReason
	A, B   ID     // the identifiers concerned; B is zero when one suffices
	Bridge Bridge // for RefusedBridge: what the decision saw
	Weight int    // for RefusedAttach and RefusedLimit: the evidence weight
	Detail string // for RefusedJunk and RefusedHub: the quarantine reason
}

func (r Refusal) String() string {
	var b strings.Builder
	b.WriteString(r.Reason.String())
	b.WriteString(": ")
	b.WriteString(r.A.String())
	if r.B != (ID{}) {
		b.WriteString(" / ")
		b.WriteString(r.B.String())
	}
	switch r.Reason {
	case RefusedBridge:
		br := r.Bridge
		fmt.Fprintf(&b, " (score %+g < %g: shared %d, typed on %d", br.Score, br.Threshold, br.Shared, br.Typed)
		if br.Typed == 0 {
			b.WriteString(", clicks and calls alone never merge")
		}
		if !br.Near {
			fmt.Fprintf(&b, ", %.0f days apart", br.Gap.Hours()/24)
		}
		for _, c := range br.Contributions {
			fmt.Fprintf(&b, "; %s %+g", c.Feature, c.Weight)
		}
		b.WriteString(")")
	case RefusedAttach, RefusedLimit:
		fmt.Fprintf(&b, " (weight %d)", r.Weight)
	case RefusedJunk, RefusedHub:
		fmt.Fprintf(&b, " (%s)", r.Detail)
	}
	return b.String()
}

// ErrNotJoined is returned by Explain for identifiers in different profiles.
var ErrNotJoined = fmt.Errorf("identity: identifiers are in different profiles")

// node looks up a raw or canonical identifier; the lock is held.
func (g *Graph) nodeOf(id ID) (uint32, error) {
	c, err := g.Normalize(id.Kind, id.Value)
	if err != nil {
		return 0, err
	}
	k, _ := g.kindOf(c.Kind)
	n, found := g.index.lookup(&g.nodes, g.hashID(k, c.Value), k, c.Value)
	if !found || g.nodes.at(n).flags&(flagDead|flagErased) != 0 {
		return 0, fmt.Errorf("%w: %s", ErrNotFound, c)
	}
	return n, nil
}

func (g *Graph) nodePair(a, b ID) (uint32, uint32, error) {
	na, err := g.nodeOf(a)
	if err != nil {
		return 0, 0, err
	}
	nb, err := g.nodeOf(b)
	return na, nb, err
}

// Explain returns the shortest chain of evidence that joins two identifiers
// of one profile: each step an observation that carried both ends, with its
// time, source and trust. It returns [ErrNotJoined] for identifiers in
// different profiles (see [Graph.WhyNot]).
func (g *Graph) Explain(a, b ID) ([]Link, error) {
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	na, nb, err := g.nodePair(a, b)
	if err != nil {
		return nil, err
	}
	anchor := g.nodes.profile(na)
	if g.nodes.profile(nb) != anchor {
		return nil, ErrNotJoined
	}
	if na == nb {
		return nil, nil
	}
	inProfile := g.inProfile(anchor)
	path := g.bfs(na, nb, inProfile, nil, 0)
	if path == nil {
		return nil, ErrNotJoined
	}
	return path, nil
}

// inProfile passes the live members of the profile anchored at anchor;
// the lock is held.
func (g *Graph) inProfile(anchor uint32) func(uint32) bool {
	return func(x uint32) bool {
		r := g.nodes.at(x)
		return x != erasedMember && g.nodes.profile(x) == anchor && r.flags&(flagDead|flagErased) == 0
	}
}

type bfsPrev struct {
	node uint32
	obs  uint32
}

// bfs finds a shortest chain of live observations (those that pass
// okObs; nil: all) from a to b through nodes that pass ok, visiting at most
// limit nodes (0: no limit).
func (g *Graph) bfs(a, b uint32, ok func(uint32) bool, okObs func(uint32) bool, limit int) []Link {
	prev := map[uint32]bfsPrev{a: {node: a}}
	queue := []uint32{a}
	for len(queue) > 0 && prev[b] == (bfsPrev{}) {
		x := queue[0]
		queue = queue[1:]
		g.inc.each(g.nodes.at(x).adj, func(o uint32) {
			rec := g.ev.at(o)
			if rec.flags&obsRetracted != 0 || okObs != nil && !okObs(o) {
				return
			}
			for _, y := range rec.members {
				if _, seen := prev[y]; seen || y == erasedMember || !ok(y) {
					continue
				}
				if limit > 0 && len(prev) >= limit {
					return
				}
				prev[y] = bfsPrev{node: x, obs: o}
				queue = append(queue, y)
			}
		})
	}
	if _, found := prev[b]; !found {
		return nil
	}
	var steps []Link
	for x := b; x != a; {
		p := prev[x]
		rec := g.ev.at(p.obs)
		source, company, site := splitOrigin(g.sources.names[rec.source])
		steps = append(steps, Link{
			From: g.idOf(p.node), To: g.idOf(x), Observation: ObservationID(p.obs),
			Time: time.Unix(0, rec.time).UTC(), Source: source, Trust: rec.trust, Company: company, Site: site,
		})
		x = p.node
	}
	for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
		steps[i], steps[j] = steps[j], steps[i]
	}
	return steps
}

// WhyNot returns the refusals and quarantines that keep two identifiers in
// different profiles: junk or hub identifiers on the chains of evidence that
// would join them, bridges the policy refused, soft identifiers that went to
// another profile, soft limits; or RefusedNoEvidence when nothing joins
// them. It returns nil for identifiers of one profile.
func (g *Graph) WhyNot(a, b ID) ([]Refusal, error) {
	// Clustering is re-run to collect its refusals; it writes the anchors it
	// already wrote, but writes, so the write lock is taken.
	g.mu.lock()
	defer g.mu.unlock()
	na, nb, err := g.nodePair(a, b)
	if err != nil {
		return nil, err
	}
	if g.nodes.profile(na) == g.nodes.profile(nb) {
		return nil, nil
	}
	var out []Refusal
	quarantine := func(n uint32) {
		r := g.nodes.at(n)
		reason := RefusedHub
		if r.flags&flagJunk != 0 {
			reason = RefusedJunk
		}
		out = append(out, Refusal{Reason: reason, A: g.idOf(n), Detail: g.quarantineReason(n)})
	}
	for _, n := range []uint32{na, nb} {
		if !g.nodes.at(n).linking() {
			quarantine(n)
		}
	}
	// Any chain of evidence, whatever the rules: quarantined identifiers on
	// it are what cut it.
	path := g.bfs(na, nb, func(x uint32) bool { return g.nodes.at(x).flags&(flagDead|flagErased) == 0 }, nil, 100_000)
	if path == nil {
		return append(out, Refusal{Reason: RefusedNoEvidence, A: g.idOf(na), B: g.idOf(nb)}), nil
	}
	for _, s := range path[:len(path)-1] {
		n, _ := g.nodeOf(s.To)
		if !g.nodes.at(n).linking() {
			quarantine(n)
		}
	}
	if g.nodes.find(na) == g.nodes.find(nb) {
		var refusals []Refusal
		g.scratch.refuse = &refusals
		g.cluster(g.nodes.find(na))
		g.scratch.refuse = nil
		pa, pb := g.nodes.profile(na), g.nodes.profile(nb)
		in := func(id ID) bool {
			if id == (ID{}) {
				return false
			}
			n, err := g.nodeOf(id)
			if err != nil {
				return false
			}
			an := g.nodes.profile(n)
			return an == pa || an == pb
		}
		for _, r := range refusals {
			if in(r.A) || in(r.B) {
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func (g *Graph) quarantineReason(n uint32) string {
	reason := ""
	for _, q := range g.quarantined {
		if q.node == n {
			reason = q.reason
		}
	}
	return reason
}
