package attribution

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/throughline/throughline/internal/lines"
	"github.com/throughline/throughline/internal/printable"
)

// ErrBadInput is wrapped by every error reading paths.
var ErrBadInput = errors.New("attribution: bad input")

// A LineError is a rejected row of input, with its line number: the same
// type as identity.LineError and journey.LineError. Its Err wraps
// ErrBadInput.
type LineError = lines.Error

// badRow is the LineError of a row rejected for err.
func badRow(line int, err error) *LineError {
	return &LineError{Line: line, Err: fmt.Errorf("%w: %w", ErrBadInput, err)}
}

// ReadCSV reads aggregated paths in ChannelAttribution's format: a header
// row naming the columns path and total_conversions, and optionally
// total_conversion_value and total_null, in any order; the separator, ';' or
// ',', is taken from the header. Channels in a path are joined by '>', with
// surrounding spaces trimmed and empty names dropped ("a >> b" is a, b), as
// ChannelAttribution does. Fields may be quoted.
//
// Bad rows (an empty path, a number that does not parse, a negative count, a
// wrong number of fields) are skipped and returned as *LineError values with
// their line numbers; err is only for input that cannot be read at all (no
// header, no path column, an I/O error).
func ReadCSV(ctx context.Context, r io.Reader) (d *Dataset, bad []*LineError, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	// The header fits the reader's buffer: a longer first line is no
	// header, and is neither read whole nor copied into the error.
	hb, err := br.ReadSlice('\n')
	switch {
	case err == bufio.ErrBufferFull:
		return nil, nil, fmt.Errorf("%w: line 1: a header over 1 MiB (starts %s)", ErrBadInput, printable.Quote(string(hb), 80))
	case err == io.EOF && len(hb) == 0:
		return nil, nil, fmt.Errorf("%w: empty input", ErrBadInput)
	case err != nil && err != io.EOF:
		return nil, nil, err
	}
	header := strings.TrimRight(strings.TrimPrefix(string(hb), "\ufeff"), "\r\n")
	sep := byte(',')
	if strings.Count(header, ";") > strings.Count(header, ",") {
		sep = ';'
	}
	cols := strings.Split(header, string(sep))
	ix := [4]int{-1, -1, -1, -1} // path, conversions, value, nulls
	for i, c := range cols {
		c = strings.TrimSpace(strings.Trim(strings.TrimSpace(c), `"`))
		j := slices.Index([]string{"path", "total_conversions", "total_conversion_value", "total_null"}, c)
		if j < 0 {
			continue
		}
		if ix[j] >= 0 {
			return nil, nil, fmt.Errorf("%w: line 1: column %s twice", ErrBadInput, printable.Quote(c, 80))
		}
		ix[j] = i
	}
	if ix[0] < 0 || ix[1] < 0 {
		return nil, nil, fmt.Errorf("%w: line 1: the header needs path and total_conversions columns (got %s)", ErrBadInput, printable.Quote(header, 80))
	}
	d = newDataset()
	d.reserve(inputSize(r))
	fields := make([][]byte, 0, len(cols))
	for line := 2; ; line++ {
		if line%65536 == 0 && ctx.Err() != nil {
			return nil, bad, fmt.Errorf("attribution: read: %w", ctx.Err())
		}
		b, rerr := br.ReadSlice('\n')
		if rerr == bufio.ErrBufferFull { // a line over 1 MiB: gather it whole
			long := append([]byte(nil), b...)
			for rerr == bufio.ErrBufferFull {
				b, rerr = br.ReadSlice('\n')
				long = append(long, b...)
			}
			b = long
		}
		if rerr != nil && rerr != io.EOF {
			return d, bad, rerr
		}
		b = bytes.TrimRight(b, "\r\n")
		if len(bytes.TrimSpace(b)) > 0 {
			var perr error
			if bytes.IndexByte(b, '"') >= 0 {
				cr := csv.NewReader(bytes.NewReader(b))
				cr.Comma = rune(sep)
				cr.FieldsPerRecord = -1
				var rec []string
				if rec, perr = cr.Read(); perr == nil {
					fields = fields[:0]
					for _, f := range rec {
						fields = append(fields, []byte(f))
					}
				}
			} else {
				fields = fields[:0]
				for rest := b; ; {
					i := bytes.IndexByte(rest, sep)
					if i < 0 {
						fields = append(fields, rest)
						break
					}
					fields = append(fields, rest[:i])
					rest = rest[i+1:]
				}
			}
			if perr == nil {
				perr = d.addRow(fields, ix, len(cols))
			}
			if perr != nil {
				bad = append(bad, badRow(line, perr))
			}
		}
		if rerr == io.EOF {
			return d, bad, nil
		}
	}
}

// addRow appends one CSV row's path, or leaves the dataset as it was.
func (d *Dataset) addRow(f [][]byte, ix [4]int, ncols int) error {
	if len(f) != ncols {
		return fmt.Errorf("%d fields, the header has %d", len(f), ncols)
	}
	var nums [3]float64
	for j := 1; j <= 3; j++ {
		i := ix[j]
		if i < 0 {
			continue
		}
		v, ok := parseCount(bytes.TrimSpace(f[i]))
		if !ok {
			return fmt.Errorf("%s %s: want a number that is not negative", [4]string{"", "total_conversions", "total_conversion_value", "total_null"}[j], printable.Quote(string(f[i]), 40))
		}
		nums[j-1] = v
	}
	mark := len(d.touch)
	p := f[ix[0]]
	for len(p) > 0 {
		end := bytes.IndexByte(p, '>')
		if end < 0 {
			end = len(p)
		}
		name := p[:end]
		for len(name) > 0 && name[0] == ' ' {
			name = name[1:]
		}
		for len(name) > 0 && name[len(name)-1] == ' ' {
			name = name[:len(name)-1]
		}
		if len(name) > 0 {
			d.touch = append(d.touch, d.channelBytes(name))
		}
		if end == len(p) {
			break
		}
		p = p[end+1:]
	}
	if len(d.touch) == mark {
		return errors.New("empty path")
	}
	d.endPath(nums[0], nums[1], nums[2], time.Time{})
	return nil
}

// inputSize guesses the bytes r holds, to size the dataset once instead of
// growing it step by step (0 when unknown).
func inputSize(r io.Reader) int64 {
	switch v := r.(type) {
	case interface{ Len() int }:
		return int64(v.Len())
	case interface{ Stat() (os.FileInfo, error) }:
		if st, err := v.Stat(); err == nil {
			return st.Size()
		}
	}
	return 0
}

// parseCount parses a non-negative number, with a fast path for the plain
// integers that fill aggregated files.
func parseCount(s []byte) (float64, bool) {
	if n := len(s); n > 0 && n <= 15 {
		v := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				goto slow
			}
			v = v*10 + int(c-'0')
		}
		return float64(v), true
	}
slow:
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(s), len(s)), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

// jsonPath is one line of the journeys JSONL format.
type jsonPath struct {
	Touches []struct {
		Channel string            `json:"channel"`
		Time    *time.Time        `json:"time"`
		Attrs   map[string]string `json:"attrs"`
	} `json:"touches"`
	Conversions *float64   `json:"conversions"`
	Value       float64    `json:"value"`
	Nulls       float64    `json:"nulls"`
	ConvertedAt *time.Time `json:"converted_at"`
}

// ReadJSONL reads paths as JSON lines, the form package journey writes:
//
//	{"touches":[{"channel":"search","time":"2026-05-01T10:00:00Z"},…],
//	 "conversions":1,"value":150000,"nulls":0,"converted_at":"2026-05-20T12:00:00Z"}
//
// conversions and at least one touch with a channel are required; times
// are RFC 3339. Bad lines are skipped and returned as *LineError values.
func ReadJSONL(ctx context.Context, r io.Reader) (d *Dataset, bad []*LineError, err error) {
	d = newDataset()
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		if line%65536 == 0 && ctx.Err() != nil {
			return nil, bad, fmt.Errorf("attribution: read: %w", ctx.Err())
		}
		b, rerr := br.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return d, bad, rerr
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			var jp jsonPath
			dec := json.NewDecoder(bytes.NewReader(b))
			if err := dec.Decode(&jp); err != nil {
				bad = append(bad, badRow(line, err))
			} else if p, err := jp.path(); err != nil {
				bad = append(bad, badRow(line, err))
			} else {
				d.add(p)
			}
		}
		if rerr == io.EOF {
			return d, bad, nil
		}
	}
}

func (jp jsonPath) path() (Path, error) {
	var p Path
	if jp.Conversions == nil {
		return p, errors.New("no conversions")
	}
	p.Conversions, p.Value, p.Nulls = *jp.Conversions, jp.Value, jp.Nulls
	if jp.ConvertedAt != nil {
		p.ConvertedAt = *jp.ConvertedAt
	}
	for _, t := range jp.Touches {
		if t.Channel == "" {
			return p, errors.New("a touch without a channel")
		}
		tc := Touch{Channel: t.Channel, Attrs: t.Attrs}
		if t.Time != nil {
			tc.Time = *t.Time
		}
		p.Touches = append(p.Touches, tc)
	}
	if len(p.Touches) == 0 {
		return p, errors.New("no touches")
	}
	if err := validCounts(0, p.Conversions, p.Value, p.Nulls); err != nil {
		return p, err
	}
	return p, nil
}
