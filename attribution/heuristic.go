package attribution

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// weighted runs a rule-based model: weights(p, w) fills w with each touch's
// share of one conversion (summing to 1).
func weighted(name string, paths []Path, weights func(p Path, w []float64) error) (Result, error) {
	if err := validate(paths); err != nil {
		return Result{}, err
	}
	c := newCredits(paths)
	var w []float64
	for _, p := range paths {
		if len(p.Touches) == 0 || (p.Conversions == 0 && p.Value == 0) {
			continue
		}
		w = slices.Grow(w[:0], len(p.Touches))[:len(p.Touches)]
		clear(w)
		if err := weights(p, w); err != nil {
			return Result{}, err
		}
		for i, t := range p.Touches {
			if w[i] != 0 {
				cr := c.at(t.Channel)
				cr.Conversions += p.Conversions * w[i]
				cr.Value += p.Value * w[i]
			}
		}
	}
	return c.result(name, paths), nil
}

// FirstTouch gives each conversion to the first touch.
type FirstTouch struct{}

func (FirstTouch) Name() string { return "first" }

func (FirstTouch) Attribute(paths []Path) (Result, error) {
	return weighted("first", paths, func(_ Path, w []float64) error { w[0] = 1; return nil })
}

// LastTouch gives each conversion to the last touch.
type LastTouch struct{}

func (LastTouch) Name() string { return "last" }

func (LastTouch) Attribute(paths []Path) (Result, error) {
	return weighted("last", paths, func(_ Path, w []float64) error { w[len(w)-1] = 1; return nil })
}

// LastNonDirect gives each conversion to the last touch whose channel is not
// direct; a path of direct touches only credits its last touch (GA4's
// "direct is excluded unless the whole path is direct").
type LastNonDirect struct {
	// Direct lists the channels that do not count; nil means "direct" and
	// "(direct)", compared exactly.
	Direct []string
}

func (LastNonDirect) Name() string { return "last_non_direct" }

func (m LastNonDirect) Attribute(paths []Path) (Result, error) {
	direct := m.Direct
	if direct == nil {
		direct = []string{"direct", "(direct)", "Direct"}
	}
	return weighted("last_non_direct", paths, func(p Path, w []float64) error {
		for i := len(p.Touches) - 1; i >= 0; i-- {
			if !slices.Contains(direct, p.Touches[i].Channel) {
				w[i] = 1
				return nil
			}
		}
		w[len(w)-1] = 1
		return nil
	})
}

// Linear shares each conversion equally: per touch (ChannelAttribution's
// rule, the default: A > A > B gives A 2/3, B 1/3) or per distinct channel
// (A 1/2, B 1/2; this equals simplified Shapley).
type Linear struct {
	PerChannel bool
}

func (Linear) Name() string { return "linear" }

func (m Linear) Attribute(paths []Path) (Result, error) {
	return weighted("linear", paths, func(p Path, w []float64) error {
		if !m.PerChannel {
			for i := range w {
				w[i] = 1 / float64(len(w))
			}
			return nil
		}
		distinct := distinctChannels(p)
		for ch, idx := range distinct {
			_ = ch
			for _, i := range idx {
				w[i] = 1 / float64(len(distinct)) / float64(len(idx))
			}
		}
		return nil
	})
}

func distinctChannels(p Path) map[string][]int {
	m := map[string][]int{}
	for i, t := range p.Touches {
		m[t.Channel] = append(m[t.Channel], i)
	}
	return m
}

// PositionBased gives the first and last touches fixed shares and splits the
// rest over the middle: 40/20/40 by default. One touch takes everything; two
// touches split First:Last renormalized (0.5/0.5 by default, the UA and DP6
// convention).
type PositionBased struct {
	First, Middle, Last float64 // zero values mean 0.4, 0.2, 0.4
}

func (PositionBased) Name() string { return "position" }

func (m PositionBased) Attribute(paths []Path) (Result, error) {
	f, mid, l := m.First, m.Middle, m.Last
	if f == 0 && mid == 0 && l == 0 {
		f, mid, l = 0.4, 0.2, 0.4
	}
	if f < 0 || mid < 0 || l < 0 || math.Abs(f+mid+l-1) > 1e-9 || f+l == 0 {
		return Result{}, fmt.Errorf("%w: position weights %g/%g/%g must be non-negative and sum to 1", ErrBadOption, f, mid, l)
	}
	return weighted("position", paths, func(p Path, w []float64) error {
		switch n := len(w); n {
		case 1:
			w[0] = 1
		case 2:
			w[0], w[1] = f/(f+l), l/(f+l)
		default:
			w[0], w[n-1] = f, l
			for i := 1; i < n-1; i++ {
				w[i] = mid / float64(n-2)
			}
			if mid == 0 { // nothing for the middle: first and last share all
				w[0], w[n-1] = f/(f+l), l/(f+l)
			}
		}
		return nil
	})
}

// TimeDecay weights each touch by 2^(-Δt/HalfLife), Δt the time from the
// touch to the conversion, normalized per conversion (the continuous form,
// Google's): touches 0, 7, 14 days before a conversion weigh 1, 0.5, 0.25.
type TimeDecay struct {
	HalfLife time.Duration // 0 means 7 days
}

func (TimeDecay) Name() string { return "time_decay" }

func (m TimeDecay) Attribute(paths []Path) (Result, error) {
	h := m.HalfLife
	if h == 0 {
		h = 7 * 24 * time.Hour
	}
	if h < 0 {
		return Result{}, fmt.Errorf("%w: half-life %v", ErrBadOption, h)
	}
	return weighted("time_decay", paths, func(p Path, w []float64) error {
		end := p.ConvertedAt
		if end.IsZero() {
			end = p.Touches[len(p.Touches)-1].Time
		}
		sum := 0.0
		for i, t := range p.Touches {
			if t.Time.IsZero() {
				return fmt.Errorf("%w: a touch on channel %q has no time", ErrNoTimes, t.Channel)
			}
			dt := max(end.Sub(t.Time), 0)
			w[i] = math.Exp2(-float64(dt) / float64(h))
			sum += w[i]
		}
		for i := range w {
			w[i] /= sum
		}
		return nil
	})
}
