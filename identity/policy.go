package identity

import (
	"time"
)

// A Policy holds the merge rules. The zero value is the default policy: the
// source table below, the built-in junk list, hub detection, per-kind limits
// and the default bridge decision.
//
// The rules exist because a plain union of everything seen together glues a
// dealer's base into one blob: a showroom tablet used for surveys, a family
// computer, a test@test.com typed by staff, a call matched to the wrong
// visitor. They separate two questions:
//
//   - What may link at all? Junk values (a built-in list plus Policy.Junk) and
//     hubs (identifiers seen with too many distinct people) never link; they
//     are quarantined, stay queryable through [Graph.Status], and the profiles
//     a hub glued are split again when it is found out.
//   - What may merge two people? Hard identifiers (email, phone, CRM number)
//     typed or verified together in one observation merge. A soft identifier
//     (cookie, device) that two profiles both hold bridges them when both
//     typed on it and the bridge's score (the weights of evidence of its
//     features, score.go) reaches Policy.Threshold: no clashing kind, a
//     side with no browser of its own (a second phone typed from the
//     person's own browsers), independent soft identifiers repeating the
//     bridge, one sitting. Two people who share one computer clash on
//     email and phone and each have browsers of their own; clicks and calls
//     (attach-only evidence) never merge two profiles with contacts by
//     themselves. Otherwise the soft identifier attaches to the profile
//     whose evidence dominates it, or stays on its own, and
//     the refusal can be read through [Graph.WhyNot].
//
// Order: with all evidence in, the profiles depend only on the set of
// observations, not their order. Along the way they may not: a device looks
// shared only once its second person appears; until then it joins the first,
// and the observation that reveals it reports the split in its [Change].
type Policy struct {
	// Disabled turns every rule off: profiles are the connected components
	// of the observations (junk and hubs link like anything else).
	Disabled bool
	// Sources maps source names to their trust and capability; nil means
	// DefaultSources. Unknown sources get TrustAsserted.
	Sources map[string]SourceRule
	// Junk lists the host's own values that name no customer: its
	// dealerships' phones and emails, its call-tracking pool numbers. They are
	// normalized by their kind; values that do not normalize are an error.
	Junk []ID
	// NoBuiltinJunk turns off the built-in junk list (placeholders, repeated
	// and sequential digits, toll-free numbers).
	NoBuiltinJunk bool
	// MaxPeoplePerSoft quarantines a soft identifier seen with more distinct
	// hard identifiers than this: 0 means 12, room for a family of four who
	// each left an email and a phone, or two, on the home computer; a
	// showroom tablet used for surveys exceeds it within days.
	MaxPeoplePerSoft int
	// MaxPerKind quarantines a hard identifier seen with more distinct hard
	// identifiers of one kind than this: 0 means 4 (a person has a few
	// phones; the dealer's own number typed into every form has hundreds).
	MaxPerKind int
	// SoftLimit caps the soft identifiers of one kind a profile holds; the
	// weakest beyond it stay on their own. nil means cookie 64 (Bloomreach's
	// limit, room for years of cookie churn) and device 16 (a family's ten
	// devices with room to spare).
	SoftLimit map[Kind]int
	// Near bounds how far apart in time two profiles may be seen for a
	// bridge that clashes on one kind and rests on clicks or calls on one
	// side (Bridge.Near): the gap between their journeys, the spans of all
	// their evidence, 0 when they overlap. A browser one profile holds only
	// by clicks or calls also counts toward the other depending on it only
	// when the clicks or calls fall within Near of the other's typing there.
	// 0 means 15 days; negative means no limit. A person's second phone
	// turns up during their own journey, however long it is; a forwarded
	// link or a call matched to the wrong visitor lands at a time unrelated
	// to that visitor's own journey.
	Near time.Duration
	// Weights are the weights of evidence of a bridge's features; the zero
	// value means DefaultWeights.
	Weights Weights
	// Threshold is the score a bridge needs under the default decision.
	// 0 means the graph sets it from its own bridges (Calibration): 1 in a
	// new graph, 0 where household members seldom type on shared browsers,
	// 3 where they often do, 5 where most households do. Any other value
	// is used as it is: raising it trades recall for precision (see the
	// README's frontier). The default keeps contacts precision ≥ 0.9995
	// on the worst of 40 generated worlds, and of 120 more from other
	// seeds.
	Threshold float64
	// Decide replaces the default bridge decision. It sees the bridge's
	// features, score and threshold; returning true merges.
	Decide func(Bridge) bool
}

// A SourceRule says how far evidence from a source can be believed.
type SourceRule struct {
	Trust Trust
	// AttachOnly evidence may attach a soft identifier to a profile but is
	// never mergeable support for joining two profiles that both hold hard
	// identifiers: a personal link can be forwarded, a call matched to the
	// wrong session. It still counts as presence in a bridge's features
	// (Bridge.Shared, Bridge.Apart, Bridge.Covered), so it can strengthen
	// or weaken a bridge that typing supports.
	AttachOnly bool
}

// DefaultSources is the default table of source names, used when
// Policy.Sources is nil. An observation's own Trust overrides its source's
// rule: the trust it names applies, and only inferred evidence is attach-only.
//
//	web_form     asserted      the person typed it
//	csi_survey   asserted      a satisfaction survey
//	chat         asserted
//	app_login    verified      a login proves the account
//	payment      verified      a pay-by-link payment
//	crm_import   verified      the dealer's own record
//	email_click  asserted, attach only   a personal link can be forwarded
//	sms_click    asserted, attach only
//	call         inferred, attach only   a call-tracking match of a pool number
func DefaultSources() map[string]SourceRule {
	return map[string]SourceRule{
		"web_form":    {Trust: TrustAsserted},
		"csi_survey":  {Trust: TrustAsserted},
		"chat":        {Trust: TrustAsserted},
		"app_login":   {Trust: TrustVerified},
		"payment":     {Trust: TrustVerified},
		"crm_import":  {Trust: TrustVerified},
		"email_click": {Trust: TrustAsserted, AttachOnly: true},
		"sms_click":   {Trust: TrustAsserted, AttachOnly: true},
		"call":        {Trust: TrustInferred, AttachOnly: true},
	}
}

// policy is a Policy resolved against a graph's kinds.
type policy struct {
	Policy
	sources    map[string]SourceRule
	junkVals   map[ID]bool
	maxSoft    int
	maxPerKind int
	softLimit  []int // by kind number; 0 is no limit
	decide     func(Bridge) bool
	near       time.Duration // negative: no limit
	weights    Weights
	threshold  float64 // in force: Policy.Threshold, or the calibrated one
	calibrated bool    // Policy.Threshold is 0: the graph sets it (calibrate.go)
}

func (g *Graph) setPolicy(p Policy) error {
	rp := policy{Policy: p, sources: p.Sources, junkVals: map[ID]bool{}, maxSoft: p.MaxPeoplePerSoft, maxPerKind: p.MaxPerKind, decide: p.Decide}
	if rp.sources == nil {
		rp.sources = DefaultSources()
	}
	if rp.maxSoft <= 0 {
		rp.maxSoft = 12
	}
	if rp.maxPerKind <= 0 {
		rp.maxPerKind = 4
	}
	if rp.decide == nil {
		rp.decide = DefaultDecide
	}
	rp.weights = p.Weights.withDefaults()
	if rp.threshold = p.Threshold; rp.threshold == 0 {
		rp.calibrated = true
		rp.threshold = g.calib.threshold()
	}
	switch rp.near = p.Near; {
	case rp.near == 0:
		rp.near = 15 * 24 * time.Hour
	case rp.near < 0:
		rp.near = -1
	}
	limits := p.SoftLimit
	if limits == nil {
		limits = map[Kind]int{Cookie: 64, Device: 16}
	}
	rp.softLimit = make([]int, len(g.kinds))
	for k, n := range limits {
		i, ok := g.kindOf(k)
		if !ok {
			return &ParseError{Kind: k, Reason: "SoftLimit names an unknown kind", Err: ErrBadOptions}
		}
		rp.softLimit[i] = n
	}
	for _, id := range p.Junk {
		c, err := g.Normalize(id.Kind, id.Value)
		if err != nil {
			return err
		}
		rp.junkVals[c] = true
	}
	g.policy = rp
	return nil
}

// sourceRule returns the trust and flags evidence from a source carries.
func (p *policy) sourceRule(source string, override Trust) (Trust, uint8) {
	r, ok := p.sources[source]
	if !ok {
		r = SourceRule{Trust: TrustAsserted}
	}
	t, attachOnly := r.Trust, r.AttachOnly
	if override != TrustDefault {
		// An explicit trust replaces the source's: a call whose caller the
		// operator verified may merge.
		t, attachOnly = override, false
	}
	var f uint8
	if attachOnly || t == TrustInferred {
		f |= obsAttachOnly
	}
	return t, f
}

// isJunk reports whether a canonical value is junk, and why.
func (g *Graph) isJunk(k uint8, v string) (string, bool) {
	p := &g.policy
	kind := g.kinds[k].Kind
	if p.junkVals[ID{kind, v}] {
		return "on the host's junk list", true
	}
	if p.NoBuiltinJunk {
		return "", false
	}
	if jd, ok := g.kinds[k].Normalizer.(JunkDetector); ok {
		if reason, junk := jd.Junk(v); junk {
			return reason, true
		}
	}
	switch kind {
	case Email:
		return junkEmail(v)
	case Phone:
		return junkPhone(v)
	case Cookie, Device, CRM:
		return junkToken(v)
	}
	return "", false
}
