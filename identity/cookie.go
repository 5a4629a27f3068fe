package identity

import (
	"strings"
	"unicode/utf8"
)

// NormalizeCookie normalizes a browser cookie or analytics client ID.
//
// A Google Analytics _ga value "GA1.2.512900830.1700083068" and the bare
// client ID "512900830.1700083068" it carries give one key, the client ID,
// because call tracking and offline conversions report the bare form while
// the browser stores the prefixed one (a "_ga=" cookie-header prefix is
// dropped too). Yandex Metrica uids are digit strings and stay as they are.
// Any other cookie is trimmed and kept as written: cookie values are
// case-sensitive. White space or control characters inside a value are refused.
func NormalizeCookie(raw string) (string, error) {
	s := trimSpace(raw)
	if s == "" {
		return "", parseErr(Cookie, raw, ErrEmpty, "empty")
	}
	if len(s) > 1024 {
		return "", parseErr(Cookie, raw, ErrMalformed, "longer than 1024 bytes")
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return "", parseErr(Cookie, raw, ErrMalformed, "white space or control character")
		}
	}
	if !utf8.ValidString(s) {
		return "", parseErr(Cookie, raw, ErrMalformed, "invalid UTF-8")
	}
	if strings.HasPrefix(s, "_ga=") {
		s = s[len("_ga="):]
		if s == "" {
			return "", parseErr(Cookie, raw, ErrEmpty, "empty _ga cookie")
		}
	}
	if id, ok := gaClientID(s); ok {
		return id, nil
	}
	return s, nil
}

// gaClientID extracts <random>.<timestamp> from GA<n>.<depth>.<random>.<timestamp>.
func gaClientID(s string) (string, bool) {
	if len(s) < 9 || (s[0] != 'G' && s[0] != 'g') || (s[1] != 'A' && s[1] != 'a') {
		return "", false
	}
	// Four dot-separated digit runs after "GA"; the client ID is the last two.
	dots, third := 0, 0
	for i := 2; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if s[i-1] == '.' || i == 2 {
				return "", false
			}
			dots++
			if dots == 2 {
				third = i + 1
			}
		case c < '0' || c > '9':
			return "", false
		}
	}
	if dots != 3 || s[len(s)-1] == '.' {
		return "", false
	}
	return s[third:], true
}
