package attribution

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// Markov credits channels by their removal effect in an absorbing Markov
// chain of order k fitted to the paths (Anderl et al. 2016, the model
// ChannelAttribution estimates by simulation). It is computed exactly: the
// probability of conversion from every state solves (I - Q) x = b, once for
// the full chain and once per channel with that channel's states redirected
// into (null). Results are deterministic and free of sampling noise.
//
// States are windows of k consecutive channels (a path shorter than k is one
// state); consecutive identical states are merged unless KeepRepeats, as
// ChannelAttribution does. Nulls are used when the paths have them; without
// nulls, or with IgnoreNulls, paths without conversions are dropped and
// every converting walk converts, so the removal effect is the channel's
// reach. Value is credited ChannelAttribution's way: each converting path's
// value per conversion belongs to its last state, and the value removal
// effect compares expected value with and without the channel.
//
// A channel that only appears on paths that never convert can still earn
// credit in the pooled chain when a route from it reaches conversion; every
// heuristic gives it zero.
type Markov struct {
	Order       int // 1 when zero; at most 8
	KeepRepeats bool
	IgnoreNulls bool
}

func (m Markov) Name() string { return "markov" }

// chain is a fitted absorbing chain.
type chain struct {
	channels []string  // by channel ID
	states   [][]int32 // channel IDs of each state
	start    []float64 // π
	rowStart []int32   // CSR over transitions between states
	col      []int32
	prob     []float64
	diag     []float64 // self-loop probability (KeepRepeats)
	b        []float64 // P(state -> conversion)
	r        []float64 // μ_s b_s
	has      [][]int32 // channel ID -> states containing it
}

func (m Markov) fit(d *Dataset) (*chain, float64, float64, error) {
	k := m.Order
	if k == 0 {
		k = 1
	}
	if k < 1 || k > 8 {
		return nil, 0, 0, fmt.Errorf("%w: Markov order %d (1 to 8)", ErrBadOption, m.Order)
	}
	if err := validateDataset(d); err != nil {
		return nil, 0, 0, err
	}
	c := &chain{channels: d.channels}
	stIx := map[string]int32{}
	var startW, toConv, toNull, valSum, convSum []float64
	// Transitions: per state, a small list of (to, count), kept sorted by
	// first sight; most states have a handful of successors.
	type arc struct {
		to int32
		w  float64
	}
	var arcs [][]arc
	newState := func(win []int32) int32 {
		s := int32(len(c.states))
		c.states = append(c.states, slices.Clone(win))
		startW, toConv, toNull, valSum, convSum = append(startW, 0), append(toConv, 0), append(toNull, 0), append(valSum, 0), append(convSum, 0)
		arcs = append(arcs, nil)
		return s
	}
	if k == 1 { // states are the channels themselves: no map lookups
		for ch := range d.channels {
			newState([]int32{int32(ch)})
		}
	}
	var key []byte
	state := func(win []int32) int32 {
		if k == 1 && len(win) == 1 {
			return win[0]
		}
		key = key[:0]
		for _, ch := range win {
			key = binary.LittleEndian.AppendUint32(key, uint32(ch))
		}
		if s, ok := stIx[string(key)]; ok {
			return s
		}
		s := newState(win)
		stIx[string(key)] = s
		return s
	}
	var totalC, totalV float64
	for i := range d.conv {
		n := d.nulls[i]
		if m.IgnoreNulls {
			n = 0
		}
		w := d.conv[i] + n
		seq := d.touches(i)
		if w == 0 || len(seq) == 0 {
			continue
		}
		totalC += d.conv[i]
		totalV += d.value[i]
		prev := int32(-1)
		emit := func(s int32) {
			if s == prev && !m.KeepRepeats {
				return
			}
			if prev < 0 {
				startW[s] += w
			} else {
				as := arcs[prev]
				j := 0
				for j < len(as) && as[j].to != s {
					j++
				}
				if j == len(as) {
					arcs[prev] = append(as, arc{to: s, w: w})
				} else {
					as[j].w += w
				}
			}
			prev = s
		}
		if len(seq) < k {
			emit(state(seq))
		} else {
			for j := 0; j+k <= len(seq); j++ {
				emit(state(seq[j : j+k]))
			}
		}
		toConv[prev] += d.conv[i]
		toNull[prev] += n
		valSum[prev] += d.value[i]
		convSum[prev] += d.conv[i]
	}
	if totalC == 0 {
		return nil, 0, 0, ErrNoConversions
	}
	ns := len(c.states)
	c.rowStart = make([]int32, ns+1)
	c.diag = make([]float64, ns)
	c.start = make([]float64, ns)
	c.b = make([]float64, ns)
	c.r = make([]float64, ns)
	sumStart := 0.0
	for _, w := range startW {
		sumStart += w
	}
	for s := range ns {
		as := arcs[s]
		slices.SortFunc(as, func(a, b arc) int { return int(a.to - b.to) })
		out := toConv[s] + toNull[s]
		for _, a := range as {
			out += a.w
		}
		for _, a := range as {
			p := a.w / out
			if a.to == int32(s) {
				c.diag[s] += p
				continue
			}
			c.col = append(c.col, a.to)
			c.prob = append(c.prob, p)
		}
		c.rowStart[s+1] = int32(len(c.col))
		c.start[s] = startW[s] / sumStart
		if out > 0 {
			c.b[s] = toConv[s] / out
		}
		if convSum[s] > 0 {
			c.r[s] = valSum[s] / convSum[s] * c.b[s]
		}
	}
	c.has = make([][]int32, len(c.channels))
	for s, st := range c.states {
		for i, ch := range st {
			if !slices.Contains(st[:i], ch) {
				c.has[ch] = append(c.has[ch], int32(s))
			}
		}
	}
	return c, totalC, totalV, nil
}

// solve returns x with (I - Q) x = rhs, states in removed held at 0, by
// Gauss-Seidel sweeps to machine precision, starting from x0.
func (c *chain) solve(rhs []float64, removed []bool, x0 []float64) []float64 {
	x := slices.Clone(x0)
	if x == nil {
		x = make([]float64, len(rhs))
	}
	for s := range x {
		if removed != nil && removed[s] {
			x[s] = 0
		}
	}
	for sweep := 0; sweep < 100_000; sweep++ {
		delta := 0.0
		for s := range x {
			if removed != nil && removed[s] {
				continue
			}
			v := rhs[s]
			for e := c.rowStart[s]; e < c.rowStart[s+1]; e++ {
				v += c.prob[e] * x[c.col[e]]
			}
			v /= 1 - c.diag[s]
			if d := math.Abs(v - x[s]); d > delta {
				delta = d
			}
			x[s] = v
		}
		if delta <= 1e-16 {
			break
		}
	}
	return x
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// Attribute implements Model.
func (m Markov) Attribute(ctx context.Context, d *Dataset) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("attribution: markov: %w", err)
	}
	c, totalC, totalV, err := m.fit(d)
	l := newLedger(d)
	l.hasRemoval = true
	if err != nil {
		if err == ErrNoConversions {
			return l.result("markov"), nil
		}
		return Result{}, err
	}
	x := c.solve(c.b, nil, nil)
	y := c.solve(c.r, nil, nil)
	pconv, ev := dot(c.start, x), dot(c.start, y)
	re := make([]float64, len(c.channels))
	rev := make([]float64, len(c.channels))
	removed := make([]bool, len(c.states))
	sumRE, sumREV := 0.0, 0.0
	for ch := range c.channels {
		if err := ctx.Err(); err != nil { // each removal solves the chain again
			return Result{}, fmt.Errorf("attribution: markov: %w", err)
		}
		if len(c.has[ch]) == 0 {
			continue // only on paths the chain dropped
		}
		clear(removed)
		for _, s := range c.has[ch] {
			removed[s] = true
		}
		xr := c.solve(c.b, removed, x)
		re[ch] = max(0, 1-dot(c.start, xr)/pconv)
		sumRE += re[ch]
		if ev > 0 {
			yr := c.solve(c.r, removed, y)
			rev[ch] = max(0, 1-dot(c.start, yr)/ev)
			sumREV += rev[ch]
		}
	}
	l.re = re
	for ch := range c.channels {
		if sumRE > 0 {
			l.conv[ch] = totalC * re[ch] / sumRE
		}
		if sumREV > 0 {
			l.value[ch] = totalV * rev[ch] / sumREV
		}
	}
	l.totalC, l.totalV, l.pconv = totalC, totalV, pconv
	return l.result("markov"), nil
}
