package journey

import (
	"context"
	"io"

	"github.com/throughline/throughline/internal/lines"
)

// A LineError is a rejected line of input, with its number: the same type
// as identity.LineError and attribution.LineError.
type LineError = lines.Error

// A ReadReport counts what ReadJSONL did.
type ReadReport struct {
	Lines, Added, Duplicates int
	// Bad holds every line skipped, with its number: lines that do not
	// decode (wrapping ErrBadEvent) and events whose identifiers resolve to
	// no profile (wrapping ErrNoProfile).
	Bad []*LineError
}

// ReadJSONL adds the events of a JSONL stream (one event a line, the
// format of Event.UnmarshalJSON) to the store. Bad lines are skipped and
// reported with their numbers, never fatal; blank lines are ignored; err is
// only for an I/O error or ctx done. It is Load without a progress report.
func (s *Store) ReadJSONL(ctx context.Context, r io.Reader) (ReadReport, error) {
	return s.Load(ctx, r, nil)
}
