package channel

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/throughline/throughline/identity"
)

// Call-tracking errors.
var (
	ErrUnknownNumber = errors.New("channel: number is not in the call-tracking pool")
	ErrPoolConfig    = errors.New("channel: invalid call-tracking pool")
)

// CallPoolOptions configures a pool of substitute numbers for dynamic number
// insertion. The zero value of each duration picks the default.
type CallPoolOptions struct {
	// Numbers are the dealer's own tracking numbers (any format the phone
	// normalizer accepts). They are never a person's identifier: register
	// them as junk phones in identity (see Junk).
	Numbers []string
	// Default is the number shown when every pool number is held: calls to
	// it cannot be matched to a session.
	Default string
	// Idle is how long after its last page view a visitor still counts as
	// on the site; 30 minutes (a web session's timeout) by default.
	Idle time.Duration
	// Grace keeps the number after the visitor left, for a call dialled
	// just after closing the page; 150 seconds by default (Roistat keeps
	// 2.5 minutes).
	Grace time.Duration
	// Lookback is how far back released holders of a called number stay
	// candidates: a visitor who wrote the number down and called later.
	// 30 minutes by default; negative disables.
	Lookback time.Duration
	// Retention bounds the assignment history kept for matching; 48 hours
	// by default.
	Retention time.Duration
	// Threshold is the confidence at which Match names one session;
	// 0.8 by default.
	Threshold float64
}

// SessionRef names the web session that holds a number and the browser
// identifiers a matched call links to the caller.
type SessionRef struct {
	Session string // the host's session ID
	Cookie  string // a cookie or analytics client ID (_ga, Metrica uid)
}

// A CallPool assigns substitute numbers to visitor sessions and matches
// calls back to them. It is safe for concurrent use; time is always passed
// in, never read from the clock.
type CallPool struct {
	cfg     CallPoolOptions
	mu      sync.Mutex
	numbers []string       // canonical E.164, pool order
	index   map[string]int // canonical number -> position
	def     string
	free    []int          // free numbers, least recently released first
	holder  map[string]int // session -> number it holds
	live    []*lease       // by number: the current lease, nil when free
	history [][]lease      // by number: past leases, oldest first
	// scanAt is no later than the first time a lease may end or a past
	// lease leave the retention, so expire skips its scan until then.
	scanAt time.Time
}

type lease struct {
	session  SessionRef
	start    time.Time
	lastSeen time.Time
	left     time.Time // zero until Leave
}

// end is when the lease releases its number.
func (l *lease) end(cfg *CallPoolOptions) time.Time {
	if !l.left.IsZero() {
		return l.left.Add(cfg.Grace)
	}
	return l.lastSeen.Add(cfg.Idle + cfg.Grace)
}

// NewCallPool returns a pool over cfg.Numbers, all free.
func NewCallPool(opts *CallPoolOptions) (*CallPool, error) {
	var cfg CallPoolOptions
	if opts != nil {
		cfg = *opts
	}
	if cfg.Idle == 0 {
		cfg.Idle = 30 * time.Minute
	}
	if cfg.Grace == 0 {
		cfg.Grace = 150 * time.Second
	}
	if cfg.Lookback == 0 {
		cfg.Lookback = 30 * time.Minute
	}
	if cfg.Retention == 0 {
		cfg.Retention = 48 * time.Hour
	}
	if cfg.Threshold == 0 {
		cfg.Threshold = 0.8
	}
	if cfg.Idle < 0 || cfg.Grace < 0 || cfg.Retention < 0 || cfg.Threshold < 0 || cfg.Threshold > 1 {
		return nil, fmt.Errorf("%w: negative duration or threshold outside [0,1]", ErrPoolConfig)
	}
	p := &CallPool{cfg: cfg, index: map[string]int{}, holder: map[string]int{}}
	for _, raw := range cfg.Numbers {
		id, err := identity.ParseID(identity.Phone, raw)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrPoolConfig, err)
		}
		if _, dup := p.index[id.Value]; dup {
			return nil, fmt.Errorf("%w: duplicate number %s", ErrPoolConfig, id.Value)
		}
		p.index[id.Value] = len(p.numbers)
		p.free = append(p.free, len(p.numbers))
		p.numbers = append(p.numbers, id.Value)
	}
	if cfg.Default != "" {
		id, err := identity.ParseID(identity.Phone, cfg.Default)
		if err != nil {
			return nil, fmt.Errorf("%w: default: %w", ErrPoolConfig, err)
		}
		if _, in := p.index[id.Value]; in {
			return nil, fmt.Errorf("%w: default number %s is in the pool", ErrPoolConfig, id.Value)
		}
		p.def = id.Value
	}
	p.live = make([]*lease, len(p.numbers))
	p.history = make([][]lease, len(p.numbers))
	return p, nil
}

// Junk returns the pool's numbers and its default in canonical form, for
// identity.Policy's junk list: a tracking number is the dealer's, and a
// form or CRM record carrying it must not link the people who typed it.
func (p *CallPool) Junk() []identity.ID {
	ids := make([]identity.ID, 0, len(p.numbers)+1)
	for _, n := range p.numbers {
		ids = append(ids, identity.ID{Kind: identity.Phone, Value: n})
	}
	if p.def != "" {
		ids = append(ids, identity.ID{Kind: identity.Phone, Value: p.def})
	}
	return ids
}

// Assign is called on every page view (or heartbeat) of a session: it
// returns the number to show, renewing the session's hold, or taking the
// free number released longest ago. When every number is held it returns
// the default number and pooled false.
func (p *CallPool) Assign(s SessionRef, now time.Time) (number string, pooled bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	if i, ok := p.holder[s.Session]; ok {
		l := p.live[i]
		if now.After(l.lastSeen) {
			l.lastSeen = now
		}
		l.left = time.Time{} // came back within the grace period
		if s.Cookie != "" {
			l.session.Cookie = s.Cookie
		}
		return p.numbers[i], true
	}
	if len(p.free) == 0 {
		return p.def, false
	}
	i := p.free[0]
	p.free = p.free[1:]
	p.live[i] = &lease{session: s, start: now, lastSeen: now}
	p.wake(p.live[i].end(&p.cfg))
	p.holder[s.Session] = i
	return p.numbers[i], true
}

// Leave records that the session's visitor left (the page was closed): the
// number is released after the grace period instead of the idle timeout.
func (p *CallPool) Leave(session string, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i, ok := p.holder[session]; ok {
		p.live[i].left = now
		p.wake(p.live[i].end(&p.cfg))
	}
	p.expire(now)
}

// Free reports how many numbers are free at now.
func (p *CallPool) Free(now time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	return len(p.free)
}

// wake moves the next scan up to t if t is sooner.
func (p *CallPool) wake(t time.Time) {
	if p.scanAt.IsZero() || t.Before(p.scanAt) {
		p.scanAt = t
	}
}

// expire releases leases that ended by now and drops history older than
// the retention. Released numbers join the free list in release order, so
// the longest-free number is reused first and a late call is less likely
// to find its number with someone else. Renewals only move ends later, so
// until scanAt nothing can be due and the scan is skipped.
func (p *CallPool) expire(now time.Time) {
	if p.scanAt.IsZero() || now.Before(p.scanAt) {
		return
	}
	p.scanAt = time.Time{}
	type rel struct {
		i   int
		end time.Time
	}
	var rels []rel
	for i, l := range p.live {
		if l == nil {
			continue
		}
		if end := l.end(&p.cfg); !now.Before(end) {
			rels = append(rels, rel{i, end})
		} else {
			p.wake(end)
		}
	}
	slices.SortFunc(rels, func(a, b rel) int { return cmp.Or(a.end.Compare(b.end), cmp.Compare(a.i, b.i)) })
	for _, r := range rels {
		l := p.live[r.i]
		delete(p.holder, l.session.Session)
		p.history[r.i] = append(p.history[r.i], *l)
		p.live[r.i] = nil
		p.free = append(p.free, r.i)
	}
	cut := now.Add(-p.cfg.Retention)
	for i, h := range p.history {
		k := 0
		for k < len(h) && h[k].end(&p.cfg).Before(cut) {
			k++
		}
		if k > 0 {
			h = slices.Delete(h, 0, k)
			p.history[i] = h
		}
		if len(h) > 0 {
			p.wake(h[0].end(&p.cfg).Add(p.cfg.Retention))
		}
	}
}

// A CallCandidate is a session that could have placed a call.
type CallCandidate struct {
	Session    SessionRef
	Confidence float64   // in (0, 1]; candidates' confidences sum to 1
	Held       time.Time // when the session got the number
	Released   time.Time // when it let it go; zero if it still holds it
}

// A CallMatch is the outcome of matching one call.
type CallMatch struct {
	Called, Caller string // canonical E.164
	At             time.Time
	// Candidates are the sessions that could have placed the call, most
	// likely first. Empty for a call to the default number or to a pool
	// number nobody held.
	Candidates []CallCandidate
	// Matched reports that the first candidate reaches the pool's
	// confidence threshold; otherwise the call is ambiguous and yields no
	// identity evidence.
	Matched bool
}

// Session returns the matched session, if any.
func (m CallMatch) Session() (SessionRef, bool) {
	if !m.Matched {
		return SessionRef{}, false
	}
	return m.Candidates[0].Session, true
}

// Observation returns the identity evidence of a matched call: the caller's
// phone seen with the session's cookie, under the source "call" (inferred
// and attach-only by default, so a mismatched call never merges two
// people). It reports false for an ambiguous match or a session without a
// cookie.
func (m CallMatch) Observation() (identity.Observation, bool) {
	s, ok := m.Session()
	if !ok || s.Cookie == "" {
		return identity.Observation{}, false
	}
	return identity.Observation{
		Time: m.At, Source: "call", Trust: identity.TrustInferred,
		IDs: []identity.ID{{Kind: identity.Phone, Value: m.Caller}, {Kind: identity.Cookie, Value: s.Cookie}},
	}, true
}

// Match finds the sessions that could have placed a call to called from
// caller at time at. The holder of the number at that time is the likely
// one; holders who released it within the lookback stay candidates with a
// weight decaying with the time since release (scale: the grace period),
// and a holder idle for long loses weight the same way. Confidences are the
// normalized weights.
//
// A call to the default number returns no candidates; a number outside the
// pool fails with ErrUnknownNumber; a malformed caller number with
// identity's phone error. An anonymous caller (empty) is allowed: the match
// still names the session but yields no evidence.
func (p *CallPool) Match(called, caller string, at time.Time) (CallMatch, error) {
	cid, err := identity.ParseID(identity.Phone, called)
	if err != nil {
		return CallMatch{}, err
	}
	m := CallMatch{Called: cid.Value, At: at}
	if caller != "" {
		id, err := identity.ParseID(identity.Phone, caller)
		if err != nil {
			return CallMatch{}, err
		}
		m.Caller = id.Value
	}
	if cid.Value == p.def && p.def != "" {
		return m, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	i, ok := p.index[cid.Value]
	if !ok {
		return CallMatch{}, fmt.Errorf("%w: %s", ErrUnknownNumber, cid.Value)
	}
	tau := p.cfg.Grace.Seconds()
	if tau <= 0 {
		tau = 1
	}
	var total float64
	consider := func(l *lease, live bool) {
		if at.Before(l.start) {
			return
		}
		end := l.end(&p.cfg)
		var w float64
		switch {
		case live || !at.After(end):
			// Held at the call: full weight while on the site, decaying
			// once idle past the timeout.
			w = 1
			if active := l.lastSeen.Add(p.cfg.Idle); at.After(active) && l.left.IsZero() {
				w = math.Exp(-at.Sub(active).Seconds() / tau)
			}
		case p.cfg.Lookback > 0 && at.Sub(end) <= p.cfg.Lookback:
			w = 0.5 * math.Exp(-at.Sub(end).Seconds()/tau)
		default:
			return
		}
		if w < 1e-6 {
			return
		}
		c := CallCandidate{Session: l.session, Confidence: w, Held: l.start}
		if !live || at.After(end) {
			c.Released = end
		}
		m.Candidates = append(m.Candidates, c)
		total += w
	}
	if l := p.live[i]; l != nil {
		consider(l, !at.After(l.end(&p.cfg)))
	}
	for k := len(p.history[i]) - 1; k >= 0; k-- {
		consider(&p.history[i][k], false)
	}
	for k := range m.Candidates {
		m.Candidates[k].Confidence /= total
	}
	slices.SortStableFunc(m.Candidates, func(a, b CallCandidate) int { return cmp.Compare(b.Confidence, a.Confidence) })
	m.Matched = len(m.Candidates) > 0 && m.Candidates[0].Confidence >= p.cfg.Threshold
	return m, nil
}
