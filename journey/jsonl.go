package journey

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
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
// only for an I/O error.
func (s *Store) ReadJSONL(ctx context.Context, r io.Reader) (ReadReport, error) {
	var rep ReadReport
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		if line%4096 == 0 && ctx.Err() != nil {
			return rep, fmt.Errorf("journey: read: %w", ctx.Err()) // the lines before it are added
		}
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) { // a line over 1 MiB: gather it whole
			long := append([]byte(nil), b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = br.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if err != nil && err != io.EOF {
			return rep, err
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			rep.Lines++
			var e Event
			if derr := e.UnmarshalJSON(b); derr != nil {
				rep.Bad = append(rep.Bad, &LineError{Line: line, Err: derr})
			} else if _, added, aerr := s.Add(e); aerr != nil {
				rep.Bad = append(rep.Bad, &LineError{Line: line, Err: aerr})
			} else if added {
				rep.Added++
			} else {
				rep.Duplicates++
			}
		}
		if err == io.EOF {
			return rep, nil
		}
	}
}
