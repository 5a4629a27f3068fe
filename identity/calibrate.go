package identity

import (
	"errors"
	"slices"
)

// A Calibration is what a graph has learned from its own bridges about how
// often two people type on one browser, and the threshold it sets the
// default bridge decision by (Policy.Threshold 0).
//
// A bridge scoring 0 is a second phone or email typed on a browser its
// owner also typed on, with no browser of its own: a person's second
// contact, or a household member who typed once, only on the home
// computer. Which one it mostly is depends on the population: where
// household members seldom type on shared browsers, nearly every such
// bridge is one person, and refusing them costs a tenth of the contacts
// recall; where they often do, merging them mixes people. The rate at
// which they do is measured on the bridges that are plainly two people: a
// value of one kind on each side (two phones, two emails), and each side
// typing on a browser of its own as well as on the common one. Its rules:
//
//   - The counts are taken on every component's candidate bridges as its
//     clusters stand before any bridge is decided, so they depend on the
//     evidence alone, never on the threshold they set: there is no
//     feedback, and the graph is still a function of which observations
//     exist, not of their order.
//   - The rate is shrunk toward a prior worth calibrationPrior pairs at
//     calibrationPriorRate, a middle rate: a new, small graph keeps the
//     default threshold of 1 until its own evidence says otherwise.
//   - Rate < 1.5%: threshold 0, the score-0 bridges merge. Rate ≥ 3%:
//     threshold 3, a bridge on a shared browser must show more (two
//     browsers typed on, or one sitting). Rate ≥ 6%: threshold 5, where
//     household members live on the home computer and one of them typing
//     there once looks like the other's second contact (typed +3, covered
//     +3), less any further doubt (far apart in time −3). Between 1.5%
//     and 3%: 1.
//   - When the threshold changes, the components it could decide otherwise
//     are clustered again, in the call that changed it, and the Change it
//     returns reports what that merged and split. Those are the components
//     whose last clustering decided a typed bridge scoring between the old
//     threshold and the new one (every component with a candidate bridge,
//     under a custom Policy.Decide): a clustering that decided no bridge
//     in that band decides every bridge alike under either threshold.
//     A population whose rate sits on a cut moves the threshold back and
//     forth as evidence arrives; each move costs the clustering of those
//     components, and is logged.
//   - A call that applies many records moves it once at most, at its end:
//     ObserveBatch (in the Change of its last applied observation), the
//     replay in Open and OpenBackend, and Pull (in the last Change
//     PullChanges returns). Its profiles are those of one call at a time.
//
// The cuts at 1.5% and 3% were read off the 40 generated worlds of
// TestAccuracyWorlds and checked on 120 worlds drawn from other seeds;
// the step at 6% was read off the worst world of one of those seeds
// (9000) once the worlds let members live on the home computer, and
// checked on the other two (the README's figures). A host that knows its
// population better sets Policy.Threshold and the calibration only
// reports.
type Calibration struct {
	// Pairs counts the candidate bridges typing supports (Bridge.Typed >
	// 0), over all components; Shared those plainly two people's.
	Pairs, Shared int
	// Rate is Shared/Pairs shrunk toward the prior.
	Rate float64
	// Threshold is the score the default decision asks of a bridge now:
	// the calibrated one, or Policy.Threshold when the host set one.
	Threshold float64
}

const (
	calibrationPrior     = 500  // pairs the prior is worth
	calibrationPriorRate = 0.02 // between the cuts: the default threshold
	calibrationLow       = 0.015
	calibrationHigh      = 0.03
	calibrationHighest   = 0.06
)

// calibration is the graph's running count. Each component's share is
// kept on its root as of its last clustering, so a component clustered
// again (or taken apart) replaces its share instead of adding to it.
type calibration struct {
	pairs, shared int
	parts         map[uint32]calibPart // component root -> its share
	held          bool                 // recalibrate waits (holdCalibration)
}

// A calibPart is one component's share of the counts, and the bands of
// the typed bridges its last clustering decided (bandOf).
type calibPart struct {
	pairs, shared int32
	bands         uint8
}

// A calibrationStep is a threshold the calibration sets, and the rate
// from which it holds.
type calibrationStep struct{ from, threshold float64 }

// calibrationSteps are the steps, lowest first: the rate's cuts and the
// thresholds they set, written once for threshold, bandOf and
// bandsBetween. Band i (bit 1<<i) is the scores from step i's threshold
// up to step i+1's.
func calibrationSteps() [4]calibrationStep {
	return [...]calibrationStep{{0, 0}, {calibrationLow, 1}, {calibrationHigh, 3}, {calibrationHighest, 5}}
}

// bandOf returns the band a typed bridge's score falls in, or 0.
func bandOf(score float64) uint8 {
	s := calibrationSteps()
	for i := range len(s) - 1 {
		if score >= s[i].threshold && score < s[i+1].threshold {
			return 1 << i
		}
	}
	return 0
}

// bandsBetween returns the bands a move of the threshold from a to b
// decides otherwise.
func bandsBetween(a, b float64) uint8 {
	lo, hi := min(a, b), max(a, b)
	s := calibrationSteps()
	var bands uint8
	for i := range len(s) - 1 {
		if lo <= s[i].threshold && hi >= s[i+1].threshold {
			bands |= 1 << i
		}
	}
	return bands
}

// report returns the counts as a Calibration at threshold th.
func (c *calibration) report(th float64) Calibration {
	return Calibration{Pairs: c.pairs, Shared: c.shared, Rate: c.rate(), Threshold: th}
}

func (c *calibration) rate() float64 {
	return (float64(c.shared) + calibrationPrior*calibrationPriorRate) / (float64(c.pairs) + calibrationPrior)
}

// threshold is the calibrated threshold for the current counts: the
// highest step the rate reaches.
func (c *calibration) threshold() float64 {
	s, r := calibrationSteps(), c.rate()
	for i := len(s) - 1; i > 0; i-- {
		if r >= s[i].from {
			return s[i].threshold
		}
	}
	return s[0].threshold
}

// drop removes the shares of any of members (a component about to be
// clustered again, or taken apart).
func (c *calibration) drop(ns *nodes, members []uint32) {
	for _, m := range members {
		r := ns.at(m)
		if r.flags&flagShare == 0 {
			continue
		}
		r.flags &^= flagShare
		if v, ok := c.parts[m]; ok {
			c.pairs -= int(v.pairs)
			c.shared -= int(v.shared)
			delete(c.parts, m)
		}
	}
}

// count records the share of the component rooted at root, from its
// candidate bridges before any merge. A component with candidates is kept
// even when none is typed: its bridges are what a custom Decide may judge
// by the threshold, so it is clustered again when the threshold moves.
func (c *calibration) count(ns *nodes, root uint32, initial []Bridge) {
	if len(initial) == 0 {
		return
	}
	ns.at(root).flags |= flagShare
	var v calibPart
	for i := range initial {
		if b := &initial[i]; b.Typed > 0 {
			v.pairs++
			if len(b.Clash) > 0 && b.BothOwn {
				v.shared++
			}
		}
	}
	if c.parts == nil {
		c.parts = map[uint32]calibPart{}
	}
	c.parts[root] = v
	c.pairs += int(v.pairs)
	c.shared += int(v.shared)
}

// mark records the bands of the bridges the clustering of root decided.
func (c *calibration) mark(root uint32, bands uint8) {
	if v, ok := c.parts[root]; ok {
		v.bands = bands
		c.parts[root] = v
	}
}

// Calibration returns what the graph has learned of its bridges and the
// threshold in force.
func (g *Graph) Calibration() Calibration {
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	return g.calib.report(g.policy.threshold)
}

// recalibrate sets the threshold the counts call for, and when it moves
// clusters again every component whose bridges it could decide otherwise.
// Every mutating call runs it last (not dry runs, which put their region
// back), so the profiles are those of the counts of all the evidence.
// It reports whether the threshold moved.
func (g *Graph) recalibrate() bool {
	if g.policy.Disabled || !g.policy.calibrated || g.calib.held {
		return false
	}
	th, was := g.calib.threshold(), g.policy.threshold
	if th == was {
		return false
	}
	g.policy.threshold = th
	bands, custom := bandsBetween(was, th), g.policy.Decide != nil
	var roots []uint32
	for r, v := range g.calib.parts {
		if custom || v.bands&bands != 0 {
			roots = append(roots, r)
		}
	}
	slices.Sort(roots) // a fixed order for the tracker
	for _, r := range roots {
		g.tracker.touchComponent(g, r)
		g.cluster(r)
	}
	if !g.replaying() {
		g.log.Info("identity: bridge threshold moved", "from", was, "to", th, "rate", g.calib.rate(),
			"pairs", g.calib.pairs, "shared", g.calib.shared, "components", len(roots))
	}
	return true
}

// A heldBatch applies many records with the calibration held, and moves
// the threshold once, when it is released: at the end of ObserveBatch, a
// replay and a pull. A rate that sits on a cut crosses it back and forth
// as evidence arrives, and each move clusters again every component with
// a bridge in the band; held, a batch pays for one move at most. The
// profiles are the same: the threshold a batch ends with is the one its
// counts call for either way, and every component is clustered at it (or
// decided no bridge its move changes) when the batch is released.
//
// The move is reported in the Change of the batch's last applied
// observation, whose tracker session stays open until then; a batch that
// applied none of its own (a pull, or a shared log's batch whose records
// were all duplicates) reports it with the other processes' Changes.
type heldBatch struct {
	g       *Graph
	changes []Change // changes[at] is open's, once settled
	open    applied
	at      int // -1: no observation applied yet
	errs    []error
}

// holdCalibration holds the calibration until the batch is released;
// the write lock is held.
func (g *Graph) holdCalibration(changes []Change) heldBatch {
	g.calib.held = true
	return heldBatch{g: g, changes: changes, at: -1}
}

// apply applies ps[i] of the batch, settling the one before it.
func (b *heldBatch) apply(i int, p Prepared) {
	if b.at >= 0 {
		b.changes[b.at] = b.g.settle(b.open)
	}
	b.open, b.at = b.g.applyOpen(p), i
}

// fail records errors to return from release.
func (b *heldBatch) fail(errs ...error) { b.errs = append(b.errs, errs...) }

// release moves the threshold if the counts call for it, settles the last
// observation, and returns the batch's errors.
func (b *heldBatch) release() error {
	g := b.g
	g.calib.held = false
	if b.at >= 0 {
		b.changes[b.at] = g.settle(b.open)
	} else if ch, moved := g.moveAlone(); moved && g.store != nil && g.store.open {
		g.store.keepPulled(ch)
	}
	return errors.Join(b.errs...)
}

// moveAlone moves the threshold if the counts call for it, in a call of
// its own, and returns the move's Change.
func (g *Graph) moveAlone() (Change, bool) {
	g.tracker.reset() // no call is open: nothing of another is lost
	if !g.recalibrate() {
		return Change{}, false
	}
	return g.tracker.change(g), true
}
