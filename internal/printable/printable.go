// Package printable makes untrusted input safe to show in an error message
// or on a terminal: one line, no control bytes, bounded length. A 10 MB
// header line or a line of raw escape sequences must not end up verbatim
// in a log.
package printable

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Quote returns s quoted as %q quotes it (control bytes and invalid UTF-8
// escaped), keeping at most max bytes of s and saying how many it left out.
func Quote(s string, max int) string {
	cut, rest := head(s, max)
	q := strconv.Quote(cut)
	if rest > 0 {
		q += "…(" + strconv.Itoa(rest) + " more bytes)"
	}
	return q
}

// Line returns msg with control bytes and invalid UTF-8 escaped (as in
// Quote, without the quotes) and cut to at most max bytes of msg.
func Line(msg string, max int) string {
	cut, rest := head(msg, max)
	clean := true
	for i := 0; i < len(cut); {
		r, n := utf8.DecodeRuneInString(cut[i:])
		if r == utf8.RuneError && n <= 1 || r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			clean = false
			break
		}
		i += n
	}
	if !clean {
		q := strconv.Quote(cut)
		cut = strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
	}
	if rest > 0 {
		cut += "…(" + strconv.Itoa(rest) + " more bytes)"
	}
	return cut
}

// head cuts s to at most max bytes on a rune boundary and returns the
// number of bytes cut off.
func head(s string, max int) (string, int) {
	if max < 0 {
		max = 0
	}
	if len(s) <= max {
		return s, 0
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], len(s) - i
}
