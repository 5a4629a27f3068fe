package identity

// A Normalizer turns a raw identifier as it arrived (typed into a form, read
// from a cookie, exported from a CRM) into its canonical key, or says why it
// cannot. It must be pure and idempotent: normalizing a canonical value returns
// it unchanged. Normalizers are called concurrently.
//
// Errors should be *ParseError values wrapping [ErrEmpty], [ErrMalformed] or
// [ErrRefused]; the graph fills in the kind.
type Normalizer interface {
	Normalize(raw string) (string, error)
}

// NormalizerFunc adapts a plain function to a [Normalizer].
type NormalizerFunc func(raw string) (string, error)

// Normalize calls f(raw).
func (f NormalizerFunc) Normalize(raw string) (string, error) { return f(raw) }

// A JunkDetector is implemented by normalizers that recognise canonical values
// which are well formed yet name no person, such as a toll-free business line.
// The merge rules treat such values as junk: they never join profiles.
type JunkDetector interface {
	Junk(canonical string) (reason string, junk bool)
}

// NormalizeCRM normalizes a CRM or login customer number: surrounding
// whitespace is trimmed and the value is otherwise kept as the CRM wrote it
// (CRM numbers are case-sensitive in many systems). Control characters and
// inner line breaks are refused.
func NormalizeCRM(raw string) (string, error) {
	s := trimSpace(raw)
	if s == "" {
		return "", parseErr(CRM, raw, ErrEmpty, "empty")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return "", parseErr(CRM, raw, ErrMalformed, "control or invalid character")
		}
	}
	return s, nil
}

// trimSpace trims ASCII and Unicode white space, with an ASCII fast path.
func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && asciiSpace(s[i]) {
		i++
	}
	for j > i && asciiSpace(s[j-1]) {
		j--
	}
	s = s[i:j]
	if s != "" && (s[0] >= 0x80 || s[len(s)-1] >= 0x80) {
		return trimUnicodeSpace(s)
	}
	return s
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
