// Package jsonscan reads JSON without reflection, for the JSONL inputs the
// examples and the journey store take in bulk (millions of lines, where
// encoding/json's reflection costs several times the parse). It reads one
// value at a time from a byte slice; callers walk objects and arrays with
// callbacks. It accepts RFC 8259 JSON and refuses strings that are not valid
// UTF-8 (encoding/json would substitute U+FFFD; a corrupted identifier must
// not pass as another one). Errors carry the byte offset.
package jsonscan

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrSyntax is wrapped by every error the scanner returns.
var ErrSyntax = errors.New("json syntax error")

// maxDepth bounds nesting in Skip, so hostile input cannot exhaust the stack.
const maxDepth = 64

// A Scanner reads JSON values from a byte slice.
type Scanner struct {
	b []byte
	i int
}

// New returns a scanner over b.
func New(b []byte) *Scanner { return &Scanner{b: b} }

// Reset points the scanner at b.
func (s *Scanner) Reset(b []byte) { s.b, s.i = b, 0 }

func (s *Scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("%w at byte %d: %s", ErrSyntax, s.i, fmt.Sprintf(format, args...))
}

func (s *Scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Peek returns the first byte of the next value, or 0 at the end.
func (s *Scanner) Peek() byte {
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// End checks that only white space remains.
func (s *Scanner) End() error {
	s.ws()
	if s.i != len(s.b) {
		return s.errorf("trailing data")
	}
	return nil
}

// Object reads an object, calling fn for each key; fn must read the value.
func (s *Scanner) Object(fn func(key []byte) error) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '{' {
		return s.errorf("want object")
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	var kbuf [32]byte
	for {
		s.ws()
		key, err := s.appendString(kbuf[:0])
		if err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.errorf("want ':'")
		}
		s.i++
		if err := fn(key); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.errorf("unterminated object")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.errorf("want ',' or '}'")
		}
	}
}

// Array reads an array, calling fn for each element; fn must read it.
func (s *Scanner) Array(fn func() error) error {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '[' {
		return s.errorf("want array")
	}
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := fn(); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.errorf("unterminated array")
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.errorf("want ',' or ']'")
		}
	}
}

// String reads a string value.
func (s *Scanner) String() (string, error) {
	s.ws()
	// Fast path: no escapes, the bytes are the value.
	if s.i < len(s.b) && s.b[s.i] == '"' {
		for j := s.i + 1; j < len(s.b); j++ {
			c := s.b[j]
			if c == '"' {
				v := s.b[s.i+1 : j]
				if !utf8.Valid(v) {
					break
				}
				s.i = j + 1
				return string(v), nil
			}
			if c == '\\' || c < 0x20 {
				break
			}
		}
	}
	b, err := s.appendString(nil)
	return string(b), err
}

// StringOrNull reads a string, or null as "".
func (s *Scanner) StringOrNull() (string, error) {
	if s.Peek() == 'n' {
		return "", s.literal("null")
	}
	return s.String()
}

// KindValue reads the identifier object both the observation and the event
// formats use, {"kind":"…","value":"…"}, skipping other keys, and reports
// which of the two keys it saw; each format applies its own rule to them.
func (s *Scanner) KindValue() (kind, value string, sawKind, sawValue bool, err error) {
	err = s.Object(func(k []byte) error {
		var err error
		switch string(k) {
		case "kind":
			kind, err = s.String()
			sawKind = true
		case "value":
			value, err = s.String()
			sawValue = true
		default:
			err = s.Skip()
		}
		return err
	})
	return kind, value, sawKind, sawValue, err
}

// appendString decodes a string value onto dst.
func (s *Scanner) appendString(dst []byte) ([]byte, error) {
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, s.errorf("want string")
	}
	s.i++
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return dst, nil
		case c < 0x20:
			return nil, s.errorf("control character in string")
		case c == '\\':
			s.i++
			if s.i >= len(s.b) {
				return nil, s.errorf("unterminated escape")
			}
			e := s.b[s.i]
			s.i++
			switch e {
			case '"', '\\', '/':
				dst = append(dst, e)
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r, ok := s.hex4()
				if !ok {
					return nil, s.errorf("bad \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A pair decodes to one rune; anything else is U+FFFD and
					// the next escape is read on its own, as encoding/json does.
					pair := rune(utf8.RuneError)
					if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
						save := s.i
						s.i += 2
						r2, ok2 := s.hex4()
						if !ok2 {
							return nil, s.errorf("bad \\u escape")
						}
						if pair = utf16.DecodeRune(r, r2); pair == utf8.RuneError {
							s.i = save
						}
					}
					r = pair
				}
				dst = utf8.AppendRune(dst, r)
			default:
				return nil, s.errorf("bad escape \\%c", e)
			}
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			s.i++
		default:
			r, size := utf8.DecodeRune(s.b[s.i:])
			if r == utf8.RuneError && size == 1 {
				return nil, s.errorf("invalid UTF-8")
			}
			dst = append(dst, s.b[s.i:s.i+size]...)
			s.i += size
		}
	}
	return nil, s.errorf("unterminated string")
}

func (s *Scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	s.i += 4
	return r, true
}

// number returns the bytes of a JSON number.
func (s *Scanner) number() ([]byte, error) {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		return nil, s.errorf("want number")
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			return nil, s.errorf("want digits after '.'")
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			return nil, s.errorf("want exponent digits")
		}
	}
	return s.b[start:s.i], nil
}

// Int64 reads an integer number.
func (s *Scanner) Int64() (int64, error) {
	b, err := s.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, s.errorf("want a 64-bit integer, got %s", b)
	}
	return v, nil
}

// Float64 reads a number.
func (s *Scanner) Float64() (float64, error) {
	b, err := s.number()
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return 0, s.errorf("number %s out of range", b)
	}
	return v, nil
}

// Bool reads true or false.
func (s *Scanner) Bool() (bool, error) {
	switch s.Peek() {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	}
	return false, s.errorf("want true or false")
}

func (s *Scanner) literal(lit string) error {
	s.ws()
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.errorf("want %s", lit)
	}
	s.i += len(lit)
	return nil
}

// Raw reads any value and returns its bytes.
func (s *Scanner) Raw() ([]byte, error) {
	s.ws()
	start := s.i
	if err := s.skip(0); err != nil {
		return nil, err
	}
	return s.b[start:s.i], nil
}

// Skip reads and discards any value.
func (s *Scanner) Skip() error { return s.skip(0) }

func (s *Scanner) skip(depth int) error {
	if depth > maxDepth {
		return s.errorf("nested deeper than %d", maxDepth)
	}
	switch s.Peek() {
	case '{':
		return s.Object(func([]byte) error { return s.skip(depth + 1) })
	case '[':
		return s.Array(func() error { return s.skip(depth + 1) })
	case '"':
		_, err := s.appendString(nil)
		return err
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	case 0:
		return s.errorf("unexpected end")
	}
	_, err := s.number()
	return err
}

// AppendString appends s as a JSON string. Invalid UTF-8 is written as
// \ufffd escapes per byte so the output always decodes.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			b = append(b, c)
			i++
			continue
		}
		if c < 0x80 {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
