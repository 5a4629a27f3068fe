package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestMessage(t *testing.T) {
	for _, c := range []struct{ err, want string }{
		{"attribution: attribution: bad input", "attribution: bad input"},
		{"attribution: bad input", "attribution: bad input"},
		{"paths.csv: attribution: bad input: line 1", "attribution: paths.csv: bad input: line 1"},
		{"paths.csv: no usable path", "attribution: paths.csv: no usable path"},
		{"bad \x1b[2J byte", `attribution: bad \x1b[2J byte`},
	} {
		if got := Message("attribution", errors.New(c.err)); got != c.want {
			t.Errorf("Message(%q) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestLines(t *testing.T) {
	in := "a\r\n" + strings.Repeat("x", MaxLine+10) + "\n\nlast"
	l := NewLines(strings.NewReader(in))
	var got []string
	for l.Next() {
		s := string(l.Line())
		if l.Long() {
			s = "LONG"
		}
		got = append(got, s)
	}
	if l.Err() != nil || strings.Join(got, "|") != "a|LONG||last" || l.Number() != 4 {
		t.Fatalf("lines %q, %d, %v", got, l.Number(), l.Err())
	}
}

func TestReporter(t *testing.T) {
	var b bytes.Buffer
	r := &Reporter{W: &b, Cmd: "journeys"}
	for i := 0; i < MaxShown+5; i++ {
		r.Printf("line %d: bad \x00 value", i)
	}
	r.Done()
	out := b.String()
	if r.Count() != MaxShown+5 || strings.Count(out, "\n") != MaxShown+1 || strings.Contains(out, "\x00") || !strings.Contains(out, "… and 5 more") {
		t.Fatalf("reporter printed %q", out)
	}
}

// FuzzLines: the lines read back are the input's, without line ends, and
// a line is Long only when it is over MaxLine bytes.
func FuzzLines(f *testing.F) {
	f.Add("a\r\nb\n\nc")
	f.Add("\n\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		l := NewLines(strings.NewReader(in))
		var got []string
		for l.Next() {
			if l.Long() {
				t.Fatalf("a line of %d bytes at most is Long", len(in))
			}
			got = append(got, string(l.Line()))
		}
		if l.Err() != nil {
			t.Fatal(l.Err())
		}
		var want []string
		for _, s := range strings.SplitAfter(in, "\n") {
			if s != "" {
				want = append(want, strings.TrimRight(s, "\r\n"))
			}
		}
		if strings.Join(got, "\x00") != strings.Join(want, "\x00") {
			t.Fatalf("lines %q, want %q", got, want)
		}
	})
}
