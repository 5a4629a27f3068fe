package attribution

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// ShapleyVariant selects a Shapley computation.
type ShapleyVariant uint8

const (
	// Simplified is Zhao et al. (2018)'s closed form: each converting
	// path's credit is split equally over its distinct channels. With their
	// characteristic function v(S) = Σ_{T⊆S} R(T) (R(T): conversions of
	// paths whose set of channels is exactly T) it equals classic Shapley,
	// in time linear in the data. Google Ads Data Hub uses it.
	Simplified ShapleyVariant = iota
	// Ordered is the position-aware form: a channel's credit is split over
	// the positions it holds (a path with distinct channels S where the
	// channel occurs n times gives 1/(|S|·n) to each of its positions), and
	// Credit.ByPosition reports the split; totals equal Simplified.
	Ordered
	// Exact evaluates the classic formula over every coalition (bitmasks)
	// with Zhao's v(S); beyond MaxExact channels it samples permutations
	// from a seeded source. It equals Simplified, which is what it is for:
	// checking the closed form, and a base for other characteristic
	// functions.
	Exact
)

// Shapley credits channels by Shapley value.
type Shapley struct {
	Variant ShapleyVariant
	// MaxExact bounds exact enumeration (2^n coalitions); 0 means 20.
	MaxExact int
	// Samples and Seed drive permutation sampling past MaxExact; 0 means
	// 2,000 permutations and seed 1.
	Samples int
	Seed    uint64
}

func (m Shapley) Name() string { return "shapley" }

// Attribute implements Model.
func (m Shapley) Attribute(ctx context.Context, d *Dataset) (Result, error) {
	if err := validateDataset(d); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("attribution: shapley: %w", err)
	}
	switch m.Variant {
	case Simplified, Ordered:
		return m.closedForm(d), nil
	case Exact:
		return m.exact(d), nil
	}
	return Result{}, fmt.Errorf("%w: Shapley variant %d", ErrBadOption, m.Variant)
}

func (m Shapley) closedForm(d *Dataset) Result {
	l := newLedger(d)
	if m.Variant == Ordered {
		l.byPos = make([][]float64, len(d.channels))
	}
	set := newDistinct(len(d.channels))
	for i := range d.conv {
		touches := d.touches(i)
		c, v := d.conv[i], d.value[i]
		if len(touches) == 0 || (c == 0 && v == 0) {
			continue
		}
		ids := set.of(touches)
		share := 1 / float64(len(ids))
		for _, ch := range ids {
			l.conv[ch] += c * share
			l.value[ch] += v * share
		}
		if m.Variant == Ordered {
			for pos, ch := range touches {
				bp := l.byPos[ch]
				for len(bp) <= pos {
					bp = append(bp, 0)
				}
				bp[pos] += c * share / float64(set.count[set.pos[ch]])
				l.byPos[ch] = bp
			}
		}
	}
	return l.result("shapley")
}

func (m Shapley) exact(d *Dataset) Result {
	l := newLedger(d)
	// Channels numbered in name order, so sampling does not depend on the
	// order of the paths.
	order := make([]int32, len(d.channels))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(d.channels[a], d.channels[b]) })
	rank := make([]int, len(d.channels))
	for r, ch := range order {
		rank[ch] = r
	}
	// R(T) for each observed set T of channels (by rank), in key order.
	type rv struct {
		ids  []int
		c, v float64
	}
	sets := map[string]*rv{}
	set := newDistinct(len(d.channels))
	var key []byte
	for i := range d.conv {
		touches := d.touches(i)
		if len(touches) == 0 || (d.conv[i] == 0 && d.value[i] == 0) {
			continue
		}
		var ids []int
		for _, ch := range set.of(touches) {
			ids = append(ids, rank[ch])
		}
		slices.Sort(ids)
		key = key[:0]
		for _, id := range ids {
			key = binary.AppendUvarint(key, uint64(id))
		}
		e := sets[string(key)]
		if e == nil {
			e = &rv{ids: ids}
			sets[string(key)] = e
		}
		e.c += d.conv[i]
		e.v += d.value[i]
	}
	keys := make([]string, 0, len(sets))
	for k := range sets {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	n := len(order)
	phiC, phiV := make([]float64, n), make([]float64, n)
	maxExact := m.MaxExact
	if maxExact == 0 {
		maxExact = 20
	}
	if n <= maxExact && n <= 30 {
		// v(S) = Σ_{T⊆S} R(T): place R on masks, then sum over subsets.
		vc, vv := make([]float64, 1<<n), make([]float64, 1<<n)
		for _, k := range keys {
			e := sets[k]
			mask := 0
			for _, id := range e.ids {
				mask |= 1 << id
			}
			vc[mask] += e.c
			vv[mask] += e.v
		}
		for b := range n {
			for mask := range 1 << n {
				if mask&(1<<b) != 0 {
					vc[mask] += vc[mask^(1<<b)]
					vv[mask] += vv[mask^(1<<b)]
				}
			}
		}
		w := make([]float64, n) // s!(n-s-1)!/n!
		for s := range n {
			w[s] = math.Exp(lgamma(s+1) + lgamma(n-s) - lgamma(n+1))
		}
		for mask := range 1 << n {
			s := popcount(mask)
			for j := range n {
				if mask&(1<<j) == 0 {
					phiC[j] += w[s] * (vc[mask|1<<j] - vc[mask])
					phiV[j] += w[s] * (vv[mask|1<<j] - vv[mask])
				}
			}
		}
	} else {
		samples, seed := m.Samples, m.Seed
		if samples == 0 {
			samples = 2000
		}
		if seed == 0 {
			seed = 1
		}
		rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
		perm, pos := make([]int, n), make([]int, n)
		for range samples {
			for i := range perm {
				perm[i] = i
			}
			rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
			for i, ch := range perm {
				pos[ch] = i
			}
			// Under Zhao's v a set's R(T) goes to the member of T that comes
			// last in the permutation: its arrival completes T.
			for _, k := range keys {
				e := sets[k]
				last := e.ids[0]
				for _, id := range e.ids[1:] {
					if pos[id] > pos[last] {
						last = id
					}
				}
				phiC[last] += e.c / float64(samples)
				phiV[last] += e.v / float64(samples)
			}
		}
	}
	for r, ch := range order {
		l.conv[ch], l.value[ch] = phiC[r], phiV[r]
	}
	return l.result("shapley")
}

func lgamma(n int) float64 {
	v, _ := math.Lgamma(float64(n))
	return v
}

func popcount(x int) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// Associated counts, per channel, the conversions it was last on (Credit.Last,
// also its Conversions and Value, so the credits sum to the total) and the
// conversions it assisted, appearing on the path but not last
// (Credit.Assisted); Assisted/Last is the assisted-to-last ratio analysts
// compare channels by.
type Associated struct{}

func (Associated) Name() string { return "associated" }

// Attribute implements Model.
func (Associated) Attribute(ctx context.Context, d *Dataset) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("attribution: associated: %w", err)
	}
	if err := validateDataset(d); err != nil {
		return Result{}, err
	}
	l := newLedger(d)
	l.assisted, l.last = make([]float64, len(d.channels)), make([]float64, len(d.channels))
	set := newDistinct(len(d.channels))
	for i := range d.conv {
		touches := d.touches(i)
		if len(touches) == 0 {
			continue
		}
		last := touches[len(touches)-1]
		l.conv[last] += d.conv[i]
		l.value[last] += d.value[i]
		l.last[last] += d.conv[i]
		for _, ch := range set.of(touches) {
			if ch != last {
				l.assisted[ch] += d.conv[i]
			}
		}
	}
	return l.result("associated"), nil
}

// Compare runs every model on the same data.
func Compare(ctx context.Context, d *Dataset, models ...Model) ([]Result, error) {
	out := make([]Result, 0, len(models))
	for _, m := range models {
		r, err := m.Attribute(ctx, d)
		if err != nil {
			return out, fmt.Errorf("%s: %w", m.Name(), err)
		}
		out = append(out, r)
	}
	return out, nil
}
