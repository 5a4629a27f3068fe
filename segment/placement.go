package segment

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

// Placement: which car cards a site shows a visitor. The same catalog's
// holdout applies (a held-out visitor sees what a new one sees, so the
// uplift of personal placement can be measured), and the ranking is built
// from what the visitor did and what others did:
//
//   - viewed: the trims the visitor viewed, the latest weighing most
//     (a half-life, PlacementOptions.HalfLife);
//   - same model: other trims of the models viewed, at half the weight;
//   - co-viewed: trims other visitors viewed together with the ones this
//     visitor viewed (LearnViews), by the share of those visitors;
//   - popular: how many visitors viewed the trim at all, the only term for
//     a new visitor (the fallback), and a small prior for everyone.
//
// Only cars in stock at a dealership the visitor can be served by (all of
// them when the visitor names none) are shown. Ties break by model, trim,
// dealership, so the same inventory, views and visitor give the same cards.

// A Car is one line of the inventory the host supplies: a trim of a model
// in stock at a dealership.
type Car struct {
	Model, Trim, Dealership string
	Count                   int // in stock; 0 is never shown
	// Level ranks the model's trims (higher is better equipped), for the
	// dealer actions' "a lower trim is in stock"; list a trim with Count 0
	// to give its level when none is in stock.
	Level int
}

// A View is one car card a visitor viewed.
type View struct {
	Model, Trim string
	At          time.Time
}

// A Visitor is what placement sees of a profile: its views, the
// dealerships that may serve it (the ones it can reach; none: all), the
// moment.
type Visitor struct {
	Profile     identity.ProfileID
	Views       []View
	Dealerships []string
	Now         time.Time
}

// A Card is one placed car, with the terms of its score.
type Card struct {
	Car
	Score float64
	// Why names the strongest term: "viewed", "same model", "co-viewed",
	// "popular".
	Why string
}

// PlacementOptions configure a Placement; the zero value is usable.
type PlacementOptions struct {
	// HalfLife is how fast a view's weight fades: 14 days when zero.
	HalfLife time.Duration
	// CoViewed is how many co-viewed trims are kept per trim: 20 when zero.
	CoViewed int
	// Holdout reports a visitor held out of personal placement (for
	// example an Arbiter's InHoldout): it sees the fallback ranking. nil
	// holds out no one.
	Holdout func(identity.ProfileID) bool
}

// ErrInventory reports an inventory or options NewPlacement cannot use.
var ErrInventory = errors.New("segment: bad inventory")

// A Placement ranks an inventory for visitors. Rank is safe for concurrent
// use; LearnViews is not, and must not run beside Rank.
type Placement struct {
	opts   PlacementOptions
	cars   []Car
	trimOf []int32 // car → trim index
	modOf  []int32 // car → model index
	dealOf []int32 // car → dealership index
	trims  map[[2]string]int32
	models map[string]int32
	deals  map[string]int32
	trimMd []int32 // trim → model
	pop    []float64
	co     [][]coView // trim → its co-viewed trims, strongest first
	bufs   sync.Pool  // of *interest, sized to the trims and models
}

type coView struct {
	trim  int32
	share float64 // of the visitors who viewed one, the share who viewed both
}

// NewPlacement indexes inv.
func NewPlacement(inv []Car, opts *PlacementOptions) (*Placement, error) {
	pl := &Placement{trims: map[[2]string]int32{}, models: map[string]int32{}, deals: map[string]int32{}}
	if opts != nil {
		pl.opts = *opts
	}
	if pl.opts.HalfLife < 0 || pl.opts.CoViewed < 0 {
		return nil, fmt.Errorf("%w: negative HalfLife or CoViewed", ErrInventory)
	}
	if pl.opts.HalfLife == 0 {
		pl.opts.HalfLife = 14 * 24 * time.Hour
	}
	if pl.opts.CoViewed == 0 {
		pl.opts.CoViewed = 20
	}
	for i, c := range inv {
		if c.Model == "" || c.Trim == "" || c.Dealership == "" || c.Count < 0 {
			return nil, fmt.Errorf("%w: car %d: %+v needs a model, a trim, a dealership and a count ≥ 0", ErrInventory, i, c)
		}
		if c.Count == 0 {
			continue
		}
		pl.cars = append(pl.cars, c)
		pl.trimOf = append(pl.trimOf, pl.trim(c.Model, c.Trim))
		pl.modOf = append(pl.modOf, pl.trimMd[pl.trimOf[len(pl.trimOf)-1]])
		pl.dealOf = append(pl.dealOf, intern32(pl.deals, c.Dealership))
	}
	return pl, nil
}

func intern32(m map[string]int32, k string) int32 {
	if i, ok := m[k]; ok {
		return i
	}
	i := int32(len(m))
	m[k] = i
	return i
}

// trim interns a (model, trim) pair.
func (pl *Placement) trim(model, trim string) int32 {
	k := [2]string{model, trim}
	if i, ok := pl.trims[k]; ok {
		return i
	}
	i := int32(len(pl.trimMd))
	pl.trims[k] = i
	pl.trimMd = append(pl.trimMd, intern32(pl.models, model))
	pl.pop = append(pl.pop, 0)
	pl.co = append(pl.co, nil)
	return i
}

// LearnViews learns popularity and co-views from other visitors: one list
// of viewed cards per visitor (repeats within a list count once). It
// replaces what was learned before, so a host relearns on a schedule from
// the recent past.
func (pl *Placement) LearnViews(visitors [][]View) {
	for i := range pl.pop {
		pl.pop[i], pl.co[i] = 0, nil
	}
	pairs := map[[2]int32]float64{}
	var seen []int32
	for _, vs := range visitors {
		seen = seen[:0]
		for _, v := range vs {
			t := pl.trim(v.Model, v.Trim)
			if !slices.Contains(seen, t) {
				seen = append(seen, t)
			}
		}
		for _, a := range seen {
			pl.pop[a]++
			for _, b := range seen {
				if a != b {
					pairs[[2]int32{a, b}]++
				}
			}
		}
	}
	for k, n := range pairs {
		pl.co[k[0]] = append(pl.co[k[0]], coView{trim: k[1], share: n / pl.pop[k[0]]})
	}
	for i := range pl.co {
		slices.SortFunc(pl.co[i], func(a, b coView) int { return cmp.Or(cmp.Compare(b.share, a.share), cmp.Compare(a.trim, b.trim)) })
		if len(pl.co[i]) > pl.opts.CoViewed {
			pl.co[i] = pl.co[i][:pl.opts.CoViewed:pl.opts.CoViewed]
		}
	}
	// Popularity as a share of the most viewed trim, so it stays a prior.
	top := 0.0
	for _, p := range pl.pop {
		top = max(top, p)
	}
	for i := range pl.pop {
		if top > 0 {
			pl.pop[i] /= top
		}
	}
}

// The terms' weights: a view outweighs a model, a model a co-view, a
// co-view popularity.
const (
	wViewed   = 1.0
	wModel    = 0.5
	wCoViewed = 0.3
	wPopular  = 0.05
)

// Rank returns the n best cards for v, best first.
func (pl *Placement) Rank(v *Visitor, n int) []Card {
	if n <= 0 || len(pl.cars) == 0 {
		return nil
	}
	personal := pl.opts.Holdout == nil || !pl.opts.Holdout(v.Profile)
	var in *interest
	if personal && len(v.Views) > 0 {
		in = pl.interest(v)
		defer pl.release(in)
	}
	var served []bool // by dealership index; nil: all
	if len(v.Dealerships) > 0 {
		served = make([]bool, len(pl.deals))
		some := false
		for _, d := range v.Dealerships {
			if i, ok := pl.deals[d]; ok {
				served[i], some = true, true
			}
		}
		if !some {
			return nil // no car at a dealership that may serve it
		}
	}
	top := make([]scored, 0, n+1)
	for i := range pl.cars {
		if served != nil && !served[pl.dealOf[i]] {
			continue
		}
		t := pl.trimOf[i]
		s := scored{car: int32(i), score: wPopular * pl.pop[t], why: whyPopular}
		if in != nil {
			if x := in.viewed[t]; x > 0 {
				s.add(wViewed*x, whyViewed)
			} else {
				s.add(wModel*in.model[pl.modOf[i]], whyModel)
				s.add(wCoViewed*in.co[t], whyCoViewed)
			}
		}
		top = pl.keep(top, s, n)
	}
	out := make([]Card, len(top))
	for i, s := range top {
		out[i] = Card{Car: pl.cars[s.car], Score: s.score, Why: s.why.String()}
	}
	return out
}

// An interest is a visitor's weights, dense by trim and model; touched
// lists what to clear before it goes back to the pool.
type interest struct {
	viewed, co, model []float64
	trims, models     []int32
}

// interest weighs the visitor's views: by trim, by model, and by
// co-view.
func (pl *Placement) interest(v *Visitor) *interest {
	in, _ := pl.bufs.Get().(*interest)
	if in == nil || len(in.viewed) != len(pl.trimMd) || len(in.model) != len(pl.models) {
		in = &interest{viewed: make([]float64, len(pl.trimMd)), co: make([]float64, len(pl.trimMd)), model: make([]float64, len(pl.models))}
	}
	half := pl.opts.HalfLife.Hours()
	for _, w := range v.Views {
		weight := math.Exp2(-max(v.Now.Sub(w.At).Hours(), 0) / half)
		if m, ok := pl.models[w.Model]; ok && weight > in.model[m] {
			in.model[m] = weight
			in.models = append(in.models, m)
		}
		t, ok := pl.trims[[2]string{w.Model, w.Trim}]
		if !ok {
			continue
		}
		in.viewed[t] = max(in.viewed[t], weight)
		in.trims = append(in.trims, t)
		for _, c := range pl.co[t] {
			if x := weight * c.share; x > in.co[c.trim] {
				in.co[c.trim] = x
				in.trims = append(in.trims, c.trim)
			}
		}
	}
	return in
}

func (pl *Placement) release(in *interest) {
	for _, t := range in.trims {
		in.viewed[t], in.co[t] = 0, 0
	}
	for _, m := range in.models {
		in.model[m] = 0
	}
	in.trims, in.models = in.trims[:0], in.models[:0]
	pl.bufs.Put(in)
}

// A scored car, with its strongest term.
type scored struct {
	car   int32
	score float64
	why   why
	best  float64
}

type why uint8

const (
	whyPopular why = iota
	whyViewed
	whyModel
	whyCoViewed
)

func (w why) String() string {
	return [...]string{"popular", "viewed", "same model", "co-viewed"}[w]
}

func (s *scored) add(x float64, w why) {
	s.score += x
	if x > s.best {
		s.best, s.why = x, w
	}
}

// keep inserts s into top (sorted best first, at most n), by score, then
// model, trim, dealership.
func (pl *Placement) keep(top []scored, s scored, n int) []scored {
	less := func(a, b scored) bool { // a ranks before b
		if a.score != b.score {
			return a.score > b.score
		}
		ca, cb := pl.cars[a.car], pl.cars[b.car]
		return cmp.Or(cmp.Compare(ca.Model, cb.Model), cmp.Compare(ca.Trim, cb.Trim), cmp.Compare(ca.Dealership, cb.Dealership)) < 0
	}
	if len(top) == n && !less(s, top[n-1]) {
		return top
	}
	i, _ := slices.BinarySearchFunc(top, s, func(a, b scored) int {
		if less(a, b) {
			return -1
		}
		return 1
	})
	top = slices.Insert(top, i, s)
	if len(top) > n {
		top = top[:n]
	}
	return top
}
