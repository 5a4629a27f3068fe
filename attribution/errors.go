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

func validCounts(i int, c, v, n float64) error {
	for _, x := range [3]float64{c, v, n} {
		if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: path %d: counts must be finite and not negative", ErrBadPath, i)
		}
	}
	return nil
}
