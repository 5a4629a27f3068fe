package identity

import (
	"cmp"
	"slices"
	"time"
)

// A Bridge is a candidate merge of two profiles through soft identifiers
// (browsers, devices) they both hold, as the bridge decision sees it: the
// features computed once for the pair, and the score they add up to.
//
// "Typed" evidence is mergeable evidence: forms, logins, payments, CRM
// records. Clicks on personal links and tracked calls are attach-only: they
// say someone reached the browser, not who sat at it.
type Bridge struct {
	// Clash lists the hard kinds of which both profiles hold values: two
	// different phones, two different emails (a shared value would have
	// made them one profile already).
	Clash []Kind
	// Shared counts the soft identifiers (or groups of soft identifiers
	// seen together) both profiles hold by any evidence; Typed those both
	// typed on. Clicks and calls never merge two profiles that hold
	// contacts on their own, so Typed is 0 means no merge by default.
	Shared, Typed int
	// BothOwn reports that each profile typed on a soft identifier the
	// other never reached: two people, each with a browser of their own,
	// who share one (the home computer).
	BothOwn bool
	// Apart reports that each profile holds, by any evidence, a soft
	// identifier the other never reached: separate lives, however they
	// reached their own browsers.
	Apart bool
	// Covered reports that one profile holds no soft identifier the other
	// lacks: no browser of its own, as a person's second phone looks.
	Covered bool
	// Crowded reports that a third profile holds a shared soft identifier
	// too: it is shared more widely than by these two.
	Crowded bool
	// Session reports that both typed on a shared soft identifier within
	// an hour of each other: one sitting.
	Session bool
	// Person reports that the smaller profile (fewer hard identifiers,
	// then fewer observations) holds hard identifiers of two kinds typed
	// together: a person of its own, not a loose second contact.
	Person bool
	// Lone reports that the smaller profile is one hard identifier carried
	// by one or two observations: a contact typed in passing, which could
	// be anyone's who sat at the browser.
	Lone bool
	// Alone reports that no third profile with contacts is anywhere in
	// the component: nobody else was ever seen on these browsers.
	Alone bool
	// Gap is the time between the two profiles' journeys (the spans of all
	// the evidence carrying their hard identifiers): 0 when they overlap or
	// some of it is undated. Near reports Gap ≤ Policy.Near.
	Gap  time.Duration
	Near bool
	// Verified reports that some typed evidence on a shared soft
	// identifier is verified (a login, a payment, a CRM record).
	Verified bool
	// Score is the weight of evidence for one person (Policy.Weights),
	// Contributions what each feature added to it, and Threshold the score
	// the default decision needs.
	Score         float64
	Contributions []Contribution
	Threshold     float64
}

// A Contribution is what one feature of a bridge added to its score.
type Contribution struct {
	Feature string
	Weight  float64
}

// A candidate is a pair of clusters some group holds both of.
type candidate struct {
	a, b   int32
	shared int
}

// pairs lists the candidate pairs and computes each one's bridge on the
// clusters as grouped, before any merge: the calibration counts them
// (calibrate.go), and the bridge step decides them as they are until its
// first merge.
func (c *clusterer) pairs(root uint32) {
	c.cands = c.candidates()
	c.initial = c.initial[:0]
	for _, p := range c.cands {
		c.initial = append(c.initial, c.features(p.a, p.b))
	}
	c.g.calib.count(&c.g.nodes, root, c.initial)
}

// bridge decides every candidate pair and merges those the decision
// accepts, strongest first, so the result does not depend on local order.
// Features are recomputed for the merged clusters once merges happen: a
// second email joined to a person makes that person's next bridge clash.
func (c *clusterer) bridge() {
	merged := false
	c.bands = 0
	for i, p := range c.cands {
		a, b := ufFind(c.huf, p.a), ufFind(c.huf, p.b)
		if a == b {
			continue
		}
		br := c.initial[i]
		if merged {
			br = c.features(a, b)
		}
		if br.Typed > 0 {
			c.bands |= bandOf(br.Score)
		}
		ok := c.g.policy.decide(br)
		if c.probe != nil {
			c.probe(c.g.idOf(c.best[a]), c.g.idOf(c.best[b]), br, ok)
		}
		if ok {
			c.merge(a, b)
			merged = true
			continue
		}
		c.refusal(Refusal{Reason: RefusedBridge, A: c.g.idOf(c.best[p.a]), B: c.g.idOf(c.best[p.b]), Bridge: br})
	}
}

// candidates lists the pairs of clusters that share a group, with how many
// groups they share, in decision order.
func (c *clusterer) candidates() []candidate {
	var out []candidate
	ix := map[[2]int32]int{}
	for _, cls := range c.holds {
		for i := range cls { // cls is in canonical order
			for j := i + 1; j < len(cls); j++ {
				k := [2]int32{cls[i], cls[j]}
				n, ok := ix[k]
				if !ok {
					n = len(out)
					ix[k] = n
					out = append(out, candidate{a: cls[i], b: cls[j]})
				}
				out[n].shared++
			}
		}
	}
	slices.SortFunc(out, func(x, y candidate) int {
		return cmp.Or(cmp.Compare(y.shared, x.shared), c.clusterCmp(x.a, y.a), c.clusterCmp(x.b, y.b))
	})
	return out
}

// merge joins cluster b into a.
func (c *clusterer) merge(a, b int32) {
	c.huf[b] = a
	c.standing--
	c.stat(a).merge(c.stat(b))
	c.groupsOf[a] = append(c.groupsOf[a], c.groupsOf[b]...)
	slices.Sort(c.groupsOf[a])
	c.groupsOf[a] = slices.Compact(c.groupsOf[a])
	delete(c.groupsOf, b)
	c.noteBest(a, c.best[b])
}

// holding sums what the clusters now merged into x, and into y, left on
// group gs, and reports whether clusters under neither hold it.
func (c *clusterer) holding(gs, x, y int32) (tx, ty tally, others bool) {
	for _, cl := range c.holds[gs] {
		t := c.tallies[[2]int32{gs, cl}]
		switch ufFind(c.huf, cl) {
		case x:
			tx.merge(t)
		case y:
			ty.merge(t)
		default:
			others = true
		}
	}
	return tx, ty, others
}

func (t *tally) merge(o *tally) {
	t.typedW += o.typedW
	t.attachW += o.attachW
	t.typedObs += o.typedObs
	t.typed.merge(o.typed)
	t.verified = t.verified || o.verified
}

// features computes the bridge between clusters x and y (current roots)
// and scores it.
func (c *clusterer) features(x, y int32) Bridge {
	var br Bridge
	var xOnly, yOnly, xOwn, yOwn bool
	for _, gs := range c.unionGroups(x, y) {
		tx, ty, others := c.holding(gs, x, y)
		hx, hy := tx.weight() > 0, ty.weight() > 0
		switch {
		case hx && hy:
			br.Shared++
			br.Crowded = br.Crowded || others
			if tx.typedObs > 0 && ty.typedObs > 0 {
				br.Typed++
				br.Session = br.Session || tx.typed.gap(ty.typed) <= time.Hour
				br.Verified = br.Verified || tx.verified || ty.verified
			}
		case hx:
			xOnly, xOwn = true, xOwn || tx.typedObs > 0
		case hy:
			yOnly, yOwn = true, yOwn || ty.typedObs > 0
		}
	}
	br.BothOwn = xOwn && yOwn
	br.Apart = xOnly && yOnly
	br.Covered = !xOnly || !yOnly
	sx, sy := c.stat(x), c.stat(y)
	both := sx.kinds.intersect(sy.kinds)
	for k := range c.g.kinds {
		if both.has(k) {
			br.Clash = append(br.Clash, c.g.kinds[k].Kind)
		}
	}
	slices.Sort(br.Clash)
	small := sy
	if sx.hard < sy.hard || (sx.hard == sy.hard && sx.obs < sy.obs) {
		small = sx
	}
	br.Person = kindCount(small.kinds) >= 2
	br.Lone = small.hard == 1 && small.obs <= 2
	br.Alone = c.standing == 2
	br.Gap = sx.seen.gap(sy.seen)
	br.Near = c.g.policy.near < 0 || br.Gap <= c.g.policy.near
	c.g.policy.score(&br)
	return br
}

func kindCount(k kindSet) int {
	n := 0
	for _, w := range k {
		for ; w != 0; w &= w - 1 {
			n++
		}
	}
	return n
}

// unionGroups lists the groups x or y holds.
func (c *clusterer) unionGroups(x, y int32) []int32 {
	out := append(slices.Clone(c.groupsOf[x]), c.groupsOf[y]...)
	slices.Sort(out)
	return slices.Compact(out)
}
