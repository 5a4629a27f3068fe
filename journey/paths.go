package journey

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/identity"
)

// PathOptions shape the paths Paths builds.
type PathOptions struct {
	// Lookback is how far before a conversion touches count; 0 means 90
	// days (GA4's default for conversions other than first visits, and the
	// length of a car purchase).
	Lookback time.Duration
	// WholeWindow keeps, for a repeat conversion, every touch in the
	// lookback window. By default a path starts after the previous
	// conversion, so a touch is credited to the first conversion it led to
	// and a second purchase is not credited with the first one's touches.
	WholeWindow bool
}

// Paths returns one attribution path per conversion of the profile: the
// touchpoints within the lookback window before it (see PathOptions), one
// conversion, its value in minor units, and the conversion time. A profile
// whose touches led to no conversion yields one path with a null, so the
// Markov model sees what did not convert.
func (s *Store) Paths(p identity.ProfileID, opts PathOptions) []attribution.Path {
	look := int64(opts.Lookback)
	if look == 0 {
		look = int64(90 * 24 * time.Hour)
	}
	if cur, ok := s.graph.Current(p); ok {
		p = cur
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	buf, tl := s.recs(p)
	defer s.putRecs(buf, tl)
	var out []attribution.Path
	start := 0 // first event a path may take
	for i, r := range tl {
		if !s.tab.isConv[r.typ] {
			continue
		}
		path := attribution.Path{Conversions: 1, Value: float64(s.tab.extraOf(r).val), ConvertedAt: time.Unix(0, r.t).UTC()}
		from := 0
		if !opts.WholeWindow {
			from = start
		}
		for _, t := range tl[from:i] {
			if t.touch != 0 && r.t-t.t <= look {
				path.Touches = append(path.Touches, s.touchOf(t))
			}
		}
		if r.touch != 0 {
			path.Touches = append(path.Touches, s.touchOf(r))
		}
		if len(path.Touches) > 0 {
			out = append(out, path)
		}
		start = i + 1
	}
	// Touches after the last conversion: a path that has not converted.
	var rest attribution.Path
	for _, t := range tl[start:] {
		if t.touch != 0 {
			rest.Touches = append(rest.Touches, s.touchOf(t))
		}
	}
	if len(rest.Touches) > 0 {
		rest.Nulls = 1
		out = append(out, rest)
	}
	return out
}

// AllPaths returns the paths of every profile (in profile ID order), built
// on every core.
func (s *Store) AllPaths(ctx context.Context, opts PathOptions) ([]attribution.Path, error) {
	profiles := s.Profiles()
	workers := max(1, min(runtime.GOMAXPROCS(0), len(profiles)/1024+1))
	parts := make([][]attribution.Path, workers)
	chunk := (len(profiles) + workers - 1) / workers
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			lo, hi := min(w*chunk, len(profiles)), min((w+1)*chunk, len(profiles))
			for i, p := range profiles[lo:hi] {
				if i%4096 == 0 && ctx.Err() != nil {
					return
				}
				parts[w] = append(parts[w], s.Paths(p, opts)...)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("journey: paths: %w", err)
	}
	return slices.Concat(parts...), nil
}

func (s *Store) touchOf(r rec) attribution.Touch {
	tc := s.tab.touches[r.touch]
	t := attribution.Touch{Channel: tc.ChannelName(), Time: time.Unix(0, r.t).UTC()}
	if props := s.tab.props[s.tab.extraOf(r).props]; len(props) > 0 || tc.Campaign != "" {
		t.Attrs = map[string]string{"campaign": tc.Campaign}
		for k, v := range props {
			t.Attrs[k] = v
		}
	}
	return t
}
