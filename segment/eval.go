package segment

import (
	"cmp"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// A profile's behaviour is kept as hits: for every event and every filter
// it passes, one uint64 of the filter's number (high 16 bits) and the
// event's second (low 48 bits, biased so that order is kept). One sorted
// slice per profile answers every count, recency and sequence question
// by binary search, at 8 bytes per hit, and needs no per-filter slices.
const (
	secBias = int64(1) << 47
	secMask = uint64(1)<<48 - 1
)

func hitKey(f int, sec int64) uint64 {
	sec = min(max(sec, -secBias), secBias-1)
	return uint64(f)<<48 | uint64(sec+secBias)
}

func hitSec(h uint64) int64 { return int64(h&secMask) - secBias }

// pstate is what the engine keeps of one profile.
type pstate struct {
	id    identity.ProfileID
	hits  []uint64 // sorted
	kinds uint64   // bit i: has an identifier of the set's i-th kind
}

// span returns the hits of filter f with seconds in [lo, hi].
func (s *pstate) span(f int, lo, hi int64) []uint64 {
	if lo > hi {
		return nil
	}
	a, _ := slices.BinarySearch(s.hits, hitKey(f, lo))
	b, _ := slices.BinarySearch(s.hits[a:], hitKey(f, hi)+1)
	return s.hits[a : a+b]
}

// evalCtx is one evaluation of one profile at one time.
type evalCtx struct {
	st     *pstate
	now    int64 // seconds
	nowT   time.Time
	bits   []uint64 // the profile's memberships as computed so far
	props  map[string]string
	loaded bool
	getter func(identity.ProfileID) map[string]string
	seq    [2][]int64 // scratch for sequences
}

func (c *evalCtx) prop(name string) (string, bool) {
	if !c.loaded {
		c.loaded = true
		if c.getter != nil {
			c.props = c.getter(c.st.id)
		}
	}
	v, ok := c.props[name]
	return v, ok
}

type node interface{ eval(c *evalCtx) bool }

type (
	andNode   []node
	orNode    []node
	notNode   struct{ n node }
	falseNode struct{}
	hasNode   struct{ bit uint64 }
	propNode  struct{ m *matcher }
	inSegNode struct{ bit int }
	reachNode struct {
		r                *channel.Reacher
		channel, purpose string
	}
)

func (n andNode) eval(c *evalCtx) bool {
	for _, x := range n {
		if !x.eval(c) {
			return false
		}
	}
	return true
}

func (n orNode) eval(c *evalCtx) bool {
	for _, x := range n {
		if x.eval(c) {
			return true
		}
	}
	return false
}

func (n notNode) eval(c *evalCtx) bool  { return !n.n.eval(c) }
func (falseNode) eval(*evalCtx) bool    { return false }
func (n hasNode) eval(c *evalCtx) bool  { return c.st.kinds&n.bit != 0 }
func (n propNode) eval(c *evalCtx) bool { v, ok := c.prop(n.m.name); return n.m.match(v, ok, c.nowT) }

func (n *inSegNode) eval(c *evalCtx) bool { return c.bits[n.bit/64]&(1<<(n.bit%64)) != 0 }

func (n *reachNode) eval(c *evalCtx) bool {
	if n.r == nil {
		return false
	}
	for _, x := range n.r.Reach(c.st.id, n.purpose, c.nowT) {
		if x.Channel == n.channel {
			// Caps and quiet hours delay a message; they do not make a
			// person unreachable.
			return x.Reason == channel.Reachable || x.Reason == channel.Capped || x.Reason == channel.Quiet
		}
	}
	return false
}

// window is a compiled Window in seconds.
type window struct {
	last     int64 // relative: (now-last, now]
	from, to int64 // absolute: [from, to)
}

// bounds returns the inclusive range of seconds the window admits at now.
func (w window) bounds(now int64) (lo, hi int64) {
	lo, hi = w.from, now
	if w.to != math.MaxInt64 {
		hi = min(hi, w.to-1)
	}
	if w.last > 0 {
		lo = max(lo, now-w.last+1)
	}
	return lo, hi
}

type countNode struct {
	f        int
	min, max int
	none     bool
	win      window
}

func (n *countNode) eval(c *evalCtx) bool {
	lo, hi := n.win.bounds(c.now)
	k := len(c.st.span(n.f, lo, hi))
	if n.none {
		return k == 0
	}
	return k >= n.min && (n.max == 0 || k <= n.max)
}

type ageNode struct {
	f            int
	last         bool
	older, newer int64
}

func (n *ageNode) eval(c *evalCtx) bool {
	hs := c.st.span(n.f, math.MinInt64/2, c.now)
	if len(hs) == 0 {
		return false
	}
	t := hitSec(hs[0])
	if n.last {
		t = hitSec(hs[len(hs)-1])
	}
	age := c.now - t
	return (n.older == 0 || age > n.older) && (n.newer == 0 || age <= n.newer)
}

type seqNode struct {
	fs     []int
	within []int64
	win    window
}

// eval finds a chain t0 < t1 < … with t[i]−t[i−1] ≤ within[i]. For each
// step it keeps the times a chain can end at; the latest earlier end is
// always the best predecessor, so one merge-like pass per step suffices.
func (n *seqNode) eval(c *evalCtx) bool {
	lo, hi := n.win.bounds(c.now)
	prev := c.seq[0][:0]
	for _, h := range c.st.span(n.fs[0], lo, hi) {
		prev = append(prev, hitSec(h))
	}
	for i := 1; i < len(n.fs) && len(prev) > 0; i++ {
		next := c.seq[1][:0]
		j := 0
		for _, h := range c.st.span(n.fs[i], lo, hi) {
			t := hitSec(h)
			for j < len(prev) && prev[j] < t {
				j++
			}
			// prev[j-1] is the latest chain end strictly before t.
			if j > 0 && (n.within[i] == 0 || t-prev[j-1] <= n.within[i]) {
				next = append(next, t)
			}
		}
		c.seq[0], c.seq[1] = next, prev
		prev = next
	}
	c.seq[0] = prev[:0]
	return len(prev) > 0
}

// cfilter is a compiled event filter.
type cfilter struct {
	typ   string
	where []*matcher
}

func (f *cfilter) match(e *journey.Event) bool {
	if f.typ != "" && string(e.Type) != f.typ {
		return false
	}
	for _, m := range f.where {
		v, ok := eventField(e, m.name)
		if !m.match(v, ok, time.Time{}) {
			return false
		}
	}
	return true
}

func eventField(e *journey.Event, name string) (string, bool) {
	if rest, ok := strings.CutPrefix(name, "touch."); ok {
		var v string
		switch rest {
		case "channel":
			v = e.Touch.ChannelName()
		case "source":
			v = e.Touch.Source
		case "medium":
			v = e.Touch.Medium
		case "campaign":
			v = e.Touch.Campaign
		case "content":
			v = e.Touch.Content
		case "term":
			v = e.Touch.Term
		}
		return v, v != ""
	}
	switch name {
	case "value":
		if e.Value.Currency == "" && e.Value.Minor == 0 {
			return "", false
		}
		return decimal(e.Value), true
	case "currency":
		return e.Value.Currency, e.Value.Currency != ""
	}
	v, ok := e.Props[name]
	return v, ok
}

type valKind uint8

const (
	strKind valKind = iota
	numKind
	dateKind
	relKind // relative to the evaluation time
)

// operand is the typed value of an ordering comparison.
type operand struct {
	kind valKind
	s    string
	num  float64
	t    int64 // unix nanoseconds
	rel  time.Duration
}

func (a operand) cmp(b operand) int {
	switch a.kind {
	case numKind:
		return cmp.Compare(a.num, b.num)
	case dateKind:
		return cmp.Compare(a.t, b.t)
	}
	return strings.Compare(a.s, b.s)
}

// matcher is a compiled Prop.
type matcher struct {
	name   string
	op     Op
	fold   bool
	s      string
	set    map[string]struct{}
	re     *regexp.Regexp
	lo, hi operand
}

func (m *matcher) norm(s string) string {
	if !m.fold {
		return s
	}
	return strings.ReplaceAll(strings.ToLower(s), "ё", "е")
}

func (m *matcher) match(v string, ok bool, now time.Time) bool {
	switch m.op {
	case Exists:
		return ok
	case Missing:
		return !ok
	case NotEquals:
		return !ok || m.norm(v) != m.s
	case NotContains:
		return !ok || !strings.Contains(m.norm(v), m.s)
	case NotIn:
		if !ok {
			return true
		}
		_, in := m.set[m.norm(v)]
		return !in
	}
	if !ok {
		return false
	}
	switch m.op {
	case Equals:
		return m.norm(v) == m.s
	case Contains:
		return strings.Contains(m.norm(v), m.s)
	case StartsWith:
		return strings.HasPrefix(m.norm(v), m.s)
	case EndsWith:
		return strings.HasSuffix(m.norm(v), m.s)
	case Regex:
		return m.re != nil && m.re.MatchString(v)
	case In:
		_, in := m.set[m.norm(v)]
		return in
	case Greater:
		c, ok := m.compare(v, m.lo, now)
		return ok && c > 0
	case GreaterEq:
		c, ok := m.compare(v, m.lo, now)
		return ok && c >= 0
	case Less:
		c, ok := m.compare(v, m.lo, now)
		return ok && c < 0
	case LessEq:
		c, ok := m.compare(v, m.lo, now)
		return ok && c <= 0
	case Between:
		a, ok1 := m.compare(v, m.lo, now)
		b, ok2 := m.compare(v, m.hi, now)
		return ok1 && ok2 && a >= 0 && b <= 0
	}
	return false
}

// compare compares a property's value with an operand of the operand's
// type; ok is false when the value is not of that type.
func (m *matcher) compare(v string, o operand, now time.Time) (int, bool) {
	switch o.kind {
	case numKind:
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) {
			return 0, false
		}
		return cmp.Compare(f, o.num), true
	case dateKind, relKind:
		t, ok := parseDate(v)
		if !ok {
			return 0, false
		}
		ref := o.t
		if o.kind == relKind {
			ref = now.Add(o.rel).UnixNano()
		}
		return cmp.Compare(t.UnixNano(), ref), true
	}
	return strings.Compare(m.norm(v), m.norm(o.s)), true
}
