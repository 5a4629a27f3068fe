package identity

import (
	"cmp"
	"slices"
	"time"
)

// Clustering turns one component (identifiers joined by linking evidence)
// into profiles. It is a pure function of the component's evidence, computed
// afresh whenever evidence that could change it arrives, so the profiles
// depend on which observations exist, never on their order.
//
// The steps: hard identifiers seen together in evidence that may merge form
// clusters; soft identifiers seen together in such evidence form groups; a
// group that two clusters both hold may bridge them (policy.decide); every
// group then attaches to the cluster with the most evidence; soft limits
// drop the weakest; each profile's anchor is its best member.

// clusterer holds scratch space reused across calls (under the write lock).
type clusterer struct {
	members []uint32
	local   map[uint32]int32
	seenObs map[uint32]struct{}
	obs     []uint32
	huf     []int32 // hard union-find over local indices
	suf     []int32 // soft union-find over local indices
	votes   map[[2]int32]*vote
	final   []int32 // local index -> profile representative (local index)
	refuse  *[]Refusal
	hubSeen []uint32
}

type vote struct {
	span
	weight    int
	capWeight int  // the weight of the evidence that may merge
	capable   bool // some of the evidence may merge
	verified  bool
}

// A span is when evidence was seen. Undated evidence could have been seen
// at any time, so it is near everything.
type span struct {
	first, last int64 // Unix ns of the dated evidence; 0: none
	undated     bool
}

func (s *span) add(t int64) {
	switch {
	case t == 0:
		s.undated = true
	case s.first == 0:
		s.first, s.last = t, t
	default:
		s.first, s.last = min(s.first, t), max(s.last, t)
	}
}

func (s *span) merge(o span) {
	s.undated = s.undated || o.undated
	if o.first != 0 {
		s.add(o.first)
		s.add(o.last)
	}
}

// gap returns the time between two spans: 0 when they overlap or either
// holds undated evidence.
func (s span) gap(o span) time.Duration {
	switch {
	case s.undated || o.undated || s.first == 0 || o.first == 0:
		return 0
	case s.last < o.first:
		return time.Duration(o.first - s.last)
	case o.last < s.first:
		return time.Duration(s.first - o.last)
	}
	return 0
}

// A clusterStat is what the bridge rules need of a hard cluster: how many
// hard identifiers it holds and how many observations carry them (for
// Bridge.Thin), and when those were seen, its journey (for Bridge.Gap).
type clusterStat struct {
	hard, obs int
	seen      span
}

func (s *clusterStat) merge(o *clusterStat) {
	s.hard += o.hard
	s.obs += o.obs
	s.seen.merge(o.seen)
}

func ufFind(p []int32, i int32) int32 {
	for p[i] != i {
		p[i] = p[p[i]]
		i = p[i]
	}
	return i
}

func weightOf(t Trust) int {
	switch t {
	case TrustVerified:
		return 4
	case TrustAsserted:
		return 2
	}
	return 1
}

// ring collects a component's members.
func (g *Graph) ring(root uint32, dst []uint32) []uint32 {
	dst = dst[:0]
	for m := root; ; {
		dst = append(dst, m)
		m = g.nodes.at(m).next
		if m == root {
			return dst
		}
	}
}

// cluster recomputes the profiles of the component containing root and
// writes every member's anchor.
func (g *Graph) cluster(root uint32) {
	c := &g.scratch
	c.members = g.ring(root, c.members)
	if g.policy.Disabled {
		best := g.bestAnchor(c.members)
		for _, m := range c.members {
			g.nodes.at(m).anchor = best
		}
		return
	}
	if c.local == nil {
		c.local = map[uint32]int32{}
		c.seenObs = map[uint32]struct{}{}
		c.votes = map[[2]int32]*vote{}
	}
	clear(c.local)
	clear(c.seenObs)
	clear(c.votes)
	c.obs = c.obs[:0]
	n := int32(len(c.members))
	c.huf = slices.Grow(c.huf[:0], int(n))[:n]
	c.suf = slices.Grow(c.suf[:0], int(n))[:n]
	for i, m := range c.members {
		c.local[m] = int32(i)
		c.huf[i], c.suf[i] = int32(i), int32(i)
	}
	for _, m := range c.members {
		g.inc.each(g.nodes.at(m).adj, func(o uint32) {
			if _, ok := c.seenObs[o]; !ok {
				c.seenObs[o] = struct{}{}
				c.obs = append(c.obs, o)
			}
		})
	}
	slices.Sort(c.obs) // a fixed order for what follows; results do not depend on it
	hard := func(i int32) bool { return g.kinds[g.nodes.at(c.members[i]).kind].Class == Hard }
	var lm []int32
	// 1. Hard clusters and soft groups from evidence that may merge.
	for _, o := range c.obs {
		rec := g.ev.at(o)
		if rec.flags&obsRetracted != 0 {
			continue
		}
		lm = c.localMembers(rec.members, lm)
		if rec.flags&obsAttachOnly != 0 || len(lm) < 2 {
			continue
		}
		var fh, fs int32 = -1, -1
		for _, i := range lm {
			if hard(i) {
				if fh < 0 {
					fh = i
				} else {
					c.huf[ufFind(c.huf, i)] = ufFind(c.huf, fh)
				}
			} else {
				if fs < 0 {
					fs = i
				} else {
					c.suf[ufFind(c.suf, i)] = ufFind(c.suf, fs)
				}
			}
		}
	}
	// 2. Votes of each soft group for each hard cluster. Every hard
	// identifier an observation carries votes, so a form with an email and a
	// phone weighs twice a form with one, and outweighs a click: counting
	// observations once instead loses 0.001 of precision over all
	// identifiers on the realistic population.
	nodeVote := make(map[[2]int32]int) // (soft node, cluster) -> weight, for soft limits
	stats := map[int32]*clusterStat{}
	stat := func(h int32) *clusterStat {
		st := stats[h]
		if st == nil {
			st = &clusterStat{}
			stats[h] = st
		}
		return st
	}
	for i := range n {
		if hard(i) {
			stat(ufFind(c.huf, i)).hard++
		}
	}
	var touched []int32
	for _, o := range c.obs {
		rec := g.ev.at(o)
		if rec.flags&obsRetracted != 0 {
			continue
		}
		lm = c.localMembers(rec.members, lm)
		touched = touched[:0]
		for _, h := range lm {
			if hard(h) && !slices.Contains(touched, ufFind(c.huf, h)) {
				touched = append(touched, ufFind(c.huf, h))
			}
		}
		for _, h := range touched {
			st := stat(h)
			st.obs++
			st.seen.add(rec.time)
		}
		w := weightOf(rec.trust)
		capable := rec.flags&obsAttachOnly == 0
		for _, s := range lm {
			if hard(s) {
				continue
			}
			gs := ufFind(c.suf, s)
			for _, h := range lm {
				if !hard(h) {
					continue
				}
				ch := ufFind(c.huf, h)
				v := c.votes[[2]int32{gs, ch}]
				if v == nil {
					v = &vote{}
					c.votes[[2]int32{gs, ch}] = v
				}
				v.add(rec.time)
				v.weight += w
				if capable {
					v.capWeight += w
				}
				v.capable = v.capable || capable
				v.verified = v.verified || (capable && rec.trust == TrustVerified)
				nodeVote[[2]int32{s, ch}] += w
			}
		}
	}
	// 3. Bridges: pairs of clusters that some soft group holds both of.
	type pair struct {
		a, b           int32
		support        int
		capableSupport int
		verified       bool
		groups         []int32
	}
	var pairs []pair
	byGroup := map[int32][]int32{}
	groupsOf := map[int32][]int32{} // cluster -> groups that vote for it
	for k := range c.votes {
		byGroup[k[0]] = append(byGroup[k[0]], k[1])
		groupsOf[k[1]] = append(groupsOf[k[1]], k[0])
	}
	pairIx := map[[2]int32]int{}
	for gs, cls := range byGroup {
		if len(cls) < 2 {
			continue
		}
		slices.Sort(cls)
		for i := range cls {
			for j := i + 1; j < len(cls); j++ {
				k := [2]int32{cls[i], cls[j]}
				ix, ok := pairIx[k]
				if !ok {
					ix = len(pairs)
					pairIx[k] = ix
					pairs = append(pairs, pair{a: cls[i], b: cls[j]})
				}
				va, vb := c.votes[[2]int32{gs, cls[i]}], c.votes[[2]int32{gs, cls[j]}]
				pairs[ix].support++
				pairs[ix].groups = append(pairs[ix].groups, gs)
				if va.capable && vb.capable {
					pairs[ix].capableSupport++
				}
				pairs[ix].verified = pairs[ix].verified || va.verified || vb.verified
			}
		}
	}
	// spans returns when x and y were seen on each soft group.
	spans := func(x, y int32) (sx, sy map[int32]span) {
		sx, sy = map[int32]span{}, map[int32]span{}
		for k, v := range c.votes {
			m := sx
			switch ufFind(c.huf, k[1]) {
			case x:
			case y:
				m = sy
			default:
				continue
			}
			sp := m[k[0]]
			sp.merge(v.span)
			m[k[0]] = sp
		}
		return sx, sy
	}
	// dependent reports that (merged) cluster y owns no soft group against
	// x: every group that holds y holds x with at least as much evidence.
	// Some of y's hold must be mergeable evidence (y typed or verified on a
	// browser): a hard identifier seen only in clicks or calls, on someone
	// else's browser, is never absorbed.
	//
	// On a group both typed into, only y's typing weighs against x's: y's
	// calls and clicks there are presence, not a claim (the second phone
	// typed on the laptop the first was typed on, then called from).
	//
	// A group x holds only by clicks or calls counts for x against y's
	// typing only within Policy.Near of it; and if a third profile typed
	// there, it is the third profile's (a forwarded link opened on it): y
	// typing there depends on that profile, not on x.
	dependent := func(y, x int32) bool {
		wy, wx, wyCap := map[int32]int{}, map[int32]int{}, map[int32]int{}
		capY, capX, capOther := map[int32]bool{}, map[int32]bool{}, map[int32]bool{}
		for k, v := range c.votes {
			switch ufFind(c.huf, k[1]) {
			case y:
				wy[k[0]] += v.weight
				wyCap[k[0]] += v.capWeight
				capY[k[0]] = capY[k[0]] || v.capable
			case x:
				wx[k[0]] += v.weight
				capX[k[0]] = capX[k[0]] || v.capable
			default:
				capOther[k[0]] = capOther[k[0]] || v.capable
			}
		}
		var sx, sy map[int32]span
		typed := false
		for gs, w := range wy {
			if capX[gs] {
				w = wyCap[gs]
			}
			if wx[gs] < w || (capOther[gs] && !capX[gs]) {
				return false
			}
			if capY[gs] && !capX[gs] && g.policy.near >= 0 {
				if sx == nil {
					sx, sy = spans(x, y)
				}
				if sx[gs].gap(sy[gs]) > g.policy.near {
					return false
				}
			}
			typed = typed || capY[gs]
		}
		return typed
	}
	// covered reports that every group holding y holds x too, by any
	// evidence: y has no browser of its own.
	covered := func(y, x int32) bool {
		hy, hx := map[int32]bool{}, map[int32]bool{}
		for k := range c.votes {
			switch ufFind(c.huf, k[1]) {
			case y:
				hy[k[0]] = true
			case x:
				hx[k[0]] = true
			}
		}
		for gs := range hy {
			if !hx[gs] {
				return false
			}
		}
		return len(hy) > 0
	}
	// thin reports that cluster y is one hard identifier carried by one
	// observation, whose soft groups x holds too and no third cluster holds:
	// a single typed value on a browser only x otherwise reached.
	thin := func(y, x int32) bool {
		if st := stats[y]; st == nil || st.hard != 1 || st.obs != 1 || !covered(y, x) {
			return false
		}
		for k := range c.votes {
			if r := ufFind(c.huf, k[1]); r != x && r != y {
				if _, ok := c.votes[[2]int32{k[0], y}]; ok {
					return false
				}
			}
		}
		return true
	}
	bridged := map[int32]bool{} // groups that carried an accepted bridge
	// Canonical order: strongest first, then by the clusters' best members.
	best := make(map[int32]uint32) // cluster -> its best member node
	for i := range n {
		if hard(i) {
			r := ufFind(c.huf, i)
			if b, ok := best[r]; !ok || g.anchorLess(c.members[i], b) {
				best[r] = c.members[i]
			}
		}
	}
	less := func(a, b int32) int {
		if a == b {
			return 0
		}
		if g.anchorLess(best[a], best[b]) {
			return -1
		}
		return 1
	}
	for i := range pairs { // endpoints in canonical order, not local-index order
		if less(pairs[i].b, pairs[i].a) < 0 {
			pairs[i].a, pairs[i].b = pairs[i].b, pairs[i].a
		}
	}
	slices.SortFunc(pairs, func(x, y pair) int {
		return cmp.Or(cmp.Compare(y.support, x.support), less(x.a, y.a), less(x.b, y.b))
	})
	// A union-find over clusters records accepted bridges; kinds per merged
	// cluster decide clashes.
	kinds := map[int32]map[uint8]bool{}
	for i := range n {
		if hard(i) {
			r := ufFind(c.huf, i)
			if kinds[r] == nil {
				kinds[r] = map[uint8]bool{}
			}
			kinds[r][g.nodes.at(c.members[i]).kind] = true
		}
	}
	for _, p := range pairs {
		a, b := ufFind(c.huf, p.a), ufFind(c.huf, p.b)
		if a == b {
			continue
		}
		var clash []Kind
		for k := range kinds[a] {
			if kinds[b][k] {
				clash = append(clash, g.kinds[k].Kind)
			}
		}
		slices.Sort(clash)
		br := Bridge{Clash: clash, Support: p.support, CapableSupport: p.capableSupport, Verified: p.verified,
			Dependent: dependent(a, b) || dependent(b, a), Covered: covered(a, b) || covered(b, a),
			Thin: thin(a, b) || thin(b, a), Gap: stat(a).seen.gap(stat(b).seen)}
		br.Near = g.policy.near < 0 || br.Gap <= g.policy.near
		if g.policy.decide(br) {
			for _, gs := range p.groups {
				bridged[gs] = true
			}
			c.huf[b] = a
			stat(a).merge(stat(b))
			for k := range kinds[b] {
				kinds[a][k] = true
			}
			continue
		}
		if c.refuse != nil {
			*c.refuse = append(*c.refuse, Refusal{Reason: RefusedBridge, A: g.idOf(best[p.a]), B: g.idOf(best[p.b]), Bridge: br})
		}
	}
	// Merged clusters: their best member over all their members, so ties
	// below do not depend on which sub-cluster's root survived.
	for i := range n {
		if hard(i) {
			r := ufFind(c.huf, i)
			if b, ok := best[r]; !ok || g.anchorLess(c.members[i], b) {
				best[r] = c.members[i]
			}
		}
	}
	// 4. Attach every soft group to the cluster with the most evidence.
	groupTo := map[int32]int32{}
	groupW := map[int32]int{}
	agg := map[[2]int32]int{}
	capableTo := map[int32][]int32{} // group -> final clusters it holds by mergeable evidence
	for k, v := range c.votes {
		cl := ufFind(c.huf, k[1])
		agg[[2]int32{k[0], cl}] += v.weight
		if v.capable && !slices.Contains(capableTo[k[0]], cl) {
			capableTo[k[0]] = append(capableTo[k[0]], cl)
		}
	}
	// A group that people who stay apart each typed their own identifiers
	// into (the family computer) is shared: it stays on its own rather than
	// be given to one of them.
	for gs, cls := range capableTo {
		if len(cls) > 1 && !bridged[gs] {
			for k := range agg {
				if k[0] == gs {
					delete(agg, k)
				}
			}
			if c.refuse != nil {
				*c.refuse = append(*c.refuse, Refusal{Reason: RefusedShared, A: g.idOf(c.members[gs]), B: g.idOf(best[cls[0]])})
			}
		}
	}
	for k, w := range agg {
		gs, cl := k[0], k[1]
		cur, ok := groupTo[gs]
		if !ok || w > groupW[gs] || (w == groupW[gs] && less(cl, cur) < 0) {
			groupTo[gs], groupW[gs] = cl, w
		}
	}
	c.final = slices.Grow(c.final[:0], int(n))[:n]
	for i := range n {
		if hard(i) {
			c.final[i] = ufFind(c.huf, i)
			continue
		}
		gs := ufFind(c.suf, i)
		if cl, ok := groupTo[gs]; ok {
			c.final[i] = cl
			if c.refuse != nil {
				for k, w := range agg {
					if k[0] == gs && k[1] != cl {
						*c.refuse = append(*c.refuse, Refusal{Reason: RefusedAttach, A: g.idOf(c.members[i]), B: g.idOf(best[k[1]]), Weight: w})
					}
				}
			}
		} else {
			c.final[i] = n + gs // a soft-only group: its own profile
		}
	}
	// 5. Soft limits: keep the soft identifiers of a kind with the most
	// evidence for their profile.
	g.applySoftLimits(c, hard, nodeVote)
	// 6. Anchors.
	anchor := map[int32]uint32{}
	for i, m := range c.members {
		f := c.final[i]
		if a, ok := anchor[f]; !ok || g.anchorLess(m, a) {
			anchor[f] = m
		}
	}
	simple := len(anchor) == 1 && len(best) <= 1
	for i, m := range c.members {
		r := g.nodes.at(m)
		r.anchor = anchor[c.final[i]]
		r.flags &^= flagSimple
		if simple && r.anchor == m {
			r.flags |= flagSimple
		}
	}
}

// localMembers returns the observation's members that belong to the
// component being clustered (linking members only ever do).
func (c *clusterer) localMembers(ms []uint32, dst []int32) []int32 {
	dst = dst[:0]
	for _, m := range ms {
		if i, ok := c.local[m]; ok && !slices.Contains(dst, i) {
			dst = append(dst, i)
		}
	}
	return dst
}

func (g *Graph) applySoftLimits(c *clusterer, hard func(int32) bool, nodeVote map[[2]int32]int) {
	type entry struct {
		i int32
		w int
	}
	buckets := map[[2]int32][]entry{} // (profile, kind) -> soft members
	for i := range int32(len(c.members)) {
		if hard(i) {
			continue
		}
		k := int32(g.nodes.at(c.members[i]).kind)
		if g.policy.softLimit[k] == 0 {
			continue
		}
		f := c.final[i]
		buckets[[2]int32{f, k}] = append(buckets[[2]int32{f, k}], entry{i, nodeVote[[2]int32{i, f}]})
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
			if c.refuse != nil {
				*c.refuse = append(*c.refuse, Refusal{Reason: RefusedLimit, A: g.idOf(c.members[e.i]), Weight: e.w})
			}
			c.final[e.i] = 2*int32(len(c.members)) + e.i // on its own
		}
	}
}

func (g *Graph) idOf(n uint32) ID {
	return ID{g.kinds[g.nodes.at(n).kind].Kind, string(g.nodes.value(n))}
}

// extendsSimply reports whether an observation whose known linking members
// all lie in the simple profile anchored at a changes nothing but adding
// its new members to that profile, so clustering can be skipped: new hard
// identifiers must join the profile's one cluster through mergeable
// evidence with a known hard member, new soft ones must get evidence for it
// from a known hard member, and soft limits must leave room.
func (g *Graph) extendsSimply(a uint32, fresh []uint32, hardOld bool, oflags uint8) bool {
	if len(fresh) == 0 {
		return true
	}
	if !hardOld {
		return false
	}
	for _, n := range fresh {
		r := g.nodes.at(n)
		if g.kinds[r.kind].Class == Hard {
			if oflags&obsAttachOnly != 0 {
				return false
			}
			continue
		}
		if limit := g.policy.softLimit[r.kind]; limit > 0 {
			count := 0
			for m := a; ; {
				if g.nodes.at(m).kind == r.kind {
					count++
				}
				if m = g.nodes.at(m).next; m == a {
					break
				}
			}
			if count >= limit { // the ring already holds the new node
				return false
			}
		}
	}
	return true
}

// freshIsOneProfile reports whether an observation of new identifiers
// alone makes one profile with at most one hard cluster: mergeable evidence
// joins everything it carries; attach-only evidence with one hard identifier
// attaches the soft ones to it.
func (g *Graph) freshIsOneProfile(fresh []uint32, oflags uint8) bool {
	if oflags&obsAttachOnly == 0 {
		return true
	}
	hard := 0
	for _, n := range fresh {
		if g.kinds[g.nodes.at(n).kind].Class == Hard {
			hard++
		}
	}
	return hard == 1 || len(fresh) == 1
}

// bestAnchor returns the node of ns that anchors best.
func (g *Graph) bestAnchor(ns []uint32) uint32 {
	best := ns[0]
	for _, n := range ns[1:] {
		if g.anchorLess(n, best) {
			best = n
		}
	}
	return best
}

// newSimple makes one simple profile of new identifiers.
func (g *Graph) newSimple(fresh []uint32) {
	best := g.bestAnchor(fresh)
	for _, n := range fresh {
		g.nodes.at(n).anchor = best
	}
	g.nodes.at(best).flags |= flagSimple
}

// extendSimple adds new members to the simple profile anchored at a,
// moving the anchor when a new member is a better one.
func (g *Graph) extendSimple(a uint32, fresh []uint32) {
	best := a
	for _, n := range fresh {
		if g.anchorLess(n, best) {
			best = n
		}
	}
	if best == a {
		for _, n := range fresh {
			g.nodes.at(n).anchor = a
		}
		return
	}
	g.nodes.at(a).flags &^= flagSimple
	g.nodes.at(best).flags |= flagSimple
	for m := best; ; {
		g.nodes.at(m).anchor = best
		if m = g.nodes.at(m).next; m == best {
			break
		}
	}
}
