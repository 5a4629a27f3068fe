package identity

import (
	"slices"
	"time"
)

// Clustering turns one component (identifiers joined by linking evidence)
// into profiles. It is a pure function of the component's evidence, computed
// afresh whenever evidence that could change it arrives, so the profiles
// depend on which observations exist, never on their order.
//
// A clusterer runs it as a sequence of named steps, each over the tables
// the step before it built:
//
//  1. collect: the component's members and the live observations that
//     carry them.
//  2. group: hard identifiers typed or verified together form clusters;
//     soft identifiers seen together in such evidence form groups.
//  3. tally: what each cluster left on each group (typed and attach-only
//     weight, observation counts, when), and each cluster's own figures.
//  4. pairs: every pair of clusters holding a common group is a candidate
//     merge; its features are computed and scored (score.go) on the
//     clusters as grouped, and the graph's calibration counts them
//     (calibrate.go).
//  5. bridge: the candidates are decided strongest first, each on the
//     clusters as merged so far.
//  6. attach: every group goes to the cluster whose evidence dominates it,
//     or stays on its own when people who stay apart share it.
//  7. limit: per-kind soft limits drop the weakest soft identifiers.
//  8. anchor: each profile's best member anchors it.
type clusterer struct {
	g            *Graph
	members      []uint32
	local        map[uint32]int32
	obs          []uint32
	obsLM        []int32 // the local members of obs[j]: obsLM[obsAt[j]:obsAt[j+1]]
	obsAt        []int32
	huf          []int32 // hard union-find over local indices
	suf          []int32 // soft union-find over local indices
	tallies      map[[2]int32]*tally
	stats        map[int32]*clusterStat
	holds        map[int32][]int32 // group -> clusters (roots at tally time) holding it
	groupsOf     map[int32][]int32 // cluster (current root) -> groups it holds
	nodeW        map[[2]int32]int  // (soft node, cluster) -> weight, for soft limits
	best         map[int32]uint32  // cluster -> its best member node
	standing     int               // clusters not yet merged into another
	cands        []candidate       // candidate pairs, in decision order
	initial      []Bridge          // cands[i]'s bridge before any merge
	bands        uint8             // score bands of the typed bridges decided (calibrate.go)
	final        []int32           // local index -> profile representative
	refuse       *[]Refusal
	hubSeen      []uint32 // scratch for hub checks (graph.go)
	sharedGroups []uint32 // scratch for sharedCheck (graph.go)
	sharedBounds []int
	probe        func(a, b ID, br Bridge, merged bool) // tests: every bridge decision
}

// A tally is what one hard cluster left on one soft group.
type tally struct {
	typedW, attachW int  // evidence weight by trust: typed (mergeable) and attach-only
	typedObs        int  // typed observations
	typed           span // when the typing was
	verified        bool // some typed evidence is verified
}

func (t *tally) weight() int { return t.typedW + t.attachW }

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

// A clusterStat is what the bridge features need of a hard cluster: its
// hard identifiers and their kinds, the observations that carry them and
// when (its journey).
type clusterStat struct {
	hard, obs int
	typed     int // observations of mergeable evidence
	kinds     kindSet
	seen      span
}

func (s *clusterStat) merge(o *clusterStat) {
	s.hard += o.hard
	s.obs += o.obs
	s.typed += o.typed
	s.kinds = s.kinds.union(o.kinds)
	s.seen.merge(o.seen)
}

// A kindSet is a set of kind numbers.
type kindSet [4]uint64

func (k *kindSet) add(i uint8) { k[i>>6] |= 1 << (i & 63) }
func (k kindSet) union(o kindSet) kindSet {
	return kindSet{k[0] | o[0], k[1] | o[1], k[2] | o[2], k[3] | o[3]}
}
func (k kindSet) intersect(o kindSet) kindSet {
	return kindSet{k[0] & o[0], k[1] & o[1], k[2] & o[2], k[3] & o[3]}
}
func (k kindSet) has(i int) bool { return k[i>>6]&(1<<(i&63)) != 0 }

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
	c.g = g
	c.members = g.ring(root, c.members)
	if g.policy.Disabled {
		best := g.bestAnchor(c.members)
		for _, m := range c.members {
			g.nodes.at(m).anchor = best
		}
		return
	}
	g.calib.drop(&g.nodes, c.members)
	c.collect()
	c.group()
	c.tally()
	c.pairs(root)
	c.bridge()
	g.calib.mark(root, c.bands)
	c.attach()
	c.limit()
	c.anchor()
}

func (c *clusterer) hard(i int32) bool {
	return c.g.kinds[c.g.nodes.at(c.members[i]).kind].Class == Hard
}

// collect indexes the members and gathers the observations that carry
// them, in a fixed order (results do not depend on it).
func (c *clusterer) collect() {
	g := c.g
	if c.local == nil {
		c.local = map[uint32]int32{}
		c.tallies, c.stats = map[[2]int32]*tally{}, map[int32]*clusterStat{}
		c.holds, c.groupsOf, c.nodeW = map[int32][]int32{}, map[int32][]int32{}, map[[2]int32]int{}
		c.best = map[int32]uint32{}
	}
	clear(c.local)
	clear(c.tallies)
	clear(c.stats)
	clear(c.holds)
	clear(c.groupsOf)
	clear(c.nodeW)
	clear(c.best)
	c.obs = c.obs[:0]
	n := int32(len(c.members))
	c.huf = slices.Grow(c.huf[:0], int(n))[:n]
	c.suf = slices.Grow(c.suf[:0], int(n))[:n]
	for i, m := range c.members {
		c.local[m] = int32(i)
		c.huf[i], c.suf[i] = int32(i), int32(i)
	}
	for _, m := range c.members {
		g.inc.each(g.nodes.at(m).adj, func(o uint32) { c.obs = append(c.obs, o) })
	}
	// An observation carrying several members is listed once per member:
	// sorting and compacting is cheaper than a set.
	slices.Sort(c.obs)
	c.obs = slices.Compact(c.obs)
	c.obsLM, c.obsAt = c.obsLM[:0], append(c.obsAt[:0], 0)
	live := c.obs[:0]
	for _, o := range c.obs {
		rec := g.ev.at(o)
		if rec.flags&obsRetracted != 0 {
			continue
		}
		live = append(live, o)
		c.obsLM = c.localMembers(rec.members, c.obsLM)
		c.obsAt = append(c.obsAt, int32(len(c.obsLM)))
	}
	c.obs = live
}

// lmOf returns the local members of c.obs[j].
func (c *clusterer) lmOf(j int) []int32 { return c.obsLM[c.obsAt[j]:c.obsAt[j+1]] }

// group joins hard identifiers, and soft ones, that mergeable evidence
// carries together.
func (c *clusterer) group() {
	for j, o := range c.obs {
		lm := c.lmOf(j)
		if c.g.ev.at(o).flags&obsAttachOnly != 0 || len(lm) < 2 {
			continue
		}
		var fh, fs int32 = -1, -1
		for _, i := range lm {
			switch {
			case !c.hard(i) && fs < 0:
				fs = i
			case !c.hard(i):
				c.suf[ufFind(c.suf, i)] = ufFind(c.suf, fs)
			case fh < 0:
				fh = i
			default:
				c.huf[ufFind(c.huf, i)] = ufFind(c.huf, fh)
			}
		}
	}
}

// tally records what every cluster left on every group. Every hard
// identifier an observation carries counts, so a form with an email and a
// phone weighs twice a form with one, and outweighs a click.
func (c *clusterer) tally() {
	g := c.g
	for i := range int32(len(c.members)) {
		if c.hard(i) {
			st := c.stat(ufFind(c.huf, i))
			st.hard++
			st.kinds.add(g.nodes.at(c.members[i]).kind)
			c.noteBest(ufFind(c.huf, i), c.members[i])
		}
	}
	var touched []int32
	for j, o := range c.obs {
		rec := g.ev.at(o)
		lm := c.lmOf(j)
		touched = touched[:0]
		for _, h := range lm {
			if r := ufFind(c.huf, h); c.hard(h) && !slices.Contains(touched, r) {
				touched = append(touched, r)
			}
		}
		typed := rec.flags&obsAttachOnly == 0
		for _, h := range touched {
			st := c.stat(h)
			st.obs++
			st.seen.add(rec.time)
			if typed {
				st.typed++
			}
		}
		w := weightOf(rec.trust)
		for _, s := range lm {
			if c.hard(s) {
				continue
			}
			gs := ufFind(c.suf, s)
			for _, h := range lm {
				if !c.hard(h) {
					continue
				}
				cl := ufFind(c.huf, h)
				c.tallyOf(gs, cl).add(rec.time, w, typed, rec.trust == TrustVerified)
				c.nodeW[[2]int32{s, cl}] += w
			}
		}
	}
	// holds lists the clusters on each group, for the bridge and attach
	// steps, in canonical order.
	for k := range c.tallies {
		c.holds[k[0]] = append(c.holds[k[0]], k[1])
		c.groupsOf[k[1]] = append(c.groupsOf[k[1]], k[0])
	}
	for _, gs := range c.groupsOf {
		slices.Sort(gs)
	}
	for _, cls := range c.holds {
		slices.SortFunc(cls, c.clusterCmp)
	}
	c.standing = len(c.stats)
}

func (t *tally) add(at int64, w int, typed, verified bool) {
	if typed {
		t.typedW += w
		t.typedObs++
		t.typed.add(at)
		t.verified = t.verified || verified
		return
	}
	t.attachW += w
}

func (c *clusterer) stat(h int32) *clusterStat {
	st := c.stats[h]
	if st == nil {
		st = &clusterStat{}
		c.stats[h] = st
	}
	return st
}

func (c *clusterer) tallyOf(gs, cl int32) *tally {
	k := [2]int32{gs, cl}
	t := c.tallies[k]
	if t == nil {
		t = &tally{}
		c.tallies[k] = t
	}
	return t
}

func (c *clusterer) noteBest(cl int32, m uint32) {
	if b, ok := c.best[cl]; !ok || c.g.anchorLess(m, b) {
		c.best[cl] = m
	}
}

// clusterCmp orders clusters by their best members: a canonical order that
// does not depend on local indices.
func (c *clusterer) clusterCmp(a, b int32) int {
	switch {
	case a == b:
		return 0
	case c.g.anchorLess(c.best[a], c.best[b]):
		return -1
	}
	return 1
}

// localMembers appends the observation's members that belong to the
// component being clustered (linking members only ever do), each once.
func (c *clusterer) localMembers(ms []uint32, dst []int32) []int32 {
	from := len(dst)
	for _, m := range ms {
		if i, ok := c.local[m]; ok && !slices.Contains(dst[from:], i) {
			dst = append(dst, i)
		}
	}
	return dst
}

func (g *Graph) idOf(n uint32) ID {
	return ID{g.kinds[g.nodes.at(n).kind].Kind, string(g.nodes.value(n))}
}
