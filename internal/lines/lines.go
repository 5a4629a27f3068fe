// Package lines holds the one error type the module's readers report a
// rejected input line with. identity, journey and attribution export it
// under the same name, LineError, as an alias: one type, so a host handles
// a bad line alike whichever package read it.
package lines

import "fmt"

// An Error is one rejected line of input, with its number (from 1) and why.
// Err wraps the package's sentinel (identity.ErrLabels,
// journey.ErrBadEvent, attribution.ErrBadInput...), so errors.Is works
// through it.
type Error struct {
	Line int
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }
