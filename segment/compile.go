package segment

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
)

// ErrInvalid is wrapped by every *Error: a definition that cannot be
// evaluated.
var ErrInvalid = errors.New("segment: invalid definition")

// An Error is one problem in a definition, at the path of the node that has
// it: "and[2].count.window", "segments[0].when.not.prop.op".
type Error struct {
	Path, Msg string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return "segment: " + e.Msg
	}
	return "segment: " + e.Path + ": " + e.Msg
}

// Unwrap makes errors.Is(err, ErrInvalid) hold.
func (e *Error) Unwrap() error { return ErrInvalid }

// Validate checks a condition on its own: every node well formed, every
// operator known, every value of the operator's type, every regular
// expression compiling. It reports all problems, joined. References to
// other segments are checked by Set.Validate, which knows the names.
func Validate(c Condition) error {
	k := newCompiler(nil)
	k.cond(c, "")
	return k.err()
}

func validateSegment(s Segment, path string) error {
	k := newCompiler(nil)
	if s.Name == "" {
		k.fail(join(path, "name"), "required")
	}
	k.cond(s.When, join(path, "when"))
	return k.err()
}

// Validate checks every definition of the set and the references between
// them: names present, unique and free of "/", every InSegment naming a
// segment or tab of the set, and no segment depending on itself.
func (s *Set) Validate() error {
	_, err := compileSet(s, nil)
	return err
}

// compiler turns conditions into evaluation nodes and collects every
// problem with its path.
type compiler struct {
	errs    []error
	env     *Options // nil: validate only
	filters []*cfilter
	byKey   map[string]int
	kinds   []identity.Kind
	used    []int // filters, in the order nodes used them
	refs    []ref // InSegment nodes met in the current unit
}

type ref struct {
	name, path string
	n          *inSegNode
}

func newCompiler(env *Options) *compiler {
	return &compiler{env: env, byKey: map[string]int{}}
}

func (k *compiler) fail(path, format string, args ...any) {
	k.errs = append(k.errs, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (k *compiler) err() error { return errors.Join(k.errs...) }

func (k *compiler) cond(c Condition, path string) node {
	switch c := c.(type) {
	case nil:
		k.fail(path, "missing condition")
	case And:
		return andNode(k.list(c, join(path, "and")))
	case Or:
		return orNode(k.list(c, join(path, "or")))
	case Not:
		return notNode{k.cond(c.Cond, join(path, "not"))}
	case HasID:
		return k.has(c, join(path, "has"))
	case Prop:
		m := k.prop(c, join(path, "prop"), true)
		return propNode{m}
	case Count:
		p := join(path, "count")
		if c.Min < 0 {
			k.fail(p+".min", "negative")
		}
		if c.Max < 0 {
			k.fail(p+".max", "negative")
		}
		if c.Min == 0 && c.Max == 0 {
			k.fail(p+".min", "set min (at least 1) or max; for no events at all use none")
		}
		if c.Max != 0 && c.Max < c.Min {
			k.fail(p+".max", "below min")
		}
		return &countNode{f: k.filter(c.Event, p+".event"), min: c.Min, max: c.Max, win: k.window(c.Window, p+".window")}
	case None:
		p := join(path, "none")
		return &countNode{f: k.filter(c.Event, p+".event"), none: true, win: k.window(c.Window, p+".window")}
	case Last:
		return k.age(c.Event, c.OlderThan, c.NewerThan, true, join(path, "last"))
	case First:
		return k.age(c.Event, c.OlderThan, c.NewerThan, false, join(path, "first"))
	case Sequence:
		p := join(path, "sequence")
		if len(c.Steps) < 2 {
			k.fail(p+".steps", "a sequence needs at least two steps")
		}
		n := &seqNode{win: k.window(c.Window, p+".window")}
		for i, s := range c.Steps {
			sp := fmt.Sprintf("%s.steps[%d]", p, i)
			if s.Within < 0 {
				k.fail(sp+".within", "negative")
			}
			if i == 0 && s.Within != 0 {
				k.fail(sp+".within", "the first step has no step before it")
			}
			n.fs = append(n.fs, k.filter(s.Event, sp+".event"))
			n.within = append(n.within, seconds(s.Within))
		}
		return n
	case InSegment:
		p := join(path, "segment")
		if c.Name == "" {
			k.fail(p, "required")
		}
		n := &inSegNode{}
		k.refs = append(k.refs, ref{c.Name, p, n})
		return n
	case ReachableOn:
		p := join(path, "reach")
		if c.Channel == "" {
			k.fail(p+".channel", "required")
		}
		if k.env != nil && k.env.Reacher == nil {
			k.fail(p, "reachability needs Options.Reacher")
		}
		purpose := c.Purpose
		if purpose == "" {
			purpose = "marketing"
		}
		n := &reachNode{channel: c.Channel, purpose: purpose}
		if k.env != nil {
			n.r = k.env.Reacher
		}
		return n
	default:
		k.fail(path, "unknown condition type %T", c)
	}
	return falseNode{}
}

func (k *compiler) list(cs []Condition, path string) []node {
	if len(cs) == 0 {
		k.fail(path, "empty")
	}
	ns := make([]node, len(cs))
	for i, c := range cs {
		ns[i] = k.cond(c, fmt.Sprintf("%s[%d]", path, i))
	}
	return ns
}

func (k *compiler) has(c HasID, path string) node {
	if c.Kind == "" {
		k.fail(path, "required")
		return falseNode{}
	}
	if k.env != nil {
		if k.env.Graph == nil {
			k.fail(path, "identifier conditions need Options.Graph")
			return falseNode{}
		}
		if !slices.ContainsFunc(k.env.Graph.Kinds(), func(s identity.KindSpec) bool { return s.Kind == c.Kind }) {
			k.fail(path, "the graph has no kind %q", c.Kind)
		}
	}
	i := slices.Index(k.kinds, c.Kind)
	if i < 0 {
		if len(k.kinds) == 64 {
			k.fail(path, "more than 64 identifier kinds in one set")
			return falseNode{}
		}
		i = len(k.kinds)
		k.kinds = append(k.kinds, c.Kind)
	}
	return hasNode{bit: uint64(1) << i}
}

func (k *compiler) age(f Filter, older, newer time.Duration, last bool, path string) node {
	if older < 0 {
		k.fail(path+".olderThan", "negative")
	}
	if newer < 0 {
		k.fail(path+".newerThan", "negative")
	}
	if older != 0 && newer != 0 && newer <= older {
		k.fail(path+".newerThan", "not above olderThan: nothing can match")
	}
	return &ageNode{f: k.filter(f, path+".event"), last: last, older: seconds(older), newer: seconds(newer)}
}

func (k *compiler) window(w Window, path string) window {
	if w.Last < 0 {
		k.fail(path+".last", "negative")
	}
	if w.Last != 0 && (!w.From.IsZero() || !w.To.IsZero()) {
		k.fail(path, "last and from/to are exclusive")
	}
	if !w.From.IsZero() && !w.To.IsZero() && !w.To.After(w.From) {
		k.fail(path+".to", "not after from")
	}
	out := window{last: seconds(w.Last), from: math.MinInt64, to: math.MaxInt64}
	if !w.From.IsZero() {
		out.from = w.From.Unix()
	}
	if !w.To.IsZero() {
		out.to = w.To.Unix()
	}
	return out
}

// filter interns an event filter: events are matched once per distinct
// filter however many nodes use it.
func (k *compiler) filter(f Filter, path string) int {
	cf := &cfilter{typ: string(f.Type)}
	for i, p := range f.Where {
		cf.where = append(cf.where, k.prop(p, fmt.Sprintf("%s.where[%d]", path, i), false))
	}
	key, _ := MarshalCondition(Count{Event: f}) // canonical; Count never fails to write
	i, ok := k.byKey[string(key)]
	if !ok && len(k.filters) == 1<<16 {
		k.fail(path, "more than 65536 distinct event filters in one set")
		return 0
	}
	if !ok {
		i = len(k.filters)
		k.byKey[string(key)] = i
		k.filters = append(k.filters, cf)
	}
	k.used = append(k.used, i)
	return i
}

func (k *compiler) prop(p Prop, path string, profile bool) *matcher {
	m := &matcher{name: p.Name, op: p.Op, fold: p.Fold}
	if p.Name == "" {
		k.fail(path+".name", "required")
	}
	single := func() {
		if len(p.Values) > 0 {
			k.fail(path+".values", "%s takes value, not values", p.Op)
		}
	}
	switch p.Op {
	case Exists, Missing:
		if p.Value != "" || len(p.Values) > 0 {
			k.fail(path+".value", "%s takes no value", p.Op)
		}
	case Equals, NotEquals, Contains, NotContains, StartsWith, EndsWith:
		single()
		if p.Value == "" && p.Op != Equals && p.Op != NotEquals {
			k.fail(path+".value", "required")
		}
		m.s = m.norm(p.Value)
	case Regex:
		single()
		re, err := regexp.Compile(p.Value)
		if err != nil {
			k.fail(path+".value", "bad regular expression: %v", err)
		}
		if p.Fold && re != nil {
			re, _ = regexp.Compile("(?i)" + p.Value)
		}
		m.re = re
	case Greater, GreaterEq, Less, LessEq:
		single()
		m.lo = k.operand(p.Value, path+".value", profile)
	case Between:
		if p.Value != "" {
			k.fail(path+".value", "between takes values: [low, high]")
		}
		if len(p.Values) != 2 {
			k.fail(path+".values", "between takes two values, low and high")
			break
		}
		m.lo = k.operand(p.Values[0], path+".values[0]", profile)
		m.hi = k.operand(p.Values[1], path+".values[1]", profile)
		if m.lo.kind != m.hi.kind {
			k.fail(path+".values", "low and high are of different types")
		} else if m.lo.kind != relKind && m.lo.cmp(m.hi) > 0 {
			k.fail(path+".values", "low above high")
		}
	case In, NotIn:
		if p.Value != "" {
			k.fail(path+".value", "%s takes values", p.Op)
		}
		if len(p.Values) == 0 {
			k.fail(path+".values", "required")
		}
		m.set = make(map[string]struct{}, len(p.Values))
		for _, v := range p.Values {
			m.set[m.norm(v)] = struct{}{}
		}
	case "":
		k.fail(path+".op", "required")
	default:
		k.fail(path+".op", "unknown operator %q", p.Op)
	}
	return m
}

// operand types the value of an ordering comparison.
func (k *compiler) operand(s, path string, profile bool) operand {
	if s == "" {
		k.fail(path, "required")
		return operand{}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
		return operand{kind: numKind, num: f}
	}
	if t, ok := parseDate(s); ok {
		return operand{kind: dateKind, t: t.UnixNano()}
	}
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		var d time.Duration
		if rest != "" {
			var err error
			d, err = parseDuration(strings.TrimPrefix(rest, "+"))
			if err != nil || rest[0] != '+' && rest[0] != '-' {
				k.fail(path, "want now, now-30d or now+2h")
			}
		}
		if !profile {
			k.fail(path, "relative dates are not allowed in event filters (a filter is applied once, when the event arrives)")
		}
		return operand{kind: relKind, rel: d}
	}
	return operand{kind: strKind, s: s}
}

func parseDate(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, true
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }
