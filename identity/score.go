package identity

// Weights are the weights of evidence a bridge's features add to its score,
// in bits: log2 of how much likelier the feature makes "one person" than
// "two people who share browsers, or evidence matched to the wrong
// person". A feature absent adds nothing. The zero value of a field means
// its default (DefaultWeights); to switch a feature off, give it a tiny
// non-zero weight.
type Weights struct {
	Clash    float64 // per kind both profiles hold different values of
	Typed    float64 // the first soft identifier both typed on
	Repeated float64 // each further one: repetition through independent browsers
	BothOwn  float64 // each typed on a browser of its own
	Apart    float64 // each holds a browser the other never reached
	Also     float64 // each shared browser beyond those both typed on (two at most)
	Covered  float64 // one has no browser of its own
	Crowded  float64 // a third profile holds a shared browser too
	Session  float64 // both typed on one browser within an hour
	Person   float64 // the smaller side is a person of its own (two kinds typed together)
	Lone     float64 // the smaller side is one contact typed in passing, and someone else is in sight (not Alone)
	Far      float64 // the journeys are further apart than Policy.Near
	Verified float64 // verified typed evidence on a shared browser
}

// DefaultWeights are the default weights, with the reading behind each.
//
//   - Clash −6: a person has a second phone or email far less often than
//     two people sharing a browser hold one each.
//   - Typed +3, Repeated +2: one browser both typed on is the evidence a
//     merge rests on; each independent one repeats it.
//   - BothOwn −6: two people with browsers of their own who typed on a
//     common one are a household; a person's second contact is typed from
//     the person's own browsers.
//   - Covered +3: no browser of its own is how a second contact looks.
//   - Apart −4: each holds a browser the other never reached. One
//     browser both typed on and nothing else then scores −1, below every
//     calibrated threshold: two household members who each typed once on
//     the home computer look so. At −3 it scored 0 and merged where the
//     calibration set 0 for the second contacts that score 0 (2–4% of
//     such bridges joined two people in the generated worlds, against
//     0.2% of those).
//   - Also shared +1 each, two at most: clicks and calls on further common
//     browsers strengthen a bridge typing already supports.
//   - Crowded −6: a browser more than two profiles hold is shared.
//   - Session +2: one sitting is one person, mostly.
//   - Person −4: a loose contact attaches to a person; a person with two
//     kinds typed together is someone.
//   - Lone −5: a contact typed once or twice, in passing, could be anyone's
//     who sat at the browser: a household member's as well as the
//     typist's own, when some third profile is in sight (Bridge.Alone is
//     false). Only more evidence (typed on two browsers, called from a
//     third) carries it then.
//   - Far −3: a second contact turns up during its owner's journey.
//   - Verified +1.
//
// With the default threshold of 1: a second phone typed once on the
// person's own browser scores 0 (clash −6, typed +3, covered +3) and stays
// apart, since a household member's phone typed on the home computer looks
// the same; typed on a second browser of the person's as well it merges
// (repeated +2). An email-only and a phone-only form on one browser merge
// (typed +3, covered +3); the same two forms by two people with browsers
// of their own do not (both own −6). TestMergeSpec holds these and the
// other scenarios; the clash and the lone contact are where recall goes
// (the README's frontier).
func DefaultWeights() Weights {
	return Weights{Clash: -6, Typed: 3, Repeated: 2, BothOwn: -6, Apart: -4, Also: 1, Covered: 3, Crowded: -6, Session: 2,
		Person: -4, Lone: -5, Far: -3, Verified: 1}
}

func (w Weights) withDefaults() Weights {
	d := DefaultWeights()
	or := func(v, def float64) float64 {
		if v == 0 {
			return def
		}
		return v
	}
	return Weights{Clash: or(w.Clash, d.Clash), Typed: or(w.Typed, d.Typed), Repeated: or(w.Repeated, d.Repeated),
		BothOwn: or(w.BothOwn, d.BothOwn), Apart: or(w.Apart, d.Apart), Also: or(w.Also, d.Also), Covered: or(w.Covered, d.Covered), Crowded: or(w.Crowded, d.Crowded),
		Session: or(w.Session, d.Session), Person: or(w.Person, d.Person), Lone: or(w.Lone, d.Lone),
		Far: or(w.Far, d.Far), Verified: or(w.Verified, d.Verified)}
}

// score adds up a bridge's features.
func (p *policy) score(b *Bridge) {
	w := &p.weights
	add := func(on bool, name string, weight float64) {
		if on {
			b.Score += weight
			b.Contributions = append(b.Contributions, Contribution{Feature: name, Weight: weight})
		}
	}
	add(len(b.Clash) > 0, "clash", w.Clash*float64(len(b.Clash)))
	add(b.Typed > 0, "typed", w.Typed)
	add(b.Typed > 1, "repeated", w.Repeated*float64(b.Typed-1))
	add(b.BothOwn, "both own", w.BothOwn)
	add(b.Apart, "apart", w.Apart)
	add(b.Shared > b.Typed, "also shared", w.Also*float64(min(b.Shared-b.Typed, 2)))
	add(b.Covered, "covered", w.Covered)
	add(b.Crowded, "crowded", w.Crowded)
	add(b.Session, "session", w.Session)
	add(b.Person, "person", w.Person)
	add(b.Lone && !b.Alone, "lone", w.Lone)
	add(!b.Near, "far", w.Far)
	add(b.Verified, "verified", w.Verified)
	b.Threshold = p.threshold
}

// DefaultDecide is the default bridge decision: the two profiles typed on
// a common soft identifier, and the score reaches the threshold. Clicks
// and calls alone never merge two profiles that both hold contacts; they
// still attach browsers, and they count in the features (Covered,
// Shared) of a bridge that typing supports.
func DefaultDecide(b Bridge) bool {
	return b.Typed > 0 && b.Score >= b.Threshold
}
