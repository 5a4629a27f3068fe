package journey

import (
	"slices"
	"time"
)

// A Step of a funnel: an event type and an optional filter.
type Step struct {
	Type  string
	Match func(Event) bool // nil matches every event of the type
	// Within limits the time from the previous step (0: no limit). The
	// bound is inclusive, as GA4's withinDurationFromPriorStep.
	Within time.Duration
}

func (s Step) matches(e Event) bool { return e.Type == s.Type && (s.Match == nil || s.Match(e)) }

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

// A Funnel is an ordered list of steps with constraints.
type Funnel struct {
	Steps []Step
	// Window bounds the time from the entry to the last step (0: none).
	Window time.Duration
	Mode   FunnelMode
	// Open funnels may be entered at any step (GA4's isOpenFunnel); closed
	// ones (the default) only at the first.
	Open bool
	// Exclude lists events that break a chain when they happen between two
	// of its steps (a refund between lead and contract).
	Exclude   []Step
	Breakdown Breakdown
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

// Funnel evaluates a funnel over every profile of the store.
func (s *Store) Funnel(f Funnel) FunnelResult {
	n := len(f.Steps)
	res := FunnelResult{Reached: make([]int, n)}
	if f.Breakdown != NoBreakdown {
		res.ByChannel = map[string][]int{}
	}
	if n == 0 {
		return res
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, tl := range s.timelines {
		c, ok := f.best(tl)
		if !ok {
			continue
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
					ch = firstTouch(tl, c.entry)
				case ByLastTouch:
					ch = lastTouch(tl, c.entry)
				case ByStepTouch:
					ch = lastTouch(tl, c.at[i])
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
	}
	slices.Sort(res.TimeToConvert)
	return res
}

func firstTouch(tl []Event, upTo int) string {
	for _, e := range tl[:upTo+1] {
		if e.IsTouchpoint() {
			return e.Touch.ChannelName()
		}
	}
	return "(direct)"
}

func lastTouch(tl []Event, upTo int) string {
	for i := upTo; i >= 0; i-- {
		if tl[i].IsTouchpoint() {
			return tl[i].Touch.ChannelName()
		}
	}
	return "(direct)"
}

// best finds the profile's deepest chain from one entry step (the earliest
// on ties); an open funnel unites the deepest chains from every step.
func (f Funnel) best(tl []Event) (chain, bool) {
	n := len(f.Steps)
	from := func(entryStep int) (chain, bool) {
		var best chain
		found := false
		for start, e := range tl {
			k := -1
			if f.Mode == AnyOrder {
				for i, st := range f.Steps {
					if st.matches(e) {
						k = i
						break
					}
				}
			} else if f.Steps[entryStep].matches(e) {
				k = entryStep
			}
			if k < 0 {
				continue
			}
			c := f.walk(tl, start, k)
			if !found || c.depth > best.depth {
				best, found = c, true
			}
			if best.depth == n-entryStep {
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
			union = chain{reached: make([]bool, n), at: make([]int, n), entry: c.entry}
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
	}
	return union, found
}

// walk follows the funnel from the event at start, which matched step
// entryStep.
func (f Funnel) walk(tl []Event, start, entryStep int) chain {
	n := len(f.Steps)
	c := chain{reached: make([]bool, n), at: make([]int, n), entry: start}
	c.reached[entryStep], c.at[entryStep] = true, start
	c.depth = 1
	t0 := tl[start].Time
	if f.Mode == AnyOrder {
		for j := start + 1; j < len(tl); j++ {
			e := tl[j]
			if f.Window > 0 && e.Time.Sub(t0) > f.Window {
				break
			}
			if f.excluded(e) {
				break
			}
			for k, st := range f.Steps {
				if !c.reached[k] && st.matches(e) {
					c.reached[k], c.at[k] = true, j
					c.depth++
					c.span = e.Time.Sub(t0)
					break
				}
			}
		}
		// Reaching k distinct steps counts as reaching steps 0..k-1.
		for k := range c.reached {
			c.reached[k] = k < c.depth
		}
		return c
	}
	prev := start
	for step := entryStep + 1; step < n; step++ {
		st := f.Steps[step]
		next := -1
		for j := prev + 1; j < len(tl); j++ {
			e := tl[j]
			if f.Window > 0 && e.Time.Sub(t0) > f.Window {
				break
			}
			if st.Within > 0 && e.Time.Sub(tl[prev].Time) > st.Within {
				break
			}
			if st.matches(e) {
				next = j
				break
			}
			if f.excluded(e) || f.Mode == Strict {
				break
			}
		}
		if next < 0 {
			break
		}
		c.reached[step], c.at[step] = true, next
		c.depth++
		c.span = tl[next].Time.Sub(t0)
		prev = next
	}
	return c
}

func (f Funnel) excluded(e Event) bool {
	for _, x := range f.Exclude {
		if x.matches(e) {
			return true
		}
	}
	return false
}
