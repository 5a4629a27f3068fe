package identity

import (
	"cmp"
	"slices"
)

// attach gives every group to the cluster whose evidence dominates it: at
// least three times the weight of every other cluster's together (a form
// with two contacts weighs 4, a click 2, a call 1). A group that clusters which
// stay apart each typed on (the family computer), or that no cluster
// dominates, stays on its own: giving a shared browser to one of its users
// would show that user the others' visits.
func (c *clusterer) attach() {
	n := int32(len(c.members))
	groupTo := map[int32]int32{}
	for gs, cls := range c.holds {
		to, ok := c.owner(gs, cls)
		if ok {
			groupTo[gs] = to
		}
	}
	c.final = slices.Grow(c.final[:0], int(n))[:n]
	for i := range n {
		if c.hard(i) {
			c.final[i] = ufFind(c.huf, i)
			continue
		}
		gs := ufFind(c.suf, i)
		if cl, ok := groupTo[gs]; ok {
			c.final[i] = cl
		} else {
			c.final[i] = n + gs // its own profile
		}
	}
}

// owner picks the cluster group gs goes to, if any, and records the
// refusals.
func (c *clusterer) owner(gs int32, cls []int32) (int32, bool) {
	type holder struct {
		cl    int32
		w     int
		typed bool
	}
	var hs []holder
	for _, cl := range cls {
		t := c.tallies[[2]int32{gs, cl}]
		r := ufFind(c.huf, cl)
		i := slices.IndexFunc(hs, func(h holder) bool { return h.cl == r })
		if i < 0 {
			hs = append(hs, holder{cl: r})
			i = len(hs) - 1
		}
		hs[i].w += t.weight()
		hs[i].typed = hs[i].typed || t.typedObs > 0
	}
	slices.SortFunc(hs, func(a, b holder) int { return cmp.Or(cmp.Compare(b.w, a.w), c.clusterCmp(a.cl, b.cl)) })
	typists, rest := 0, 0
	for _, h := range hs {
		if h.typed {
			typists++
		}
	}
	for _, h := range hs[1:] {
		// A cluster seen only in calls and clicks (a phone that never
		// typed anything) does not contest a browser someone typed on.
		if typists == 0 || c.stat(h.cl).typed > 0 {
			rest += h.w
		}
	}
	top := hs[0]
	if typists < 2 && top.w >= 3*rest {
		for _, h := range hs[1:] {
			c.refusal(Refusal{Reason: RefusedAttach, A: c.g.idOf(c.members[gs]), B: c.g.idOf(c.best[h.cl]), Weight: h.w})
		}
		return top.cl, true
	}
	c.refusal(Refusal{Reason: RefusedShared, A: c.g.idOf(c.members[gs]), B: c.g.idOf(c.best[top.cl]), Weight: top.w})
	return 0, false
}

func (c *clusterer) refusal(r Refusal) {
	if c.refuse != nil {
		*c.refuse = append(*c.refuse, r)
	}
}

// limit keeps, per profile and kind, the soft identifiers with the most
// evidence for the profile, up to the kind's soft limit.
func (c *clusterer) limit() {
	g := c.g
	type entry struct {
		i int32
		w int
	}
	buckets := map[[2]int32][]entry{} // (profile, kind) -> soft members
	for i := range int32(len(c.members)) {
		k := int32(g.nodes.at(c.members[i]).kind)
		if c.hard(i) || g.policy.softLimit[k] == 0 {
			continue
		}
		f := c.final[i]
		buckets[[2]int32{f, k}] = append(buckets[[2]int32{f, k}], entry{i, c.nodeW[[2]int32{i, f}]})
	}
	for key, es := range buckets {
		limit := g.policy.softLimit[key[1]]
		if len(es) <= limit {
			continue
		}
		slices.SortFunc(es, func(a, b entry) int {
			if a.w != b.w {
				return cmp.Compare(b.w, a.w)
			}
			if g.anchorLess(c.members[a.i], c.members[b.i]) {
				return -1
			}
			return 1
		})
		for _, e := range es[limit:] {
			c.refusal(Refusal{Reason: RefusedLimit, A: g.idOf(c.members[e.i]), Weight: e.w})
			c.final[e.i] = 2*int32(len(c.members)) + e.i // on its own
		}
	}
}

// anchor writes every member's anchor: its profile's best member. A
// profile that is the whole component and had one hard cluster at most is
// simple, so evidence that only extends it can skip clustering.
func (c *clusterer) anchor() {
	g := c.g
	anchor := map[int32]uint32{}
	for i, m := range c.members {
		f := c.final[i]
		if a, ok := anchor[f]; !ok || g.anchorLess(m, a) {
			anchor[f] = m
		}
	}
	simple := len(anchor) == 1 && len(c.stats) <= 1
	for i, m := range c.members {
		r := g.nodes.at(m)
		r.anchor = anchor[c.final[i]]
		r.flags &^= flagSimple
		if simple && r.anchor == m {
			r.flags |= flagSimple
		}
	}
}
