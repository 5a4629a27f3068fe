package apicheck

import (
	"errors"
	"testing"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// The three packages' LineError are one type: a value of one is a value of
// the others (this does not compile otherwise).
var (
	_ *identity.LineError = (*journey.LineError)(nil)
	_ *journey.LineError  = (*attribution.LineError)(nil)
)

// TestLineErrorUnwraps: a LineError prints its line and unwraps to its
// cause, so errors.Is reaches the package's sentinel.
func TestLineErrorUnwraps(t *testing.T) {
	sentinel := errors.New("bad")
	var err error = &journey.LineError{Line: 7, Err: sentinel}
	var le *attribution.LineError
	if !errors.As(err, &le) || le.Line != 7 || !errors.Is(err, sentinel) || err.Error() != "line 7: bad" {
		t.Fatalf("%v", err)
	}
}
