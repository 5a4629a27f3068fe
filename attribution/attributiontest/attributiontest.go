// Package attributiontest checks that an attribution.Model keeps the
// promises every model owes, the way testing/slogtest checks slog handlers.
// Run it from a test of your own model:
//
//	func TestMyModel(t *testing.T) { attributiontest.Run(t, MyModel{}, nil) }
package attributiontest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/throughline/throughline/attribution"
)

// Options describe what the model under test may do.
type Options struct {
	// CreditsNonConverting is set for models that may credit a channel that
	// never appears on a converting path (Markov does, through the pooled
	// chain); others must give it zero.
	CreditsNonConverting bool
	// Tolerance for sums and comparisons; 0 means 1e-9 relative.
	Tolerance float64
}

// Datasets returns the seeded data sets Run uses: aggregated paths with
// nulls and values, single journeys with times, and a small edge-case set.
func Datasets() map[string][]attribution.Path {
	rng := rand.New(rand.NewPCG(2026, 11))
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	gen := func(rows, channels int, nulls bool) []attribution.Path {
		out := make([]attribution.Path, rows)
		for i := range out {
			l := 1 + rng.IntN(7)
			var p attribution.Path
			t := base.Add(time.Duration(rng.IntN(1000)) * time.Hour)
			for range l {
				t = t.Add(time.Duration(1+rng.IntN(72)) * time.Hour)
				p.Touches = append(p.Touches, attribution.Touch{Channel: fmt.Sprintf("ch%d", rng.IntN(channels)), Time: t})
			}
			p.ConvertedAt = t.Add(time.Hour)
			p.Conversions = float64(rng.IntN(3))
			p.Value = p.Conversions * float64(1000+rng.IntN(9000))
			if nulls {
				p.Nulls = float64(rng.IntN(4))
			}
			out[i] = p
		}
		return out
	}
	edge := []attribution.Path{
		attribution.PathOf(1, 10, 0, "solo"),
		attribution.PathOf(2, 0, 1, "a", "a", "a"),
		attribution.PathOf(0, 0, 3, "only_null"),
		attribution.PathOf(1, 5, 0, "a", "b"),
		{Conversions: 1}, // no touches
	}
	now := base
	for i := range edge {
		for j := range edge[i].Touches {
			edge[i].Touches[j].Time = now.Add(time.Duration(j) * time.Hour)
		}
		edge[i].ConvertedAt = now.Add(24 * time.Hour)
	}
	return map[string][]attribution.Path{
		"aggregated": gen(500, 8, true),
		"journeys":   gen(300, 5, false),
		"edge":       edge,
	}
}

// Run checks m on every data set: credits sum to the conversions and the
// value, none is negative, results are deterministic and do not depend on
// the order of paths, channels absent from converting paths get zero
// (unless opts allow otherwise), and empty input is handled.
func Run(t *testing.T, m attribution.Model, opts *Options) {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	tol := opts.Tolerance
	if tol == 0 {
		tol = 1e-9
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Max(math.Abs(a), math.Abs(b))) }
	for name, paths := range Datasets() {
		t.Run(m.Name()+"/"+name, func(t *testing.T) {
			r, err := m.Attribute(context.Background(), attribution.NewDataset(paths))
			if err != nil {
				t.Fatalf("Attribute: %v", err)
			}
			var wantC, wantV float64
			converting := map[string]bool{}
			seen := map[string]bool{}
			for _, p := range paths {
				for _, tc := range p.Touches {
					seen[tc.Channel] = true
					if p.Conversions > 0 {
						converting[tc.Channel] = true
					}
				}
				if len(p.Touches) > 0 {
					wantC += p.Conversions
					wantV += p.Value
				}
			}
			var sumC, sumV float64
			for i, c := range r.Credits {
				if c.Conversions < 0 || c.Value < 0 || math.IsNaN(c.Conversions) || math.IsNaN(c.Value) {
					t.Errorf("%s: negative or NaN credit %+v", c.Channel, c)
				}
				if i > 0 && r.Credits[i-1].Channel >= c.Channel {
					t.Errorf("credits not sorted by channel: %q before %q", r.Credits[i-1].Channel, c.Channel)
				}
				if !seen[c.Channel] {
					t.Errorf("credit for channel %q not on any path", c.Channel)
				}
				if !converting[c.Channel] && !opts.CreditsNonConverting && c.Conversions != 0 {
					t.Errorf("channel %q on no converting path got %v", c.Channel, c.Conversions)
				}
				sumC += c.Conversions
				sumV += c.Value
			}
			if !near(sumC, wantC) || !near(sumV, wantV) {
				t.Errorf("credits sum to %v conversions and %v value, want %v and %v", sumC, sumV, wantC, wantV)
			}
			again, err := m.Attribute(context.Background(), attribution.NewDataset(paths))
			if err != nil || !slices.EqualFunc(again.Credits, r.Credits, func(a, b attribution.Credit) bool {
				return a.Channel == b.Channel && a.Conversions == b.Conversions && a.Value == b.Value
			}) {
				t.Errorf("not deterministic (%v)", err)
			}
			shuffled := slices.Clone(paths)
			rand.New(rand.NewPCG(1, 1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			s, err := m.Attribute(context.Background(), attribution.NewDataset(shuffled))
			if err != nil || len(s.Credits) != len(r.Credits) {
				t.Fatalf("reordered paths: %v", err)
			}
			for i := range s.Credits {
				a, b := s.Credits[i], r.Credits[i]
				if a.Channel != b.Channel || !near(a.Conversions, b.Conversions) || !near(a.Value, b.Value) {
					t.Errorf("reordering paths changed %s: %v vs %v", a.Channel, a, b)
				}
			}
		})
	}
	t.Run(m.Name()+"/empty", func(t *testing.T) {
		r, err := m.Attribute(context.Background(), attribution.NewDataset(nil))
		if err != nil {
			t.Fatalf("empty input: %v", err)
		}
		if len(r.Credits) != 0 {
			t.Errorf("empty input gave credits %v", r.Credits)
		}
	})
}
