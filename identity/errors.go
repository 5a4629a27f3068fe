package identity

import (
	"errors"
	"strconv"
)

// Sentinel errors. Every error the package returns wraps one of them, so
// callers branch with errors.Is and read details with errors.As.
var (
	// ErrEmpty: the value is empty once whitespace is trimmed.
	ErrEmpty = errors.New("identity: empty value")
	// ErrMalformed: the value does not have the shape of its kind.
	ErrMalformed = errors.New("identity: malformed value")
	// ErrRefused: the value is well formed but names nobody, like the
	// all-zero advertising ID that a device sends when ad tracking is limited.
	ErrRefused = errors.New("identity: refused value")
	// ErrUnknownKind: the kind is neither built in nor registered.
	ErrUnknownKind = errors.New("identity: unknown kind")
	// ErrNotFound: no profile holds the identifier.
	ErrNotFound = errors.New("identity: not found")
	// ErrNoIdentifiers: an observation carried no identifier that normalizes.
	ErrNoIdentifiers = errors.New("identity: observation has no valid identifier")
	// ErrBadOptions: the graph's options are inconsistent.
	ErrBadOptions = errors.New("identity: bad options")
)

// A ParseError reports a value that could not be normalized. It names the
// kind and the reason; Err is one of the sentinels above.
type ParseError struct {
	Kind   Kind
	Input  string
	Reason string
	Err    error
}

func (e *ParseError) Error() string {
	s := "identity: " + string(e.Kind) + " " + strconv.Quote(truncate(e.Input, 64))
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

func (e *ParseError) Unwrap() error { return e.Err }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// parseErr is the error constructor normalizers use; the kind is filled in by
// the caller that knows it (see KindSpec.normalize).
func parseErr(kind Kind, input string, sentinel error, reason string) error {
	return &ParseError{Kind: kind, Input: input, Reason: reason, Err: sentinel}
}
