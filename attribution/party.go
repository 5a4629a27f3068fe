package attribution

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// Party credit is the second ledger of a sale, beside channel attribution
// and never mixed with it: which dealerships and which people earned it.
// It rests only on recorded activity (a lead answered, a test drive, a
// trade-in appraisal, a completed next best action, a tracked call),
// weighed by a versioned CreditPolicy:
//
//   - revenue credit sums to 1 across dealerships, and again to 1 across
//     the people of each dealership;
//   - overlay parties (the call centre, marketing) are credited beside the
//     revenue, not out of it: their credit may sum to anything;
//   - the closing dealership gets at least the policy's floor;
//   - a manager's Override is a record with a reason, applied on top;
//   - credit is recomputed whenever evidence arrives, until the period a
//     sale belongs to is frozen: a frozen sale's credit never moves.
//
// Dealership × channel credit is party share × channel share (Cross).

// An Activity is one recorded piece of work toward a sale.
type Activity struct {
	Type       string // "lead_response", "test_drive", "trade_in", "action", "call", ...
	Dealership string // the dealership of the party that did it
	Person     string // the salesperson; "" for the dealership as a whole
	At         time.Time
	// Overlay marks an overlay party (a call centre, marketing): credited
	// beside the revenue credit.
	Overlay bool
}

// A Sale is what is credited: its value, when, the dealership that closed
// it, and the activity recorded toward it.
type Sale struct {
	ID         string
	At         time.Time
	Value      float64
	Closing    string
	Activities []Activity
}

// A CreditPolicy weighs recorded activity. Its Version names it in every
// credit it produces, so a recomputation under another policy shows.
type CreditPolicy struct {
	Version string
	// Weights per activity type; a type the policy does not list counts
	// for nothing.
	Weights map[string]float64
	// HalfLife decays activity by its age at the sale (0: no decay).
	HalfLife time.Duration
	// Cap is how many activities of a type count per party and sale, the
	// latest first (0: all).
	Cap map[string]int
	// ClosingFloor is the least revenue share of the closing dealership,
	// in [0, 1].
	ClosingFloor float64
}

// An Override is a manager's decision about one sale: Dealership's
// revenue share is Share (the others keep their proportions in the rest).
type Override struct {
	Sale       string
	Dealership string
	Share      float64
	Reason     string // required
	By         string
	At         time.Time
}

// A PartyCredit is one sale's party ledger.
type PartyCredit struct {
	Sale, Policy string
	Value        float64
	// Dealerships holds each dealership's revenue share (summing to 1);
	// People each dealership's people's shares of it (summing to 1 per
	// dealership; "" is the dealership as a whole).
	Dealerships map[string]float64
	People      map[string]map[string]float64
	// Overlay holds the overlay parties' credit ("dealership/person"),
	// beside the revenue.
	Overlay map[string]float64
	// Overrides lists the overrides applied, in the order recorded.
	Overrides []Override
	Frozen    bool
}

// Errors of party credit.
var (
	ErrPolicy   = errors.New("attribution: invalid credit policy")
	ErrOverride = errors.New("attribution: invalid override")
	ErrFrozen   = errors.New("attribution: the sale's period is frozen")
	ErrNoSale   = errors.New("attribution: no such sale")
)

// Check reports whether the policy can be used.
func (p CreditPolicy) Check() error {
	if p.Version == "" {
		return fmt.Errorf("%w: no version", ErrPolicy)
	}
	if p.ClosingFloor < 0 || p.ClosingFloor > 1 || math.IsNaN(p.ClosingFloor) {
		return fmt.Errorf("%w: closing floor %v outside [0, 1]", ErrPolicy, p.ClosingFloor)
	}
	for t, w := range p.Weights {
		if w < 0 || math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("%w: weight of %q is %v", ErrPolicy, t, w)
		}
	}
	if p.HalfLife < 0 {
		return fmt.Errorf("%w: negative half-life", ErrPolicy)
	}
	return nil
}

// Credit computes a sale's party credit under p, overrides applied in
// order. It is a pure function of its arguments.
func (p CreditPolicy) Credit(s Sale, overrides []Override) PartyCredit {
	out := PartyCredit{Sale: s.ID, Policy: p.Version, Value: s.Value,
		Dealerships: map[string]float64{}, People: map[string]map[string]float64{}, Overlay: map[string]float64{}}
	byDealer, byPerson, overlay, total := p.weigh(s)
	if total == 0 { // nothing recorded counts: the closing dealership earned it
		byDealer = map[string]float64{s.Closing: 1}
		byPerson = map[string]map[string]float64{s.Closing: {"": 1}}
		total = 1
	}
	for d, w := range byDealer {
		out.Dealerships[d] = w / total
	}
	applyFloor(out.Dealerships, s.Closing, p.ClosingFloor)
	for _, o := range overrides {
		if o.Sale == s.ID {
			setShare(out.Dealerships, o.Dealership, o.Share)
			out.Overrides = append(out.Overrides, o)
		}
	}
	for d := range out.Dealerships {
		people := byPerson[d]
		if len(people) == 0 {
			people = map[string]float64{"": 1} // a share from the floor or an override alone
		}
		out.People[d] = normalized(people)
	}
	for party, w := range overlay {
		out.Overlay[party] = w / total
	}
	return out
}

// weigh sums each party's weighted activity: per dealership and person for
// revenue, per overlay party, and the revenue total.
func (p CreditPolicy) weigh(s Sale) (byDealer map[string]float64, byPerson map[string]map[string]float64, overlay map[string]float64, total float64) {
	byDealer, byPerson, overlay = map[string]float64{}, map[string]map[string]float64{}, map[string]float64{}
	acts := slices.Clone(s.Activities)
	// Latest first, so a cap keeps the activity nearest the sale; ties by
	// the other fields, so the result never depends on input order.
	slices.SortFunc(acts, func(a, b Activity) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(a.Dealership, b.Dealership), cmp.Compare(a.Person, b.Person), cmp.Compare(a.Type, b.Type))
	})
	counted := map[[3]string]int{}
	for _, a := range acts {
		w := p.Weights[a.Type]
		if w == 0 || a.At.After(s.At) {
			continue // not in the policy, or after the sale
		}
		k := [3]string{a.Dealership, a.Person, a.Type}
		if c := p.Cap[a.Type]; c > 0 && counted[k] >= c {
			continue
		}
		counted[k]++
		if p.HalfLife > 0 {
			w *= math.Exp2(-float64(s.At.Sub(a.At)) / float64(p.HalfLife))
		}
		if a.Overlay {
			overlay[a.Dealership+"/"+a.Person] += w
			continue
		}
		byDealer[a.Dealership] += w
		if byPerson[a.Dealership] == nil {
			byPerson[a.Dealership] = map[string]float64{}
		}
		byPerson[a.Dealership][a.Person] += w
		total += w
	}
	return byDealer, byPerson, overlay, total
}

// applyFloor raises the closing dealership to the floor, scaling the
// others into the rest.
func applyFloor(shares map[string]float64, closing string, floor float64) {
	if floor > 0 && shares[closing] < floor {
		setShare(shares, closing, floor)
	}
}

// setShare sets d's share and scales the others to keep the sum at 1.
func setShare(shares map[string]float64, d string, share float64) {
	others := 0.0
	for k, v := range shares {
		if k != d {
			others += v
		}
	}
	for k, v := range shares {
		if k != d {
			if others > 0 {
				shares[k] = v / others * (1 - share)
			}
		}
	}
	shares[d] = share
	if others == 0 && share < 1 {
		// Nobody else to take the rest: d keeps it all.
		shares[d] = 1
	}
	renormalize(shares)
}

// normalized returns m scaled to sum to 1.
func normalized(m map[string]float64) map[string]float64 {
	out := make(map[string]float64, len(m))
	for k, v := range m {
		out[k] = v
	}
	renormalize(out)
	return out
}

// renormalize scales m to sum to 1, with the rounding left on its largest
// entry (chosen by key on ties), so the sum is 1 to the last bit or two.
func renormalize(m map[string]float64) {
	keys := make([]string, 0, len(m))
	sum := 0.0
	for k, v := range m {
		keys = append(keys, k)
		sum += v
	}
	if sum <= 0 {
		return
	}
	slices.Sort(keys)
	big := keys[0]
	rest := 0.0
	for _, k := range keys {
		m[k] /= sum
		if m[k] > m[big] {
			big = k
		}
	}
	for _, k := range keys {
		if k != big {
			rest += m[k]
		}
	}
	m[big] = 1 - rest
}

// Cross returns dealership × channel credit: each dealership's share times
// each channel's share of the sale (a channel Result's credits over its
// total), keyed by {dealership, channel}.
func Cross(parties map[string]float64, channels Result) map[[2]string]float64 {
	total := 0.0
	for _, c := range channels.Credits {
		total += c.Conversions
	}
	out := map[[2]string]float64{}
	if total == 0 {
		return out
	}
	for d, ds := range parties {
		for _, c := range channels.Credits {
			out[[2]string{d, c.Channel}] = ds * c.Conversions / total
		}
	}
	return out
}

// A PartyLedger keeps sales, their evidence and overrides, and their
// credit: recomputed when evidence arrives, frozen at a period close. It is
// safe for concurrent use.
type PartyLedger struct {
	mu        sync.Mutex
	policy    CreditPolicy
	sales     map[string]*Sale
	overrides []Override
	frozen    map[string]PartyCredit // sale → its credit at the close
	closedTo  time.Time              // sales at or before it are frozen
}

// NewPartyLedger returns an empty ledger under policy.
func NewPartyLedger(policy CreditPolicy) (*PartyLedger, error) {
	if err := policy.Check(); err != nil {
		return nil, err
	}
	return &PartyLedger{policy: policy, sales: map[string]*Sale{}, frozen: map[string]PartyCredit{}}, nil
}

// AddSale records a sale (its activities may come later, through
// AddActivity). A sale in a frozen period is refused.
func (l *PartyLedger) AddSale(s Sale) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.isFrozen(s.ID, s.At) {
		return fmt.Errorf("%w: sale %s at %s", ErrFrozen, s.ID, s.At.Format(time.DateOnly))
	}
	c := s
	c.Activities = slices.Clone(s.Activities)
	l.sales[s.ID] = &c
	return nil
}

// AddActivity records late evidence for a sale; its credit is recomputed
// on the next read. Evidence for a frozen sale is refused (ErrFrozen).
func (l *PartyLedger) AddActivity(sale string, a Activity) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sales[sale]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s", ErrNoSale, sale)
	case l.isFrozen(sale, s.At):
		return fmt.Errorf("%w: sale %s", ErrFrozen, sale)
	}
	s.Activities = append(s.Activities, a)
	return nil
}

// Override records a manager's decision; the reason is required.
func (l *PartyLedger) Override(o Override) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.sales[o.Sale]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s", ErrNoSale, o.Sale)
	case l.isFrozen(o.Sale, s.At):
		return fmt.Errorf("%w: sale %s", ErrFrozen, o.Sale)
	case o.Reason == "":
		return fmt.Errorf("%w: no reason", ErrOverride)
	case o.Share < 0 || o.Share > 1 || math.IsNaN(o.Share):
		return fmt.Errorf("%w: share %v outside [0, 1]", ErrOverride, o.Share)
	case o.Dealership == "":
		return fmt.Errorf("%w: no dealership", ErrOverride)
	}
	l.overrides = append(l.overrides, o)
	return nil
}

// Overrides lists the overrides recorded, in order.
func (l *PartyLedger) Overrides() []Override {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.overrides)
}

// Credit returns a sale's party credit: recomputed from the evidence so
// far, or as frozen at its period's close.
func (l *PartyLedger) Credit(sale string) (PartyCredit, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c, ok := l.frozen[sale]; ok {
		return c, nil
	}
	s, ok := l.sales[sale]
	if !ok {
		return PartyCredit{}, fmt.Errorf("%w: %s", ErrNoSale, sale)
	}
	return l.policy.Credit(*s, l.overrides), nil
}

// Close freezes every sale at or before end: their credit is computed now
// and never changes again.
func (l *PartyLedger) Close(end time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for id, s := range l.sales {
		if !s.At.After(end) {
			if _, done := l.frozen[id]; !done {
				c := l.policy.Credit(*s, l.overrides)
				c.Frozen = true
				l.frozen[id] = c
			}
		}
	}
	if end.After(l.closedTo) {
		l.closedTo = end
	}
}

func (l *PartyLedger) isFrozen(id string, at time.Time) bool {
	_, f := l.frozen[id]
	return f || (!l.closedTo.IsZero() && !at.After(l.closedTo))
}
