package attribution

import (
	"errors"
	"fmt"
	"math"
)

var (
	// ErrBadPath reports a path with a negative or non-finite count.
	ErrBadPath = errors.New("attribution: bad path")
	// ErrNoConversions reports data in which no path converts, where the
	// model needs one (Markov).
	ErrNoConversions = errors.New("attribution: no path converts")
	// ErrNoTimes reports TimeDecay on paths without touch times (aggregated
	// CSV has none).
	ErrNoTimes = errors.New("attribution: time decay needs touch times")
	// ErrBadOption reports a model option out of range.
	ErrBadOption = errors.New("attribution: bad option")
)

func validate(paths []Path) error {
	for i, p := range paths {
		for _, v := range []float64{p.Conversions, p.Value, p.Nulls} {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("%w: path %d: counts must be finite and not negative", ErrBadPath, i)
			}
		}
	}
	return nil
}
