package attribution

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// ErrBadInput is wrapped by every error reading paths.
var ErrBadInput = errors.New("attribution: bad input")

// A RowError is a rejected row of input, with its line number.
type RowError struct {
	Line int
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RowError) Unwrap() []error {
	return []error{ErrBadInput, e.Err}
}

// ReadCSV reads aggregated paths in ChannelAttribution's format: a header
// row naming the columns path and total_conversions, and optionally
// total_conversion_value and total_null, in any order; the separator, ';' or
// ',', is taken from the header. Channels in a path are joined by '>', with
// surrounding spaces trimmed and empty names dropped ("a >> b" is a, b), as
// ChannelAttribution does. Fields may be quoted.
//
// Bad rows (an empty path, a number that does not parse, a negative count, a
// wrong number of fields) are skipped and returned as *RowError values with
// their line numbers; err is only for input that cannot be read at all (no
// header, no path column, an I/O error).
func ReadCSV(r io.Reader) (paths []Path, bad []error, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	header, err := br.ReadString('\n')
	if err != nil && (err != io.EOF || header == "") {
		if err == io.EOF {
			return nil, nil, fmt.Errorf("%w: empty input", ErrBadInput)
		}
		return nil, nil, err
	}
	header = strings.TrimRight(strings.TrimPrefix(header, "\ufeff"), "\r\n")
	sep := byte(',')
	if strings.Count(header, ";") > strings.Count(header, ",") {
		sep = ';'
	}
	cols := splitFields(header, sep)
	ix := map[string]int{"path": -1, "total_conversions": -1, "total_conversion_value": -1, "total_null": -1}
	for i, c := range cols {
		c = strings.TrimSpace(strings.Trim(strings.TrimSpace(c), `"`))
		if _, ok := ix[c]; ok {
			if ix[c] >= 0 {
				return nil, nil, fmt.Errorf("%w: line 1: column %q twice", ErrBadInput, c)
			}
			ix[c] = i
		}
	}
	if ix["path"] < 0 || ix["total_conversions"] < 0 {
		return nil, nil, fmt.Errorf("%w: line 1: the header needs path and total_conversions columns (got %q)", ErrBadInput, header)
	}
	var fields []string
	for line := 2; ; line++ {
		s, rerr := br.ReadString('\n')
		if rerr != nil && rerr != io.EOF {
			return paths, bad, rerr
		}
		s = strings.TrimRight(s, "\r\n")
		if strings.TrimSpace(s) != "" {
			if strings.IndexByte(s, '"') >= 0 {
				cr := csv.NewReader(strings.NewReader(s))
				cr.Comma = rune(sep)
				cr.FieldsPerRecord = -1
				fields, err = cr.Read()
			} else {
				fields, err = splitFields(s, sep), nil
			}
			if err == nil {
				var p Path
				p, err = parseRow(fields, ix, len(cols))
				if err == nil {
					paths = append(paths, p)
				}
			}
			if err != nil {
				bad = append(bad, &RowError{Line: line, Err: err})
			}
		}
		if rerr == io.EOF {
			return paths, bad, nil
		}
	}
}

func splitFields(s string, sep byte) []string { return strings.Split(s, string(sep)) }

func parseRow(f []string, ix map[string]int, ncols int) (Path, error) {
	var p Path
	if len(f) != ncols {
		return p, fmt.Errorf("%d fields, the header has %d", len(f), ncols)
	}
	for _, name := range strings.Split(f[ix["path"]], ">") {
		if name = strings.Trim(name, " "); name != "" {
			p.Touches = append(p.Touches, Touch{Channel: name})
		}
	}
	if len(p.Touches) == 0 {
		return p, errors.New("empty path")
	}
	num := func(col string, dst *float64) error {
		i := ix[col]
		if i < 0 {
			return nil
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(f[i]), 64)
		if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
			return fmt.Errorf("%s %q: want a number that is not negative", col, f[i])
		}
		*dst = v
		return nil
	}
	if err := num("total_conversions", &p.Conversions); err != nil {
		return p, err
	}
	if err := num("total_conversion_value", &p.Value); err != nil {
		return p, err
	}
	if err := num("total_null", &p.Nulls); err != nil {
		return p, err
	}
	return p, nil
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
// are RFC 3339. Bad lines are skipped and returned as *RowError values.
func ReadJSONL(r io.Reader) (paths []Path, bad []error, err error) {
	br := bufio.NewReaderSize(r, 1<<20)
	for line := 1; ; line++ {
		b, rerr := br.ReadBytes('\n')
		if rerr != nil && rerr != io.EOF {
			return paths, bad, rerr
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			var jp jsonPath
			d := json.NewDecoder(bytes.NewReader(b))
			if err := d.Decode(&jp); err != nil {
				bad = append(bad, &RowError{Line: line, Err: err})
			} else if p, err := jp.path(); err != nil {
				bad = append(bad, &RowError{Line: line, Err: err})
			} else {
				paths = append(paths, p)
			}
		}
		if rerr == io.EOF {
			return paths, bad, nil
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
	if err := validate([]Path{p}); err != nil {
		return p, err
	}
	return p, nil
}
