package attribution

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
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
func (m Shapley) Attribute(paths []Path) (Result, error) {
	if err := validate(paths); err != nil {
		return Result{}, err
	}
	switch m.Variant {
	case Simplified, Ordered:
		return m.closedForm(paths), nil
	case Exact:
		return m.exact(paths)
	}
	return Result{}, fmt.Errorf("%w: Shapley variant %d", ErrBadOption, m.Variant)
}

func (m Shapley) closedForm(paths []Path) Result {
	c := newCredits(paths)
	for _, p := range paths {
		if len(p.Touches) == 0 || (p.Conversions == 0 && p.Value == 0) {
			continue
		}
		distinct := distinctChannels(p)
		share := 1 / float64(len(distinct))
		for ch, idx := range distinct {
			cr := c.at(ch)
			cr.Conversions += p.Conversions * share
			cr.Value += p.Value * share
			if m.Variant == Ordered {
				for _, i := range idx {
					for len(cr.ByPosition) <= i {
						cr.ByPosition = append(cr.ByPosition, 0)
					}
					cr.ByPosition[i] += p.Conversions * share / float64(len(idx))
				}
			}
		}
	}
	return c.result("shapley", paths)
}

func (m Shapley) exact(paths []Path) (Result, error) {
	c := newCredits(paths)
	// Channels numbered in name order, so sampling does not depend on the
	// order of the paths.
	chIx := map[string]int{}
	var names []string
	for _, p := range paths {
		for _, t := range p.Touches {
			if _, ok := chIx[t.Channel]; !ok {
				chIx[t.Channel] = -1
				names = append(names, t.Channel)
			}
		}
	}
	slices.Sort(names)
	for i, n := range names {
		chIx[n] = i
	}
	// R(T) for each observed set, conversions and value.
	type rv struct{ c, v float64 }
	sets := map[string]*rv{}
	var setMembers [][]int
	var setKeys []string
	for _, p := range paths {
		if len(p.Touches) == 0 || (p.Conversions == 0 && p.Value == 0) {
			continue
		}
		var ids []int
		for _, t := range p.Touches {
			if id := chIx[t.Channel]; !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		slices.Sort(ids)
		k := fmt.Sprint(ids)
		if sets[k] == nil {
			sets[k] = &rv{}
			setMembers = append(setMembers, ids)
			setKeys = append(setKeys, k)
		}
		sets[k].c += p.Conversions
		sets[k].v += p.Value
	}
	// Sets in a fixed order, so sums do not depend on the order of paths.
	order := make([]int, len(setKeys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case setKeys[a] < setKeys[b]:
			return -1
		case setKeys[a] > setKeys[b]:
			return 1
		}
		return 0
	})
	sortedMembers, sortedKeys := make([][]int, len(order)), make([]string, len(order))
	for i, o := range order {
		sortedMembers[i], sortedKeys[i] = setMembers[o], setKeys[o]
	}
	setMembers, setKeys = sortedMembers, sortedKeys
	n := len(names)
	phiC, phiV := make([]float64, n), make([]float64, n)
	maxExact := m.MaxExact
	if maxExact == 0 {
		maxExact = 20
	}
	if n <= maxExact && n <= 30 {
		// v(S) = Σ_{T⊆S} R(T): place R on masks, then sum over subsets.
		vc, vv := make([]float64, 1<<n), make([]float64, 1<<n)
		for i, ids := range setMembers {
			mask := 0
			for _, id := range ids {
				mask |= 1 << id
			}
			vc[mask] += sets[setKeys[i]].c
			vv[mask] += sets[setKeys[i]].v
		}
		for b := range n {
			for mask := range 1 << n {
				if mask&(1<<b) != 0 {
					vc[mask] += vc[mask^(1<<b)]
					vv[mask] += vv[mask^(1<<b)]
				}
			}
		}
		// weight(s) = s!(n-s-1)!/n!
		w := make([]float64, n)
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
		perm := make([]int, n)
		pos := make([]int, n)
		for range samples {
			for i := range perm {
				perm[i] = i
			}
			rng.Shuffle(n, func(i, j int) { perm[i], perm[j] = perm[j], perm[i] })
			for i, ch := range perm {
				pos[ch] = i
			}
			// Under Zhao's v, a set T's R(T) goes to the member of T that
			// comes last in the permutation (the one whose arrival completes T).
			for i, ids := range setMembers {
				last := ids[0]
				for _, id := range ids[1:] {
					if pos[id] > pos[last] {
						last = id
					}
				}
				phiC[last] += sets[setKeys[i]].c / float64(samples)
				phiV[last] += sets[setKeys[i]].v / float64(samples)
			}
		}
	}
	for j, name := range names {
		cr := c.at(name)
		cr.Conversions, cr.Value = phiC[j], phiV[j]
	}
	return c.result("shapley", paths), nil
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
func (Associated) Attribute(paths []Path) (Result, error) {
	if err := validate(paths); err != nil {
		return Result{}, err
	}
	c := newCredits(paths)
	for _, p := range paths {
		if len(p.Touches) == 0 {
			continue
		}
		last := p.Touches[len(p.Touches)-1].Channel
		lc := c.at(last)
		lc.Conversions += p.Conversions
		lc.Value += p.Value
		lc.Last += p.Conversions
		for ch := range distinctChannels(p) {
			if ch != last {
				c.at(ch).Assisted += p.Conversions
			}
		}
	}
	return c.result("associated", paths), nil
}

// Compare runs every model on the same paths.
func Compare(paths []Path, models ...Model) ([]Result, error) {
	out := make([]Result, 0, len(models))
	for _, m := range models {
		r, err := m.Attribute(paths)
		if err != nil {
			return out, fmt.Errorf("%s: %w", m.Name(), err)
		}
		out = append(out, r)
	}
	return out, nil
}
