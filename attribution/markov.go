package attribution

import (
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

func (m Markov) fit(paths []Path) (*chain, float64, float64, error) {
	k := m.Order
	if k == 0 {
		k = 1
	}
	if k < 1 || k > 8 {
		return nil, 0, 0, fmt.Errorf("%w: Markov order %d (1 to 8)", ErrBadOption, m.Order)
	}
	if err := validate(paths); err != nil {
		return nil, 0, 0, err
	}
	c := &chain{}
	chIx := map[string]int32{}
	stIx := map[string]int32{}
	type edge struct{ from, to int32 }
	trans := map[edge]float64{}
	var startW, toConv, toNull, valSum, convSum []float64
	var key []byte
	var seq, prevState []int32
	var totalC, totalV float64
	state := func(win []int32) int32 {
		key = key[:0]
		for _, ch := range win {
			key = binary.LittleEndian.AppendUint32(key, uint32(ch))
		}
		if s, ok := stIx[string(key)]; ok {
			return s
		}
		s := int32(len(c.states))
		stIx[string(key)] = s
		c.states = append(c.states, slices.Clone(win))
		startW, toConv, toNull, valSum, convSum = append(startW, 0), append(toConv, 0), append(toNull, 0), append(valSum, 0), append(convSum, 0)
		return s
	}
	for _, p := range paths {
		n := p.Nulls
		if m.IgnoreNulls {
			n = 0
		}
		w := p.Conversions + n
		if w == 0 || len(p.Touches) == 0 {
			continue
		}
		totalC += p.Conversions
		totalV += p.Value
		seq = seq[:0]
		for _, t := range p.Touches {
			id, ok := chIx[t.Channel]
			if !ok {
				id = int32(len(c.channels))
				chIx[t.Channel] = id
				c.channels = append(c.channels, t.Channel)
			}
			seq = append(seq, id)
		}
		prev := int32(-1)
		prevState = prevState[:0]
		emit := func(s int32) {
			if s == prev && !m.KeepRepeats {
				return
			}
			if prev < 0 {
				startW[s] += w
			} else {
				trans[edge{prev, s}] += w
			}
			prev = s
		}
		if len(seq) < k {
			emit(state(seq))
		} else {
			for i := 0; i+k <= len(seq); i++ {
				emit(state(seq[i : i+k]))
			}
		}
		toConv[prev] += p.Conversions
		toNull[prev] += n
		valSum[prev] += p.Value
		convSum[prev] += p.Conversions
	}
	if totalC == 0 {
		return nil, 0, 0, ErrNoConversions
	}
	ns := len(c.states)
	out := make([]float64, ns)
	edges := make([]edge, 0, len(trans))
	for e, w := range trans {
		edges = append(edges, e)
		out[e.from] += w
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if a.from != b.from {
			return int(a.from - b.from)
		}
		return int(a.to - b.to)
	})
	for s := range ns {
		out[s] += toConv[s] + toNull[s]
	}
	c.rowStart = make([]int32, ns+1)
	c.diag = make([]float64, ns)
	for _, e := range edges {
		p := trans[e] / out[e.from]
		if e.from == e.to {
			c.diag[e.from] += p
			continue
		}
		c.col = append(c.col, e.to)
		c.prob = append(c.prob, p)
		c.rowStart[e.from+1]++
	}
	for s := range ns {
		c.rowStart[s+1] += c.rowStart[s]
	}
	sumStart := 0.0
	for _, w := range startW {
		sumStart += w
	}
	c.start = make([]float64, ns)
	c.b = make([]float64, ns)
	c.r = make([]float64, ns)
	for s := range ns {
		c.start[s] = startW[s] / sumStart
		if out[s] > 0 {
			c.b[s] = toConv[s] / out[s]
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
func (m Markov) Attribute(paths []Path) (Result, error) {
	c, totalC, totalV, err := m.fit(paths)
	cr := newCredits(paths)
	if err != nil {
		if err == ErrNoConversions {
			r := cr.result("markov", paths)
			for i := range r.Credits {
				r.Credits[i].HasRemoval = true
			}
			return r, nil
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
	for ch, name := range c.channels {
		e := cr.at(name)
		e.RemovalEffect = re[ch]
		if sumRE > 0 {
			e.Conversions = totalC * re[ch] / sumRE
		}
		if sumREV > 0 {
			e.Value = totalV * rev[ch] / sumREV
		}
	}
	for i := range cr.out {
		cr.out[i].HasRemoval = true
	}
	r := cr.result("markov", paths)
	r.Conversions, r.Value, r.PConversion = totalC, totalV, pconv
	return r, nil
}
