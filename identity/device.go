package identity

import "strings"

// NormalizeDevice normalizes an app or advertising device ID.
//
// Advertising IDs (Apple's IDFA, Google's GAID) and other UUIDs are written in
// lower case with hyphens ("{6F9619FF-8B86-D011-B42D-00CF4FC964FF}" and
// "6f9619ff8b86d011b42d00cf4fc964ff" give one key). The all-zero UUID, which
// a phone sends when the user limits ad tracking, is refused with [ErrRefused]:
// every such phone sends the same value. Other device IDs (Android IDs, vendor
// IDs) are case-folded ASCII without white space.
func NormalizeDevice(raw string) (string, error) {
	s := trimSpace(raw)
	if s == "" {
		return "", parseErr(Device, raw, ErrEmpty, "empty")
	}
	if len(s) > 256 {
		return "", parseErr(Device, raw, ErrMalformed, "longer than 256 bytes")
	}
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			b[i] = c + 'a' - 'A'
		case c <= ' ' || c >= 0x7f:
			return "", parseErr(Device, raw, ErrMalformed, "white space, control or non-ASCII character")
		}
	}
	if len(b) == 32 && allHex(b) {
		u := make([]byte, 0, 36)
		u = append(u, b[0:8]...)
		u = append(u, '-')
		u = append(u, b[8:12]...)
		u = append(u, '-')
		u = append(u, b[12:16]...)
		u = append(u, '-')
		u = append(u, b[16:20]...)
		u = append(u, '-')
		u = append(u, b[20:32]...)
		b = u
	}
	s = string(b)
	if isUUID(s) && strings.Trim(s, "0-") == "" {
		return "", parseErr(Device, raw, ErrRefused, "all-zero advertising ID (ad tracking limited)")
	}
	return s, nil
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
