package journey

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
)

// The events CSV format, read by LoadCSV: a header line naming the
// columns, then one event a line. The columns, in any order:
//
//	time        required: RFC 3339
//	type        required: the event type
//	id:KIND     an identifier of that kind (id:crm, id:email, id:cookie…);
//	            at least one such column, empty cells skipped
//	id          the event's UUID; empty: the store makes one
//	company, site
//	channel, source, medium, campaign, content, term, gclid, gbraid,
//	wbraid, yclid, fbclid, referrer, landing   the touch
//	value, currency   an amount with at most two decimals
//	prop:NAME   a property
//
// Rules:
//   - Fields are separated by commas; a field in double quotes may hold
//     commas, doubled quotes and line breaks (a CRLF in it reads as LF),
//     so a record may span lines: up to 256. A quote that does not close
//     within them, or before the end of the file, leaves each of those
//     lines a record of its own (bad, mostly), and reading goes on; so
//     does a record of several lines that does not decode (its quote was
//     a stray one, closed by another line's). A quote opens a field only
//     at its start; inside an unquoted field it makes the line bad and
//     opens nothing. Line numbers in errors are a record's first line.
//   - A column the list does not name, a column named twice, or a header
//     without time, type and an id: column is an error for the whole
//     file; a line with another number of fields than the header is a bad
//     line (ErrBadEvent), as is a cell that does not parse.
//   - Empty cells are absent values.
type csvLayout struct {
	cols []csvCol
}

type csvCol struct {
	field int    // csvTime… below
	name  string // the kind of an id: column, the name of a prop: column
}

const (
	csvTime = iota
	csvType
	csvIdentifier
	csvID
	csvCompany
	csvSite
	csvValue
	csvCurrency
	csvProp
	csvTouch // csvTouch+i is touchFields[i]
)

// ErrCSVHeader reports a CSV header LoadCSV cannot read.
var ErrCSVHeader = errors.New("journey: bad CSV header")

// parseCSVHeader reads the header line.
func parseCSVHeader(line []byte) (csvLayout, error) {
	var l csvLayout
	cells, err := splitCSV(bytes.TrimRight(line, "\r\n"), nil)
	if err != nil {
		return l, fmt.Errorf("%w: %w", ErrCSVHeader, err)
	}
	seen := map[string]bool{}
	var hasTime, hasType, hasID bool
	for _, c := range cells {
		name := strings.TrimSpace(string(c))
		if seen[name] {
			return l, fmt.Errorf("%w: column %q twice", ErrCSVHeader, name)
		}
		seen[name] = true
		col, err := csvColumn(name)
		if err != nil {
			return l, err
		}
		hasTime, hasType, hasID = hasTime || col.field == csvTime, hasType || col.field == csvType, hasID || col.field == csvIdentifier
		l.cols = append(l.cols, col)
	}
	if !hasTime || !hasType || !hasID {
		return l, fmt.Errorf("%w: want time, type and at least one id:KIND column", ErrCSVHeader)
	}
	return l, nil
}

func csvColumn(name string) (csvCol, error) {
	switch name {
	case "time":
		return csvCol{field: csvTime}, nil
	case "type":
		return csvCol{field: csvType}, nil
	case "id":
		return csvCol{field: csvID}, nil
	case "company":
		return csvCol{field: csvCompany}, nil
	case "site":
		return csvCol{field: csvSite}, nil
	case "value":
		return csvCol{field: csvValue}, nil
	case "currency":
		return csvCol{field: csvCurrency}, nil
	}
	if i := touchField([]byte(name)); i >= 0 {
		return csvCol{field: csvTouch + i}, nil
	}
	if k, ok := strings.CutPrefix(name, "id:"); ok && k != "" {
		return csvCol{field: csvIdentifier, name: k}, nil
	}
	if p, ok := strings.CutPrefix(name, "prop:"); ok && p != "" {
		return csvCol{field: csvProp, name: p}, nil
	}
	return csvCol{}, fmt.Errorf("%w: unknown column %q", ErrCSVHeader, name)
}

// A csvDecoder decodes lines of one layout; each parsing worker has its
// own. Cells of the columns with few values (types, channels, companies)
// are kept as one string each rather than allocated per line.
type csvDecoder struct {
	l      csvLayout
	cells  [][]byte
	common map[string]string
}

func newCSVDecoder(l csvLayout) *csvDecoder {
	return &csvDecoder{l: l, common: map[string]string{}}
}

// str returns b as a string, shared when it was seen before (for columns
// with few distinct values; at most 4,096 are kept).
func (d *csvDecoder) str(b []byte) string {
	if s, ok := d.common[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.common) < 4096 {
		d.common[s] = s
	}
	return s
}

// decode reads one line into e.
func (d *csvDecoder) decode(line []byte, e *Event) error {
	var err error
	if d.cells, err = splitCSV(line, d.cells[:0]); err == nil && len(d.cells) != len(d.l.cols) {
		err = fmt.Errorf("%d fields, the header has %d", len(d.cells), len(d.l.cols))
	}
	var amount, currency string
	for i := 0; err == nil && i < len(d.cells); i++ {
		c := d.cells[i]
		if len(c) == 0 {
			continue
		}
		switch col := d.l.cols[i]; col.field {
		case csvTime:
			if e.Time, err = time.Parse(time.RFC3339Nano, string(c)); err != nil {
				err = fmt.Errorf("time %q: want RFC 3339", c)
			}
		case csvType:
			e.Type = EventType(d.str(c))
		case csvIdentifier:
			e.IDs = append(e.IDs, identity.ID{Kind: identity.Kind(col.name), Value: string(c)})
		case csvID:
			if e.ID, err = uuid.ParseBytes(c); err != nil {
				err = fmt.Errorf("id %q: not a UUID", c)
			}
		case csvCompany:
			e.Company = d.str(c)
		case csvSite:
			e.Site = d.str(c)
		case csvValue:
			amount = string(c)
		case csvCurrency:
			currency = d.str(c)
		case csvProp:
			if e.Props == nil {
				e.Props = map[string]string{}
			}
			e.Props[col.name] = string(c)
		default:
			*e.Touch.field(col.field - csvTouch) = d.str(c)
		}
	}
	return completed(e, err, amount, currency)
}

// splitCSV cuts a line into its fields, appended to dst. Unquoted fields
// are slices of line; a quoted one is unquoted in place (a doubled quote
// becomes one, which only shortens it).
func splitCSV(line []byte, dst [][]byte) ([][]byte, error) {
	if bytes.IndexByte(line, '"') < 0 { // the common case
		for {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				return append(dst, line), nil
			}
			dst, line = append(dst, line[:i]), line[i+1:]
		}
	}
	for {
		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, ',')
			if i < 0 {
				if bytes.IndexByte(line, '"') >= 0 {
					return dst, errors.New(`a quote inside an unquoted field`)
				}
				return append(dst, line), nil
			}
			if bytes.IndexByte(line[:i], '"') >= 0 {
				return dst, errors.New(`a quote inside an unquoted field`)
			}
			dst, line = append(dst, line[:i]), line[i+1:]
			continue
		}
		field, rest, err := unquote(line)
		if err != nil {
			return dst, err
		}
		dst = append(dst, field)
		if len(rest) == 0 {
			return dst, nil
		}
		if rest[0] != ',' {
			return dst, errors.New("text after a closing quote")
		}
		line = rest[1:]
		if len(line) == 0 {
			return append(dst, line), nil // a trailing empty field
		}
	}
}

// unquote reads the quoted field at the start of line and returns it and
// what follows its closing quote.
func unquote(line []byte) (field, rest []byte, err error) {
	out := line[1:1]
	for i := 1; i < len(line); i++ {
		if line[i] != '"' {
			if line[i] != '\r' || i+1 == len(line) || line[i+1] != '\n' { // a CRLF in a field is an LF
				out = append(out, line[i])
			}
			continue
		}
		if i+1 < len(line) && line[i+1] == '"' {
			out = append(out, '"')
			i++
			continue
		}
		return out, line[i+1:], nil
	}
	return nil, nil, errors.New("a quoted field without its closing quote")
}

// csvQuoteOpen reports whether a CSV record is inside a quoted field at
// the end of line, given whether it was at its start (a quoteState): a
// quote opens a field only at the field's start, and a doubled one inside
// stands for a quote.
func csvQuoteOpen(line []byte, inside bool) bool {
	if !inside && bytes.IndexByte(line, '"') < 0 {
		return false // the common case
	}
	for i, fieldStart := 0, true; i < len(line); {
		switch {
		case inside:
			j := bytes.IndexByte(line[i:], '"')
			if j < 0 {
				return true
			}
			if i += j + 1; i < len(line) && line[i] == '"' {
				i++ // a doubled quote
				continue
			}
			inside, fieldStart = false, false
		case fieldStart && line[i] == '"':
			inside, i = true, i+1
		default:
			j := bytes.IndexByte(line[i:], ',')
			if j < 0 {
				return false
			}
			i, fieldStart = i+j+1, true
		}
	}
	return inside
}
