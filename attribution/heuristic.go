package attribution

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// weighted runs a rule-based model: weights(i, touches, w) fills w with each
// touch's share of path i's conversions (summing to 1).
func weighted(ctx context.Context, name string, d *Dataset, weights func(i int, touches []int32, w []float64) error) (Result, error) {
	if err := validateDataset(d); err != nil {
		return Result{}, err
	}
	l := newLedger(d)
	var w []float64
	for i := range d.conv {
		if i%65536 == 0 && ctx.Err() != nil {
			return Result{}, fmt.Errorf("attribution: %s: %w", name, ctx.Err())
		}
		touches := d.touches(i)
		c, v := d.conv[i], d.value[i]
		if len(touches) == 0 || (c == 0 && v == 0) {
			continue
		}
		w = slices.Grow(w[:0], len(touches))[:len(touches)]
		clear(w)
		if err := weights(i, touches, w); err != nil {
			return Result{}, err
		}
		for j, ch := range touches {
			if w[j] != 0 {
				l.conv[ch] += c * w[j]
				l.value[ch] += v * w[j]
			}
		}
	}
	return l.result(name), nil
}

// FirstTouch gives each conversion to the first touch.
type FirstTouch struct{}

func (FirstTouch) Name() string { return "first" }

// Attribute implements Model.
func (FirstTouch) Attribute(ctx context.Context, d *Dataset) (Result, error) {
	return weighted(ctx, "first", d, func(_ int, _ []int32, w []float64) error { w[0] = 1; return nil })
}

// LastTouch gives each conversion to the last touch.
type LastTouch struct{}

func (LastTouch) Name() string { return "last" }

// Attribute implements Model.
func (LastTouch) Attribute(ctx context.Context, d *Dataset) (Result, error) {
	return weighted(ctx, "last", d, func(_ int, _ []int32, w []float64) error { w[len(w)-1] = 1; return nil })
}

// LastNonDirect gives each conversion to the last touch whose channel is not
// direct; a path of direct touches only credits its last touch (GA4's
// "direct is excluded unless the whole path is direct").
type LastNonDirect struct {
	// Direct lists the channels that do not count; nil means "direct",
	// "(direct)" and "Direct", compared exactly.
	Direct []string
}

func (LastNonDirect) Name() string { return "last_non_direct" }

// Attribute implements Model.
func (m LastNonDirect) Attribute(ctx context.Context, d *Dataset) (Result, error) {
	names := m.Direct
	if names == nil {
		names = []string{"direct", "(direct)", "Direct"}
	}
	isDirect := make([]bool, len(d.channels))
	for ch, n := range d.channels {
		isDirect[ch] = slices.Contains(names, n)
	}
	return weighted(ctx, "last_non_direct", d, func(_ int, touches []int32, w []float64) error {
		for i := len(touches) - 1; i >= 0; i-- {
			if !isDirect[touches[i]] {
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

// Attribute implements Model.
func (m Linear) Attribute(ctx context.Context, d *Dataset) (Result, error) {
	set := newDistinct(len(d.channels))
	return weighted(ctx, "linear", d, func(_ int, touches []int32, w []float64) error {
		if !m.PerChannel {
			for i := range w {
				w[i] = 1 / float64(len(w))
			}
			return nil
		}
		ids := set.of(touches)
		for i, ch := range touches {
			w[i] = 1 / float64(len(ids)) / float64(set.count[set.pos[ch]])
		}
		return nil
	})
}

// PositionBased gives the first and last touches fixed shares and splits the
// rest over the middle: 40/20/40 by default. One touch takes everything; two
// touches split First:Last renormalized (0.5/0.5 by default, the UA and DP6
// convention); with a zero middle share, first and last share everything.
type PositionBased struct {
	First, Middle, Last float64 // zero values mean 0.4, 0.2, 0.4
}

func (PositionBased) Name() string { return "position" }

// Attribute implements Model.
func (m PositionBased) Attribute(ctx context.Context, d *Dataset) (Result, error) {
	f, mid, l := m.First, m.Middle, m.Last
	if f == 0 && mid == 0 && l == 0 {
		f, mid, l = 0.4, 0.2, 0.4
	}
	if f < 0 || mid < 0 || l < 0 || math.Abs(f+mid+l-1) > 1e-9 || f+l == 0 {
		return Result{}, fmt.Errorf("%w: position weights %g/%g/%g must be non-negative and sum to 1", ErrBadOption, f, mid, l)
	}
	return weighted(ctx, "position", d, func(_ int, _ []int32, w []float64) error {
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
			if mid == 0 {
				w[0], w[n-1] = f/(f+l), l/(f+l)
			}
		}
		return nil
	})
}

// TimeDecay weights each touch by 2^(-Δt/HalfLife), Δt the time from the
// touch to the conversion (the path's ConvertedAt, or its last touch),
// normalized per conversion: the continuous form Google describes. Touches 0,
// 7, 14 days before a conversion weigh 1, 0.5, 0.25.
type TimeDecay struct {
	HalfLife time.Duration // 0 means 7 days
}

func (TimeDecay) Name() string { return "time_decay" }

// Attribute implements Model.
func (m TimeDecay) Attribute(ctx context.Context, d *Dataset) (Result, error) {
	h := m.HalfLife
	if h == 0 {
		h = 7 * 24 * time.Hour
	}
	if h < 0 {
		return Result{}, fmt.Errorf("%w: half-life %v", ErrBadOption, h)
	}
	return weighted(ctx, "time_decay", d, func(i int, touches []int32, w []float64) error {
		if !d.hasTime {
			return fmt.Errorf("%w: the paths have no touch times", ErrNoTimes)
		}
		times := d.time[d.start[i]:d.start[i+1]]
		end := d.convAt[i]
		if end == 0 {
			end = times[len(times)-1]
		}
		sum := 0.0
		for j, t := range times {
			if t == 0 {
				return fmt.Errorf("%w: a touch on channel %q has no time", ErrNoTimes, d.channels[touches[j]])
			}
			w[j] = math.Exp2(-float64(max(end-t, 0)) / float64(h))
			sum += w[j]
		}
		for j := range w {
			w[j] /= sum
		}
		return nil
	})
}
