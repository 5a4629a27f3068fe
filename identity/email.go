package identity

import (
	"strings"
	"unicode"
	"unsafe"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// NormalizeEmail returns the canonical key of an email address.
//
// The rules, in order:
//   - a "mailto:" prefix, all white space (also inside the value, as people
//     paste addresses with spaces) and invisible format characters are removed;
//   - the value is put in Unicode NFKC and lower case, so full-width and
//     upper-case spellings agree;
//   - the shape is checked: one "@", a local part of at most 64 bytes without
//     empty dot-separated atoms, a domain of at least two labels with a
//     non-numeric top level; quoted local parts and IP-literal domains are
//     refused, since no consumer address in dealer data has them;
//   - internationalised domain labels are written in punycode ("xn--"), the
//     form ad platforms and DNS use, so "почта.рф" and "xn--80a1acny.xn--p1ai"
//     give one key;
//   - gmail.com and googlemail.com: dots and a "+tag" in the local part are
//     dropped and the domain becomes gmail.com (Gmail ignores both);
//   - Yandex (yandex.ru, ya.ru, yandex.com, .by, .kz, .ua) is one mailbox
//     behind six domains: the domain becomes yandex.ru, dots in the login
//     become hyphens (Yandex treats them as one character) and a "+tag" is
//     dropped;
//   - every other domain keeps dots and tags: a custom domain may route
//     "a.b" and "ab" to different people, and merging two people is worse than
//     missing a match.
func NormalizeEmail(raw string) (string, error) {
	if len(raw) <= 256 {
		if v, ok := fastASCIIEmail(raw); ok {
			return v, nil
		}
	}
	return normalizeEmailGeneral(raw)
}

// normalizeEmailGeneral is the full path, for any input.
func normalizeEmailGeneral(raw string) (string, error) {
	s, reason := emailCanonicalText(raw)
	if reason != "" {
		return "", parseErr(Email, raw, ErrMalformed, reason)
	}
	if s == "" {
		return "", parseErr(Email, raw, ErrEmpty, "empty")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", parseErr(Email, raw, ErrMalformed, "no @")
	}
	local, domain := s[:at], s[at+1:]
	if strings.IndexByte(local, '@') >= 0 {
		return "", parseErr(Email, raw, ErrMalformed, "more than one @")
	}
	if reason := checkLocal(local); reason != "" {
		return "", parseErr(Email, raw, ErrMalformed, reason)
	}
	origLocal, origDomain := local, domain
	domain, reason = canonicalDomain(domain)
	if reason != "" {
		return "", parseErr(Email, raw, ErrMalformed, reason)
	}
	switch domain {
	case "gmail.com", "googlemail.com":
		local = cutTag(local)
		if strings.IndexByte(local, '.') >= 0 {
			local = strings.ReplaceAll(local, ".", "")
		}
		domain = "gmail.com"
	case "yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua":
		local = cutTag(local)
		if strings.IndexByte(local, '.') >= 0 {
			local = strings.ReplaceAll(local, ".", "-")
		}
		domain = "yandex.ru"
	}
	if local == "" {
		return "", parseErr(Email, raw, ErrMalformed, "empty local part")
	}
	if local == origLocal && domain == origDomain {
		return s, nil
	}
	return local + "@" + domain, nil
}

// asciiCanonical reports whether an ASCII value needs no rewriting before
// the shape checks: no white space, control characters or upper case, and no
// mailto: prefix. Most stored addresses are like that, and skip a copy.
func asciiCanonical(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f || c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return !strings.HasPrefix(s, "mailto:")
}

// fastASCIIEmail normalizes the common case in one pass over a stack buffer
// and at most one allocation: an ASCII address without punycode labels. It
// reports false for anything else, which the general path then handles (and
// rejects when malformed), so both paths agree by construction.
func fastASCIIEmail(raw string) (string, bool) {
	var buf [256]byte
	b := buf[:0]
	changed := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case asciiSpace(c):
			changed = true
			continue
		case c < 0x20 || c >= 0x7f:
			return "", false
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
			changed = true
		}
		b = append(b, c)
	}
	if len(b) >= 7 && string(b[:7]) == "mailto:" {
		b = b[7:]
		changed = true
	}
	at := -1
	for i, c := range b {
		if c == '@' {
			if at >= 0 {
				return "", false
			}
			at = i
		}
	}
	if at <= 0 {
		return "", false
	}
	local, domain := unsafe.String(&b[0], at), ""
	if at+1 < len(b) {
		domain = unsafe.String(&b[at+1], len(b)-at-1)
	}
	if checkLocal(local) != "" || strings.HasSuffix(domain, ".") {
		return "", false
	}
	if ok, _ := plainDomain(domain); !ok {
		return "", false
	}
	var out []byte
	var obuf [256 + 16]byte
	switch domain {
	case "gmail.com", "googlemail.com":
		out = rewriteLocal(obuf[:0], local, 0, "gmail.com")
	case "yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua":
		out = rewriteLocal(obuf[:0], local, '-', "yandex.ru")
	default:
		if !changed {
			return raw, true
		}
		return string(b), true
	}
	if out == nil {
		return "", false
	}
	if string(out) == raw {
		return raw, true
	}
	return string(out), true
}

// rewriteLocal writes local without its +tag, with dots dropped (dot 0) or
// replaced, and "@domain". It returns nil when nothing of the local part is
// left.
func rewriteLocal(dst []byte, local string, dot byte, domain string) []byte {
	local = cutTag(local)
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '.' {
			if dot == 0 {
				continue
			}
			c = dot
		}
		dst = append(dst, c)
	}
	if len(dst) == 0 {
		return nil
	}
	dst = append(dst, '@')
	return append(dst, domain...)
}

func cutTag(local string) string {
	if i := strings.IndexByte(local, '+'); i >= 0 {
		return local[:i]
	}
	return local
}

// emailCanonicalText removes white space and applies NFKC and lower case. It
// returns a reason when a character can never appear in an address.
func emailCanonicalText(raw string) (string, string) {
	if isASCII(raw) {
		if asciiCanonical(raw) {
			return raw, ""
		}
		b := make([]byte, 0, len(raw))
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			switch {
			case asciiSpace(c):
				continue
			case c < 0x20 || c == 0x7f:
				return "", "control character"
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			}
			b = append(b, c)
		}
		return strings.TrimPrefix(string(b), "mailto:"), ""
	}
	var b strings.Builder
	for _, r := range raw {
		switch {
		case unicode.IsSpace(r), r == '\u200b', r == '\u200c', r == '\u200d', r == '\ufeff', r == '\u00ad', r == '\u2060':
			continue
		case r == utf8RuneError, unicode.IsControl(r):
			return "", "control or invalid character"
		}
		b.WriteRune(r)
	}
	s := norm.NFKC.String(b.String())
	s = cases.Lower(language.Und).String(s)
	s = norm.NFKC.String(s)
	s = strings.NewReplacer("\u3002", ".", "\uff0e", ".", "\uff61", ".").Replace(s)
	return strings.TrimPrefix(s, "mailto:"), ""
}

const utf8RuneError = '\uFFFD'

func checkLocal(local string) string {
	if local == "" {
		return "empty local part"
	}
	if len(local) > 64 {
		return "local part longer than 64 bytes"
	}
	if local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return "empty atom in local part"
	}
	for _, r := range local {
		if r < 0x80 {
			if !atext(byte(r)) && r != '.' {
				return "character " + quoteRune(r) + " in local part"
			}
			continue
		}
		if !(unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsDigit(r)) {
			return "character " + quoteRune(r) + " in local part"
		}
	}
	return ""
}

// atextTable marks the RFC 5322 atom characters.
var atextTable = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "!#$%&'*+-/=?^_`{|}~" {
		t[c] = true
	}
	return t
}()

// atext reports the RFC 5322 atom characters.
func atext(c byte) bool { return atextTable[c] }

func quoteRune(r rune) string { return "'" + string(r) + "'" }

// canonicalDomain validates a lower-cased domain and writes every label in
// its ASCII (punycode) form.
func canonicalDomain(d string) (string, string) {
	d = strings.TrimSuffix(d, ".")
	if d == "" {
		return "", "empty domain"
	}
	if ok, reason := plainDomain(d); ok || reason != "" {
		return d, reason
	}
	if len(d) > 253*4 {
		return "", "domain too long"
	}
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return "", "domain has no dot"
	}
	for i, l := range labels {
		a, reason := canonicalLabel(l)
		if reason != "" {
			return "", reason
		}
		labels[i] = a
	}
	tld := labels[len(labels)-1]
	if strings.Trim(tld, "0123456789") == "" {
		return "", "numeric top-level domain"
	}
	out := strings.Join(labels, ".")
	if len(out) > 253 {
		return "", "domain longer than 253 bytes"
	}
	return out, ""
}

// plainDomain checks an ASCII domain without punycode labels in one pass.
// It reports ok for a valid one, a reason for an invalid one, and neither
// when the domain needs the label-by-label path.
func plainDomain(d string) (ok bool, reason string) {
	if len(d) > 253 || strings.Contains(d, acePrefix) {
		return false, ""
	}
	labels, labelStart, digitsOnly := 1, 0, true
	for i := 0; i <= len(d); i++ {
		if i == len(d) || d[i] == '.' {
			l := d[labelStart:i]
			switch {
			case l == "":
				return false, "empty domain label"
			case len(l) > 63:
				return false, "domain label longer than 63 bytes"
			case l[0] == '-' || l[len(l)-1] == '-':
				return false, "domain label starts or ends with a hyphen"
			}
			if i < len(d) {
				labels++
				labelStart, digitsOnly = i+1, true
			}
			continue
		}
		c := d[i]
		switch {
		case c >= 'a' && c <= 'z', c == '-':
			digitsOnly = false
		case c >= '0' && c <= '9':
		case c >= 0x80:
			return false, ""
		default:
			return false, "character " + quoteRune(rune(c)) + " in domain"
		}
	}
	switch {
	case labels < 2:
		return false, "domain has no dot"
	case digitsOnly:
		return false, "numeric top-level domain"
	}
	return true, ""
}

func canonicalLabel(l string) (string, string) {
	if l == "" {
		return "", "empty domain label"
	}
	if isASCII(l) {
		if !strings.HasPrefix(l, acePrefix) {
			if reason := checkASCIILabel(l); reason != "" {
				return "", reason
			}
			return l, ""
		}
		u, err := punyDecode(l[len(acePrefix):])
		if err != nil || u == "" {
			return "", "bad punycode label"
		}
		// Bring the decoded label to the same form a Unicode spelling takes.
		u = norm.NFKC.String(cases.Lower(language.Und).String(u))
		if isASCII(u) {
			return "", "punycode label of plain ASCII"
		}
		l = u
	}
	for _, r := range l {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || r == '-') {
			return "", "character " + quoteRune(r) + " in domain"
		}
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return "", "domain label starts or ends with a hyphen"
	}
	enc, err := punyEncode(l)
	if err != nil {
		return "", "label cannot be encoded"
	}
	out := acePrefix + enc
	if len(out) > 63 {
		return "", "domain label longer than 63 bytes"
	}
	return out, ""
}

func checkASCIILabel(l string) string {
	if len(l) > 63 {
		return "domain label longer than 63 bytes"
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "character " + quoteRune(rune(c)) + " in domain"
		}
	}
	if l[0] == '-' || l[len(l)-1] == '-' {
		return "domain label starts or ends with a hyphen"
	}
	return ""
}
