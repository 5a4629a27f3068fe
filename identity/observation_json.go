package identity

import (
	"errors"
	"fmt"
	"time"

	"github.com/throughline/throughline/internal/jsonscan"
)

// ErrBadObservation is wrapped by errors decoding an observation's JSON.
var ErrBadObservation = errors.New("identity: bad observation")

// UnmarshalJSON decodes the JSONL observation format:
//
//	{"time":"2026-06-01T10:43:01Z","source":"web_form","trust":"asserted",
//	 "ids":[{"kind":"email","value":"Ivan.Petrov@Gmail.com"}, …]}
//
// time (RFC 3339) and ids are required; source and trust are optional;
// unknown fields are ignored. Values stay raw: the graph normalizes them, so
// a bad identifier skips that identifier, not the observation.
func (o *Observation) UnmarshalJSON(b []byte) error {
	var out Observation
	var sawTime, sawIDs bool
	s := jsonscan.New(b)
	err := s.Object(func(key []byte) error {
		switch string(key) {
		case "time":
			v, err := s.String()
			if err != nil {
				return err
			}
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return fmt.Errorf("time %q: want RFC 3339", truncate(v, 40))
			}
			out.Time, sawTime = t, true
		case "source":
			v, err := s.StringOrNull()
			out.Source = v
			return err
		case "company":
			v, err := s.StringOrNull()
			out.Company = v
			return err
		case "site":
			v, err := s.StringOrNull()
			out.Site = v
			return err
		case "trust":
			v, err := s.StringOrNull()
			if err != nil {
				return err
			}
			if v != "" {
				if out.Trust, err = ParseTrust(v); err != nil {
					return fmt.Errorf("trust %q: want verified, asserted or inferred", truncate(v, 40))
				}
			}
		case "ids":
			sawIDs = true
			return s.Array(func() error {
				kind, value, sawKind, sawValue, err := s.KindValue()
				if err != nil {
					return err
				}
				if !sawKind || !sawValue {
					return errors.New("an identifier needs kind and value")
				}
				out.IDs = append(out.IDs, ID{Kind(kind), value})
				return nil
			})
		default:
			return s.Skip()
		}
		return nil
	})
	if err == nil {
		err = s.End()
	}
	if err == nil && !sawTime {
		err = errors.New("no time")
	}
	if err == nil && !sawIDs {
		err = errors.New("no ids")
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadObservation, err)
	}
	*o = out
	return nil
}

// MarshalJSON encodes the format UnmarshalJSON reads.
func (o Observation) MarshalJSON() ([]byte, error) { return o.AppendJSON(nil), nil }

// AppendJSON appends the observation's JSON (one line, no newline) to b.
func (o Observation) AppendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = o.Time.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","source":`...)
	b = jsonscan.AppendString(b, o.Source)
	if o.Company != "" {
		b = append(b, `,"company":`...)
		b = jsonscan.AppendString(b, o.Company)
	}
	if o.Site != "" {
		b = append(b, `,"site":`...)
		b = jsonscan.AppendString(b, o.Site)
	}
	if o.Trust != TrustDefault {
		b = append(b, `,"trust":"`...)
		b = append(b, o.Trust.String()...)
		b = append(b, '"')
	}
	b = append(b, `,"ids":[`...)
	for i, id := range o.IDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"kind":`...)
		b = jsonscan.AppendString(b, string(id.Kind))
		b = append(b, `,"value":`...)
		b = jsonscan.AppendString(b, id.Value)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}
