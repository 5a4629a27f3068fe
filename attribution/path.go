package attribution

import (
	"context"
	"slices"
	"time"
)

// A Touch is one marketing contact on a path.
type Touch struct {
	Channel string
	// Time of the touch; only TimeDecay needs it.
	Time time.Time
	// Attrs carries other dimensions of the touch (campaign, dealership,
	// salesperson) for Rekey.
	Attrs map[string]string
}

// A Path is a sequence of touches in time order and how it ended:
// Conversions and Value for the conversions that ended it, Nulls for the
// times the same path ended without one. Aggregated data (one row per
// distinct path, ChannelAttribution's format) and single journeys (one
// conversion, Nulls zero) are both paths. Counts are float64 so CRM-weighted
// or partial conversions fit.
type Path struct {
	Touches     []Touch
	Conversions float64
	Value       float64
	Nulls       float64
	// ConvertedAt is the time of the conversion, for TimeDecay; zero means
	// the time of the last touch.
	ConvertedAt time.Time
}

// Channels returns the path's channels in order.
func (p Path) Channels() []string {
	out := make([]string, len(p.Touches))
	for i, t := range p.Touches {
		out[i] = t.Channel
	}
	return out
}

// PathOf builds a path of channels without times.
func PathOf(conversions, value, nulls float64, channels ...string) Path {
	p := Path{Conversions: conversions, Value: value, Nulls: nulls, Touches: make([]Touch, len(channels))}
	for i, c := range channels {
		p.Touches[i] = Touch{Channel: c}
	}
	return p
}

// Rekey returns the paths with every touch's Channel replaced by key(touch):
// attribution by dealership, salesperson or (channel, campaign). Touches for
// which key returns "" are dropped.
func Rekey(paths []Path, key func(Touch) string) []Path {
	out := make([]Path, len(paths))
	for i, p := range paths {
		q := p
		q.Touches = make([]Touch, 0, len(p.Touches))
		for _, t := range p.Touches {
			if k := key(t); k != "" {
				t.Channel = k
				q.Touches = append(q.Touches, t)
			}
		}
		out[i] = q
	}
	return out
}

// A Result is a model's answer for a set of paths.
type Result struct {
	Model string
	// Credits holds one entry per channel seen on the paths, sorted by name.
	Credits []Credit
	// Conversions and Value are the totals the credits share out.
	Conversions, Value float64
	// PConversion is the model's probability of conversion, for Markov
	// (ΣC / (ΣC + ΣN) by construction); 0 for models without one.
	PConversion float64
}

// A Credit is one channel's share.
type Credit struct {
	Channel     string
	Conversions float64
	Value       float64
	// RemovalEffect is Markov's: the share of conversions lost without the
	// channel. HasRemoval says whether the model computes one.
	RemovalEffect float64
	HasRemoval    bool
	// Assisted and Last are Associated's counts.
	Assisted, Last float64
	// ByPosition is ordered Shapley's split of Conversions by position on
	// the path (index 0: first touch).
	ByPosition []float64
}

// Credit returns the entry for a channel (zero if absent).
func (r Result) Credit(channel string) Credit {
	i, ok := slices.BinarySearchFunc(r.Credits, channel, func(c Credit, ch string) int {
		switch {
		case c.Channel < ch:
			return -1
		case c.Channel > ch:
			return 1
		}
		return 0
	})
	if !ok {
		return Credit{Channel: channel}
	}
	return r.Credits[i]
}

// A Model attributes conversions to channels.
type Model interface {
	// Name is the model's short name ("markov", "linear").
	Name() string
	// Attribute credits the paths' conversions and value to their channels;
	// it stops with ctx's error when ctx is done first.
	Attribute(ctx context.Context, d *Dataset) (Result, error)
}
