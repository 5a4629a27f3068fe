package jsonscan

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"unicode/utf8"
)

// decode turns JSON into the same shapes encoding/json produces, through the
// scanner, so the two can be compared.
func decode(s *Scanner, depth int) (any, error) {
	if depth > 40 {
		return nil, fmt.Errorf("%w: deep", ErrSyntax)
	}
	switch s.Peek() {
	case '{':
		m := map[string]any{}
		err := s.Object(func(k []byte) error {
			v, err := decode(s, depth+1)
			m[string(k)] = v
			return err
		})
		return m, err
	case '[':
		a := []any{}
		err := s.Array(func() error {
			v, err := decode(s, depth+1)
			a = append(a, v)
			return err
		})
		return a, err
	case '"':
		return s.String()
	case 't', 'f':
		return s.Bool()
	case 'n':
		return nil, s.literal("null")
	}
	return s.Float64()
}

func TestAgainstEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e\"\\\/\b\f\n\r\t\u0041\u0436\ud83d\ude00"}}`,
		` { "time" : "2026-06-01T10:43:01Z" , "ids" : [ ] } `,
		`[1, -2.5e3, 0, 0.5]`, `"x"`, `{}`, `[]`,
		`{"a":"\ud800"}`, `{"a":"\ud800x"}`, `{"a":"\udc00\ud800"}`,
	} {
		var want any
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		s := New([]byte(in))
		got, err := decode(s, 0)
		if err == nil {
			err = s.End()
		}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, %v; want %#v", in, got, err, want)
		}
	}
}

func TestErrors(t *testing.T) {
	for _, in := range []string{
		``, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `"abc`, `"a\x"`, "\"a\x01\"", `01`, `1.`, `1e`, `-`,
		`tru`, `nul`, `{"a":1}x`, `"\u12"`, "\"\xff\"", `{1:2}`,
	} {
		s := New([]byte(in))
		_, err := decode(s, 0)
		if err == nil {
			err = s.End()
		}
		if !errors.Is(err, ErrSyntax) {
			t.Errorf("%q: error %v", in, err)
		}
	}
}

func TestDepthLimit(t *testing.T) {
	deep := make([]byte, 0, 300)
	for range 100 {
		deep = append(deep, '[')
	}
	for range 100 {
		deep = append(deep, ']')
	}
	if err := New(deep).Skip(); !errors.Is(err, ErrSyntax) {
		t.Fatalf("deep nesting: %v", err)
	}
}

func TestInt64(t *testing.T) {
	s := New([]byte(`[123, -9223372036854775808, 1.5, 99999999999999999999]`))
	var got []int64
	var errs int
	_ = s.Array(func() error {
		v, err := s.Int64()
		if err != nil {
			errs++
			return s.Skip()
		}
		got = append(got, v)
		return nil
	})
	if !reflect.DeepEqual(got, []int64{123, -9223372036854775808}) {
		t.Fatalf("got %v (%d errors)", got, errs)
	}
}

// FuzzScanner: the scanner accepts what encoding/json accepts, rejects what it
// rejects, and decodes the same values; it never panics.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`{"a":[1,"b",null,true]}`, `"\ud83d\ude00"`, `[[[]]]`, `{"x":-0.0e+1}`, `"\u00e9"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := New(b)
		got, err := decode(s, 0)
		if err == nil {
			err = s.End()
		}
		var want any
		jerr := json.Unmarshal(b, &want)
		if (err == nil) != (jerr == nil) {
			if err != nil && err.Error() != "" && errors.Is(err, ErrSyntax) == false {
				t.Fatalf("non-syntax error %v", err)
			}
			// Depth limits differ; everything else must agree.
			// Invalid UTF-8 is refused on purpose where encoding/json
			// substitutes U+FFFD: a corrupted identifier must not pass.
			if jerr == nil && err != nil && errors.Is(err, ErrSyntax) && utf8.Valid(b) {
				t.Fatalf("%q: scanner rejects valid JSON: %v", b, err)
			}
			if jerr != nil && err == nil {
				t.Fatalf("%q: scanner accepts invalid JSON (%v)", b, jerr)
			}
		}
		if err == nil && jerr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: got %#v want %#v", b, got, want)
		}
	})
}

func TestKindValue(t *testing.T) {
	for _, tc := range []struct {
		in                string
		kind, value       string
		sawKind, sawValue bool
		wantErr           bool
	}{
		{`{"kind":"email","value":"a@b.ru"}`, "email", "a@b.ru", true, true, false},
		{`{"value":"x","extra":[1,{"a":2}],"kind":""}`, "", "x", true, true, false},
		{`{"kind":"phone"}`, "phone", "", true, false, false},
		{`{}`, "", "", false, false, false},
		{`{"kind":1}`, "", "", true, false, true},
		{`["kind"]`, "", "", false, false, true},
	} {
		k, v, sk, sv, err := New([]byte(tc.in)).KindValue()
		if (err != nil) != tc.wantErr || (err == nil && (k != tc.kind || v != tc.value || sk != tc.sawKind || sv != tc.sawValue)) {
			t.Errorf("KindValue(%s) = %q %q %v %v %v", tc.in, k, v, sk, sv, err)
		}
	}
}
