package journey

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"
)

// A FunnelStep of a funnel: an event type and an optional filter.
type FunnelStep struct {
	Type  EventType
	Match func(Event) bool // nil matches every event of the type
	// Within limits the time from the previous step (0: no limit). The
	// bound is inclusive, as GA4's withinDurationFromPriorStep.
	Within time.Duration
}

// FunnelMode says how steps must follow each other.
type FunnelMode uint8

const (
	// Loose: other events may come between steps (GA4's default, PostHog's
	// "ordered").
	Loose FunnelMode = iota
	// Strict: each step directly follows the previous one in the timeline
	// (GA4's isDirectlyFollowedBy, PostHog's "strict").
	Strict
	// AnyOrder: the steps may happen in any order; a profile reaches step k
	// when it did k distinct steps within the window.
	AnyOrder
)

// Breakdown picks the channel a funnel's counts are split by.
type Breakdown uint8

const (
	NoBreakdown Breakdown = iota
	// ByFirstTouch: the profile's first touchpoint up to its entry.
	ByFirstTouch
	// ByLastTouch: the last touchpoint up to the entry (the step-one event's
	// own touch counts).
	ByLastTouch
	// ByStepTouch: for each step, the last touchpoint up to that step's
	// event.
	ByStepTouch
)

// FunnelAnchor says at which first-step event a profile enters a funnel.
type FunnelAnchor uint8

const (
	// AnchorDeepest, the default: the earliest of the profile's first-step
	// events among those whose chain gets deepest. A person whose first
	// lead went nowhere and whose second lead, months later, ended in a
	// test drive counts as a lead that reached the test drive (GA4 and
	// PostHog count so).
	AnchorDeepest FunnelAnchor = iota
	// AnchorFirst: the profile's first first-step event, and nothing
	// after it: a SQL funnel anchored on each person's first lead, as
	// analysts write it, counts so. With a window, the later leads' test
	// drives do not count: on a 20M-event dealer history, with a 30-day
	// window, AnchorDeepest counted 70,415 test drives where a
	// first-lead-anchored SQL funnel counted 59,775.
	AnchorFirst
)

// A Funnel is an ordered list of steps with constraints.
//
// Each profile counts once per step: it enters at one first-step event
// (Anchor says which), its chain follows the steps from there (Mode,
// Window, each step's Within, Exclude), and it reaches every step its
// chain got to. An open funnel does this from every step and unites the
// steps reached.
type Funnel struct {
	Steps []FunnelStep
	// Window bounds the time from the entry to the last step (0: none).
	Window time.Duration
	Mode   FunnelMode
	// Open funnels may be entered at any step (GA4's isOpenFunnel); closed
	// ones (the default) only at the first.
	Open bool
	// Exclude lists events that break a chain when they happen between two
	// of its steps (a refund between lead and contract).
	Exclude   []FunnelStep
	Breakdown Breakdown
	// Anchor picks the entry among several first-step events; the zero
	// value is AnchorDeepest.
	Anchor FunnelAnchor
}

// A FunnelResult counts profiles, each once per step.
type FunnelResult struct {
	// Reached[i] is the number of profiles that reached step i.
	Reached []int
	// ByChannel[channel][i] splits Reached by the breakdown's channel.
	ByChannel map[string][]int
	// TimeToConvert lists, for every profile that reached the last step,
	// the time from its entry to the last step, shortest first.
	TimeToConvert []time.Duration
}

// Rate returns Reached[to] / Reached[from] (0 when nobody reached from).
func (r FunnelResult) Rate(from, to int) float64 {
	if r.Reached[from] == 0 {
		return 0
	}
	return float64(r.Reached[to]) / float64(r.Reached[from])
}

// ChannelRate is Rate within one breakdown channel.
func (r FunnelResult) ChannelRate(channel string, from, to int) float64 {
	c := r.ByChannel[channel]
	if c == nil || c[from] == 0 {
		return 0
	}
	return float64(c[to]) / float64(c[from])
}

// chain is one profile's best way through the funnel.
type chain struct {
	reached []bool // per step
	at      []int  // event index per reached step
	entry   int    // event index of the entry
	depth   int
	span    time.Duration
}

// view reads a stored timeline for a funnel: step types are compared as
// interned numbers, and an event is only rebuilt when a step has a filter.
type view struct {
	pool  []chain // reusable chains, so walking allocates nothing
	tl    []rec
	tab   *tables
	types []int64 // per step, its interned type, or -1 when no event has it
	xtype []int64 // per exclusion
	f     *Funnel
}

func (v *view) when(j int) int64 { return v.tl[j].t }

func (v *view) step(k, j int) bool {
	st := v.f.Steps[k]
	return v.types[k] == int64(v.tl[j].typ) && (st.Match == nil || st.Match(v.tab.event(v.tl[j])))
}

func (v *view) excluded(j int) bool {
	for k, x := range v.f.Exclude {
		if v.xtype[k] == int64(v.tl[j].typ) && (x.Match == nil || x.Match(v.tab.event(v.tl[j]))) {
			return true
		}
	}
	return false
}

func (v *view) channel(j int) string { return v.tab.touches[v.tl[j].touch].ChannelName() }

// Funnel evaluates a funnel over every profile of the store.
func (s *Store) Funnel(ctx context.Context, f Funnel) (FunnelResult, error) {
	n := len(f.Steps)
	res := FunnelResult{Reached: make([]int, n)}
	if f.Breakdown != NoBreakdown {
		res.ByChannel = map[string][]int{}
	}
	if n == 0 {
		return res, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	intern := func(typ string) int64 {
		if i, ok := s.tab.strs[typ]; ok {
			return int64(i)
		}
		return -1
	}
	var types, xtypes []int64
	for _, st := range f.Steps {
		types = append(types, intern(string(st.Type)))
	}
	for _, x := range f.Exclude {
		xtypes = append(xtypes, intern(string(x.Type)))
	}
	// Profiles are independent: split them over the cores, and add up.
	tls := s.timelines
	workers := max(1, min(runtime.GOMAXPROCS(0), int(tls.top)/1024+1))
	parts := make([]FunnelResult, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			part := FunnelResult{Reached: make([]int, n)}
			if f.Breakdown != NoBreakdown {
				part.ByChannel = map[string][]int{}
			}
			v := &view{tab: s.tab, f: &f, types: types, xtype: xtypes}
			for i := uint32(w); i < tls.top; i += uint32(workers) {
				if (i/uint32(workers))%4096 == 0 && ctx.Err() != nil {
					return
				}
				if p, tl := tls.at(i); !p.IsZero() {
					v.tl = tl.decode(v.tl[:0])
					f.count(v, &part)
				}
			}
			parts[w] = part
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return FunnelResult{}, fmt.Errorf("journey: funnel: %w", err)
	}
	for _, part := range parts {
		for i, c := range part.Reached {
			res.Reached[i] += c
		}
		for ch, cs := range part.ByChannel {
			if res.ByChannel[ch] == nil {
				res.ByChannel[ch] = make([]int, n)
			}
			for i, c := range cs {
				res.ByChannel[ch][i] += c
			}
		}
		res.TimeToConvert = append(res.TimeToConvert, part.TimeToConvert...)
	}
	slices.Sort(res.TimeToConvert)
	return res, nil
}

// count adds one profile's chain to a partial result.
func (f Funnel) count(v *view, res *FunnelResult) {
	n := len(f.Steps)
	c, ok := f.best(v)
	if !ok {
		return
	}
	for i, r := range c.reached {
		if !r {
			continue
		}
		res.Reached[i]++
		if f.Breakdown != NoBreakdown {
			var ch string
			switch f.Breakdown {
			case ByFirstTouch:
				ch = firstTouch(v, c.entry)
			case ByLastTouch:
				ch = lastTouch(v, c.entry)
			case ByStepTouch:
				ch = lastTouch(v, c.at[i])
			}
			if res.ByChannel[ch] == nil {
				res.ByChannel[ch] = make([]int, n)
			}
			res.ByChannel[ch][i]++
		}
	}
	if c.reached[n-1] {
		res.TimeToConvert = append(res.TimeToConvert, c.span)
	}
	v.release(c)
}

func firstTouch(v *view, upTo int) string {
	for j := 0; j <= upTo; j++ {
		if v.tl[j].touch != 0 {
			return v.channel(j)
		}
	}
	return "(direct)"
}

func lastTouch(v *view, upTo int) string {
	for j := upTo; j >= 0; j-- {
		if v.tl[j].touch != 0 {
			return v.channel(j)
		}
	}
	return "(direct)"
}

// best finds the profile's chain from one entry step: the deepest (the
// earliest on ties), or with AnchorFirst the first; an open funnel unites
// the chains from every step.
func (f Funnel) best(v *view) (chain, bool) {
	n := len(f.Steps)
	from := func(entryStep int) (chain, bool) {
		var best chain
		found := false
		for start := range v.tl {
			k := -1
			if f.Mode == AnyOrder {
				for i := range f.Steps {
					if v.step(i, start) {
						k = i
						break
					}
				}
			} else if v.step(entryStep, start) {
				k = entryStep
			}
			if k < 0 {
				continue
			}
			c := f.walk(v, start, k)
			if !found || c.depth > best.depth {
				v.release(best)
				best, found = c, true
			} else {
				v.release(c)
			}
			if best.depth == n-entryStep || f.Anchor == AnchorFirst {
				break
			}
		}
		return best, found
	}
	if !f.Open || f.Mode == AnyOrder {
		return from(0)
	}
	var union chain
	found := false
	for s := range n {
		c, ok := from(s)
		if !ok {
			continue
		}
		if !found {
			union = v.newChain(n)
			union.entry = c.entry
			found = true
		}
		for i, r := range c.reached {
			if r && !union.reached[i] {
				union.reached[i], union.at[i] = true, c.at[i]
				union.depth++
			}
		}
		if c.reached[n-1] && union.span == 0 {
			union.span = c.span
		}
		v.release(c)
	}
	return union, found
}

// newChain takes a cleared chain from the view's pool.
func (v *view) newChain(n int) chain {
	if k := len(v.pool); k > 0 {
		c := v.pool[k-1]
		v.pool = v.pool[:k-1]
		clear(c.reached)
		clear(c.at)
		c.depth, c.span, c.entry = 0, 0, 0
		return c
	}
	return chain{reached: make([]bool, n), at: make([]int, n)}
}

func (v *view) release(c chain) {
	if c.reached != nil {
		v.pool = append(v.pool, c)
	}
}

// walk follows the funnel from the event at start, which matched step
// entryStep.
func (f Funnel) walk(v *view, start, entryStep int) chain {
	n := len(f.Steps)
	c := v.newChain(n)
	c.entry = start
	c.reached[entryStep], c.at[entryStep] = true, start
	c.depth = 1
	t0 := v.when(start)
	window := int64(f.Window)
	if f.Mode == AnyOrder {
		for j := start + 1; j < len(v.tl); j++ {
			if window > 0 && v.when(j)-t0 > window {
				break
			}
			if v.excluded(j) {
				break
			}
			for k := range f.Steps {
				if !c.reached[k] && v.step(k, j) {
					c.reached[k], c.at[k] = true, j
					c.depth++
					c.span = time.Duration(v.when(j) - t0)
					break
				}
			}
		}
		for k := range c.reached {
			c.reached[k] = k < c.depth
		}
		return c
	}
	prev := start
	for step := entryStep + 1; step < n; step++ {
		within := int64(f.Steps[step].Within)
		next := -1
		for j := prev + 1; j < len(v.tl); j++ {
			if window > 0 && v.when(j)-t0 > window {
				break
			}
			if within > 0 && v.when(j)-v.when(prev) > within {
				break
			}
			if v.step(step, j) {
				next = j
				break
			}
			if v.excluded(j) || f.Mode == Strict {
				break
			}
		}
		if next < 0 {
			break
		}
		c.reached[step], c.at[step] = true, next
		c.depth++
		c.span = time.Duration(v.when(next) - t0)
		prev = next
	}
	return c
}
