// Package cli holds what the example commands share about bad input: a
// line reader that survives overlong lines, a reporter that caps and
// cleans what it prints, and error messages with the command's name once.
package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/throughline/throughline/internal/printable"
)

// MaxLine is the longest input line the commands read; a longer one is
// reported (with its file and number) and skipped.
const MaxLine = 1 << 20

// MaxShown is how many problems a Reporter prints before it only counts.
const MaxShown = 20

// ErrPartial reports input with malformed lines, which a command refuses
// unless it runs with -partial (what it wrote stands; the exit status says
// not everything was read).
var ErrPartial = errors.New("malformed input lines (run with -partial to accept the rest)")

// Message is err's text for command cmd's stderr: "cmd: " once at the
// front (a library named like the command adds its own inside wrapped
// errors: "attribution: paths.csv: attribution: bad input" reads
// "attribution: paths.csv: bad input"), one line, no control bytes, at
// most 1,000 bytes.
func Message(cmd string, err error) string {
	msg := strings.ReplaceAll(err.Error(), ": "+cmd+": ", ": ")
	for strings.HasPrefix(msg, cmd+": "+cmd+": ") {
		msg = strings.TrimPrefix(msg, cmd+": ")
	}
	if !strings.HasPrefix(msg, cmd+": ") {
		msg = cmd + ": " + msg
	}
	return printable.Line(msg, 1000)
}

// A Reporter prints problems with the input to W, each on one clean line,
// the first MaxShown in full, and counts the rest.
type Reporter struct {
	W   io.Writer
	Cmd string
	n   int
}

// Printf reports one problem.
func (r *Reporter) Printf(format string, args ...any) {
	r.n++
	if r.n <= MaxShown {
		fmt.Fprintln(r.W, r.Cmd+": "+printable.Line(fmt.Sprintf(format, args...), 300))
	}
}

// Done prints how many problems were not shown.
func (r *Reporter) Done() {
	if r.n > MaxShown {
		fmt.Fprintf(r.W, "%s: … and %d more\n", r.Cmd, r.n-MaxShown)
	}
}

// Count is the number of problems reported.
func (r *Reporter) Count() int { return r.n }

// Lines reads lines of at most MaxLine bytes; a longer line is skipped
// whole and Next reports it through Long.
type Lines struct {
	r    *bufio.Reader
	line []byte
	n    int
	long bool
	err  error
}

// NewLines reads lines from r.
func NewLines(r io.Reader) *Lines { return &Lines{r: bufio.NewReaderSize(r, 64<<10)} }

// Next reads the next line; false at the end or on a read error (Err).
func (l *Lines) Next() bool {
	if l.err != nil {
		return false
	}
	l.line, l.long = l.line[:0], false
	for {
		b, err := l.r.ReadSlice('\n')
		if !l.long {
			l.line = append(l.line, b...)
			if len(l.line) > MaxLine {
				l.long, l.line = true, l.line[:0]
			}
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			l.err = err
			return false
		}
		if err == io.EOF && len(l.line) == 0 && !l.long {
			return false
		}
		l.n++
		if !l.long {
			l.line = trimEOL(l.line)
		}
		if err == io.EOF {
			l.err = io.EOF
		}
		return true
	}
}

func trimEOL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// Line is the current line without its end of line; empty when Long.
func (l *Lines) Line() []byte { return l.line }

// Number is the current line's number, from 1.
func (l *Lines) Number() int { return l.n }

// Long reports whether the current line was over MaxLine bytes (skipped).
func (l *Lines) Long() bool { return l.long }

// Err is the read error that ended the lines, nil at a clean end.
func (l *Lines) Err() error {
	if l.err == io.EOF {
		return nil
	}
	return l.err
}
