package segment

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/throughline/throughline/identity"
)

// Next best action: a catalog of actions, gates that say why an action is
// or is not for this customer now, a contact policy, and arbitration that
// ranks what is left. The terms are Pega's:
//
//   - eligible: the customer qualifies (a lead, not a buyer yet);
//   - applicable: the action is relevant now (a test drive of a model in
//     stock);
//   - suitable: it is in the customer's interest (no second test drive
//     within 30 days);
//   - reachable: the acting company may contact the customer on the
//     action's channel for its purpose (its own consent);
//
// then the contact policy (caps per channel, cooldowns, suppression after
// rejections), then one action per mutual-exclusion group, ranked by
// propensity × context × value × lever. Propensity is learned from the
// outcomes recorded (Beta–Bernoulli per action and segment, prior mean 1).
// A deterministic random holdout gets no actions, so uplift can be
// measured (Uplift). The same catalog, state and outcomes give the same
// actions.

// An Action is one thing a dealership can do next for a customer.
type Action struct {
	ID      string
	Channel string // "sms", "email", "call", or "in_person"
	Role    string // who does it: "salesperson", "call_centre"
	Purpose string // the consent purpose it needs: "marketing", "service", "contract"
	// Group is a mutual-exclusion group: of the actions sharing one, only
	// the best is offered ("" for none).
	Group string
	// Cooldown is how long after the action was last presented to a
	// customer it is not offered again.
	Cooldown time.Duration
	Value    float64 // the business value of its success
	Lever    float64 // management's boost; 0 means 1
	// The gates: each returns "" when the action passes it for the
	// customer, or a reason a salesperson can read. nil passes.
	Eligible, Applicable, Suitable func(c *Customer) string
}

// A Customer is what arbitration sees of a profile, as the host assembles
// it: segments, reachability through the acting company, the outcomes of
// earlier actions, and the moment.
type Customer struct {
	Profile  identity.ProfileID
	Segments []string
	Now      time.Time
	// Reachable says whether the acting company may contact the customer
	// on channel for purpose, and why not; nil allows everything (an
	// in-person action needs no channel consent either way).
	Reachable func(channel, purpose string) (bool, string)
	// Outcomes are this customer's recorded outcomes, any order.
	Outcomes []Outcome
	// Context weighs actions by the moment (a channel's fit, a page being
	// read): nil is 1 for every action.
	Context func(a *Action) float64
	// Company is the group company acting: the contact policy's caps count
	// its own presentations to the customer ("" counts every company's).
	Company string
	// Assigned is the salesperson the customer is assigned to (the one who
	// answered the lead, say): a salesperson's action goes to them.
	Assigned string
	// Views are the car cards the customer viewed, and Dealerships those
	// that may serve it (none: all), for the dealer actions' stock rules
	// (ActionSet).
	Views       []View
	Dealerships []string
}

// An OutcomeKind is what became of a presented action.
type OutcomeKind uint8

const (
	Presented OutcomeKind = iota + 1
	Accepted
	Rejected
	Completed
	Converted
)

// An Outcome is a recorded step of an action's life with one customer; hosts
// keep outcomes as journey events too, with salesperson and dealership.
type Outcome struct {
	Action      string
	Kind        OutcomeKind
	At          time.Time
	Segment     string // the segment the propensity learns under ("" for all)
	Salesperson string
	Dealership  string
	// Company is the group company that acted; caps count per company
	// (see Customer.Company).
	Company string
}

// A ContactPolicy bounds how often a customer is contacted.
type ContactPolicy struct {
	// Caps limit the actions presented per channel within Window ("*"
	// for all channels).
	Caps   map[string]int
	Window time.Duration
	// After RejectLimit rejections of one action (0: never), it is
	// suppressed for Suppress.
	RejectLimit int
	Suppress    time.Duration
}

// A Catalog is a versioned set of actions with its contact policy and
// holdout.
type Catalog struct {
	Version string
	Actions []Action
	Policy  ContactPolicy
	// Holdout is the share of customers, chosen at random by profile ID
	// (stable for a catalog version), who get no actions: the control
	// group uplift is measured against.
	Holdout float64
}

// ErrCatalog reports a catalog that cannot be used.
var ErrCatalog = errors.New("segment: invalid action catalog")

// A Recommendation is an action offered, with its score and the factors
// it is the product of.
type Recommendation struct {
	Action                            string
	Score                             float64
	Propensity, Context, Value, Lever float64
	// Assignee is who does it: the customer's assigned salesperson
	// (Customer.Assigned) for an action whose Role is "salesperson".
	Assignee string
}

// A Declined says why an action was not offered.
type Declined struct {
	Action string
	Gate   string // eligible, applicable, suitable, reachable, cooldown, cap, suppressed, excluded, holdout
	Reason string
}

// An Arbiter ranks a catalog's actions for customers, learning
// propensities from the outcomes it is told. It is safe for concurrent use.
type Arbiter struct {
	cat   Catalog
	index map[string]int // action ID → its place in cat.Actions
	salt  uint64
	mu    sync.RWMutex
	prop  map[[2]string]*beta // (action, segment) → outcomes
}

type beta struct{ accepted, presented float64 }

// NewArbiter returns an arbiter for cat.
func NewArbiter(cat Catalog) (*Arbiter, error) {
	index := map[string]int{}
	for i, a := range cat.Actions {
		_, seen := index[a.ID]
		switch {
		case a.ID == "" || seen:
			return nil, fmt.Errorf("%w: action ID %q empty or repeated", ErrCatalog, a.ID)
		case a.Value < 0 || a.Lever < 0 || math.IsNaN(a.Value) || math.IsNaN(a.Lever):
			return nil, fmt.Errorf("%w: action %s: negative value or lever", ErrCatalog, a.ID)
		}
		index[a.ID] = i
	}
	if cat.Holdout < 0 || cat.Holdout >= 1 {
		return nil, fmt.Errorf("%w: holdout %v outside [0, 1)", ErrCatalog, cat.Holdout)
	}
	return &Arbiter{cat: cat, index: index, salt: xxhash.Sum64String("throughline/actions/" + cat.Version), prop: map[[2]string]*beta{}}, nil
}

// InHoldout reports whether p is in the catalog's holdout group.
func (ar *Arbiter) InHoldout(p identity.ProfileID) bool {
	b, _ := p.MarshalBinary()
	h := xxhash.Sum64(append(b, byte(ar.salt), byte(ar.salt>>8), byte(ar.salt>>16), byte(ar.salt>>24),
		byte(ar.salt>>32), byte(ar.salt>>40), byte(ar.salt>>48), byte(ar.salt>>56)))
	return float64(h>>11)/float64(1<<53) < ar.cat.Holdout
}

// Learn records outcomes: a presented action is a trial, an accepted (or
// completed, or converted) one a success, under its segment.
func (ar *Arbiter) Learn(outcomes ...Outcome) {
	ar.mu.Lock()
	defer ar.mu.Unlock()
	for _, o := range outcomes {
		k := [2]string{o.Action, o.Segment}
		b := ar.prop[k]
		if b == nil {
			b = &beta{}
			ar.prop[k] = b
		}
		switch o.Kind {
		case Presented:
			b.presented++
		case Accepted:
			b.accepted++
		}
	}
}

// Propensity is the estimated chance that action is accepted by a
// customer of segment: (accepted + 1) / (presented + 1), a Beta–Bernoulli
// estimate with prior mean 1, so an action nobody has tried yet ranks by
// its value and lever until outcomes arrive.
func (ar *Arbiter) Propensity(action, segment string) float64 {
	ar.mu.RLock()
	defer ar.mu.RUnlock()
	b := ar.prop[[2]string{action, segment}]
	if b == nil {
		return 1
	}
	return min(1, (b.accepted+1)/(b.presented+1))
}

// Next returns up to n actions for c, best first, one per mutual-exclusion
// group, and why each other action was not offered.
func (ar *Arbiter) Next(c *Customer, n int) ([]Recommendation, []Declined) {
	var refused []Declined
	if ar.InHoldout(c.Profile) {
		for _, a := range ar.cat.Actions {
			refused = append(refused, Declined{a.ID, "holdout", "in the holdout group: no actions, to measure uplift"})
		}
		return nil, refused
	}
	hist := ar.newHistory(c)
	var recs []Recommendation
	for i := range ar.cat.Actions {
		a := &ar.cat.Actions[i]
		if r := ar.refuse(a, c, hist); r != nil {
			refused = append(refused, *r)
			continue
		}
		recs = append(recs, ar.score(a, c))
	}
	slices.SortFunc(recs, func(x, y Recommendation) int {
		return cmp.Or(cmp.Compare(y.Score, x.Score), cmp.Compare(x.Action, y.Action))
	})
	groups := map[string]bool{}
	out := recs[:0:0]
	for _, r := range recs {
		g := ar.action(r.Action).Group
		if g != "" && groups[g] {
			refused = append(refused, Declined{r.Action, "excluded", "a better action of group " + g + " is offered"})
			continue
		}
		groups[g] = g != ""
		if len(out) < n {
			out = append(out, r)
		}
	}
	return out, refused
}

func (ar *Arbiter) action(id string) *Action {
	if i, ok := ar.index[id]; ok {
		return &ar.cat.Actions[i]
	}
	return nil
}

// refuse runs an action's gates and the contact policy, in order.
func (ar *Arbiter) refuse(a *Action, c *Customer, h *history) *Declined {
	for _, g := range []struct {
		name string
		f    func(*Customer) string
	}{{"eligible", a.Eligible}, {"applicable", a.Applicable}, {"suitable", a.Suitable}} {
		if g.f != nil {
			if why := g.f(c); why != "" {
				return &Declined{a.ID, g.name, why}
			}
		}
	}
	if a.Channel != "in_person" && c.Reachable != nil {
		if ok, why := c.Reachable(a.Channel, a.Purpose); !ok {
			return &Declined{a.ID, "reachable", why}
		}
	}
	p := ar.cat.Policy
	if last, ok := h.lastPresented[a.ID]; ok && a.Cooldown > 0 && c.Now.Sub(last) < a.Cooldown {
		return &Declined{a.ID, "cooldown", fmt.Sprintf("presented %s ago, cooldown %s", c.Now.Sub(last).Round(time.Hour), a.Cooldown)}
	}
	if p.RejectLimit > 0 && h.rejections(a.ID, c.Now, p.Suppress) >= p.RejectLimit {
		return &Declined{a.ID, "suppressed", fmt.Sprintf("rejected %d times within %s", p.RejectLimit, p.Suppress)}
	}
	for _, ch := range []string{a.Channel, "*"} {
		if limit, ok := p.Caps[ch]; ok && h.presentedSince(ch, c.Now.Add(-p.Window)) >= limit {
			return &Declined{a.ID, "cap", fmt.Sprintf("%d contacts on %s within %s already", limit, ch, p.Window)}
		}
	}
	return nil
}

// score is propensity × context × value × lever; the propensity is the
// best among the customer's segments (or the catalog-wide one).
func (ar *Arbiter) score(a *Action, c *Customer) Recommendation {
	prop := ar.Propensity(a.ID, "")
	for _, s := range c.Segments {
		if ar.known(a.ID, s) {
			prop = ar.Propensity(a.ID, s)
			break
		}
	}
	ctx := 1.0
	if c.Context != nil {
		ctx = c.Context(a)
	}
	lever := a.Lever
	if lever == 0 {
		lever = 1
	}
	rec := Recommendation{Action: a.ID, Score: prop * ctx * a.Value * lever, Propensity: prop, Context: ctx, Value: a.Value, Lever: lever}
	if a.Role == "salesperson" {
		rec.Assignee = c.Assigned
	}
	return rec
}

func (ar *Arbiter) known(action, segment string) bool {
	ar.mu.RLock()
	defer ar.mu.RUnlock()
	_, ok := ar.prop[[2]string{action, segment}]
	return ok
}

// history indexes a customer's outcomes for the contact policy, once per
// Next: when each action was last presented, and the presentations with
// the channel of their action.
type history struct {
	outcomes      []Outcome
	lastPresented map[string]time.Time
	presented     []presentation
}

type presentation struct {
	channel string
	known   bool // the catalog holds the action
	at      time.Time
}

func (ar *Arbiter) newHistory(c *Customer) *history {
	h := &history{outcomes: c.Outcomes, lastPresented: map[string]time.Time{}}
	for _, o := range c.Outcomes {
		if o.Kind != Presented {
			continue
		}
		if c.Company != "" && o.Company != "" && o.Company != c.Company {
			continue // another company's contact: its own cap, not this one's
		}
		if o.At.After(h.lastPresented[o.Action]) {
			h.lastPresented[o.Action] = o.At
		}
		pr := presentation{at: o.At}
		if a := ar.action(o.Action); a != nil {
			pr.channel, pr.known = a.Channel, true
		}
		h.presented = append(h.presented, pr)
	}
	return h
}

func (h *history) rejections(action string, now time.Time, within time.Duration) int {
	n := 0
	for _, o := range h.outcomes {
		if o.Action == action && o.Kind == Rejected && (within == 0 || now.Sub(o.At) < within) {
			n++
		}
	}
	return n
}

// presentedSince counts the presentations on channel ("*": any) since.
func (h *history) presentedSince(channel string, since time.Time) int {
	n := 0
	for _, pr := range h.presented {
		if !pr.at.Before(since) && (channel == "*" || pr.known && pr.channel == channel) {
			n++
		}
	}
	return n
}

// Uplift compares the conversion rate of the treated customers with the
// holdout's: the difference and its 95% interval (normal approximation of
// the difference of two proportions).
func Uplift(treatedConverted, treated, controlConverted, control int) (diff, lo, hi float64) {
	if treated == 0 || control == 0 {
		return 0, math.Inf(-1), math.Inf(1)
	}
	p1, p0 := float64(treatedConverted)/float64(treated), float64(controlConverted)/float64(control)
	se := math.Sqrt(p1*(1-p1)/float64(treated) + p0*(1-p0)/float64(control))
	diff = p1 - p0
	return diff, diff - 1.96*se, diff + 1.96*se
}
