package identity

import (
	"errors"
	"strings"
)

var errorsIs = errors.Is

// An ID is an identifier: a kind and a value. IDs returned by the package
// hold canonical values; IDs handed to [Graph.Observe] may hold raw ones,
// which the graph normalizes. ID is comparable and usable as a map key.
type ID struct {
	Kind  Kind
	Value string
}

// String returns "kind:value".
func (id ID) String() string { return string(id.Kind) + ":" + id.Value }

// ParseID normalizes a raw value of a built-in kind with the default rules
// (phones in Russia's numbering plan). Graphs with host kinds or another phone
// region normalize through [Graph.Normalize].
func ParseID(kind Kind, raw string) (ID, error) {
	for _, spec := range builtinSpecs {
		if spec.Kind == kind {
			v, err := spec.normalize(raw)
			if err != nil {
				return ID{}, err
			}
			return ID{kind, v}, nil
		}
	}
	return ID{}, &ParseError{Kind: kind, Input: raw, Reason: "unknown kind", Err: ErrUnknownKind}
}

// MustParseID is like [ParseID] but panics on error. It is meant for tests
// and examples with hard-coded values.
func MustParseID(kind Kind, raw string) ID {
	id, err := ParseID(kind, raw)
	if err != nil {
		panic(err)
	}
	return id
}

// ParseIDString parses the "kind:value" form String returns.
func ParseIDString(s string) (ID, error) {
	k, v, ok := strings.Cut(s, ":")
	if !ok {
		return ID{}, &ParseError{Input: s, Reason: "want kind:value", Err: ErrMalformed}
	}
	return ParseID(Kind(k), v)
}

var builtinSpecs = BuiltinKinds("")

// normalize runs the spec's normalizer and makes sure a failure is a
// *ParseError naming the spec's kind.
func (s KindSpec) normalize(raw string) (string, error) {
	v, err := s.Normalizer.Normalize(raw)
	if err != nil {
		if pe, ok := err.(*ParseError); ok {
			if pe.Kind != s.Kind {
				cp := *pe
				cp.Kind = s.Kind
				return "", &cp
			}
			return "", pe
		}
		return "", &ParseError{Kind: s.Kind, Input: raw, Reason: err.Error(), Err: errOrMalformed(err)}
	}
	if v == "" {
		return "", &ParseError{Kind: s.Kind, Input: raw, Reason: "normalized to nothing", Err: ErrEmpty}
	}
	if len(v) > maxValueLen {
		return "", &ParseError{Kind: s.Kind, Input: raw, Reason: "longer than 4096 bytes", Err: ErrMalformed}
	}
	return v, nil
}

func errOrMalformed(err error) error {
	for _, s := range []error{ErrEmpty, ErrMalformed, ErrRefused} {
		if errorsIs(err, s) {
			return err
		}
	}
	return &wrapped{ErrMalformed, err}
}

type wrapped struct{ sentinel, err error }

func (w *wrapped) Error() string   { return w.err.Error() }
func (w *wrapped) Unwrap() []error { return []error{w.sentinel, w.err} }
