package printable

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestQuoteAndLine(t *testing.T) {
	for _, c := range []struct {
		in          string
		max         int
		quote, line string
	}{
		{"path,total", 80, `"path,total"`, "path,total"},
		{"a\x1b[31mred\r\n", 80, `"a\x1b[31mred\r\n"`, `a\x1b[31mred\r\n`},
		{"abcdef", 3, `"abc"…(3 more bytes)`, "abc…(3 more bytes)"},
		{"привет", 3, `"п"…(10 more bytes)`, "п…(10 more bytes)"}, // never half a rune
		{"bad \xff byte", 80, `"bad \xff byte"`, `bad \xff byte`},
		{`say "hi"`, 80, `"say \"hi\""`, `say "hi"`},
		{"", 5, `""`, ""},
	} {
		if got := Quote(c.in, c.max); got != c.quote {
			t.Errorf("Quote(%q, %d) = %s, want %s", c.in, c.max, got, c.quote)
		}
		if got := Line(c.in, c.max); got != c.line {
			t.Errorf("Line(%q, %d) = %s, want %s", c.in, c.max, got, c.line)
		}
	}
	long := strings.Repeat("x", 10<<20)
	if got := Quote(long, 80); len(got) > 120 {
		t.Errorf("a 10 MB input quotes to %d bytes", len(got))
	}
}

func FuzzLine(f *testing.F) {
	f.Add("a\x1b[31m\xffпривет\n", 7)
	f.Fuzz(func(t *testing.T, s string, max int) {
		max %= 1000
		for _, out := range []string{Line(s, max), Quote(s, max)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q", s)
			}
			for _, r := range out {
				if r < 0x20 || r == 0x7f {
					t.Fatalf("control byte %q out of %q", r, s)
				}
			}
		}
	})
}
