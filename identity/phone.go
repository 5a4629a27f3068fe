package identity

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unsafe"
)

// PhoneNormalizer normalizes telephone numbers to E.164 ("+79161234567").
//
// Numbers written with "+" or with the default region's international prefix
// (810 from Russia, 00 from Germany) are read as international; other numbers
// are read as national numbers of the default region, with its national
// prefix (8 in Russia) removed. Lengths are checked against libphonenumber's
// possible lengths for the country calling code (tools/phonegen regenerates
// them), so "+49 30 123" is refused while "+49 30 1234567" is kept. Numbers
// of +7 (Russia and Kazakhstan) are also checked against the numbering
// plan: "+7 000 000 00 00" and "+7 123 456 78 90" have the right length
// but no operator uses them, so they are refused. An
// extension ("доб. 12", "ext. 5", "x 7", "#3") is cut off: it reaches a desk, not
// a person.
//
// The normalizer parses like libphonenumber with three deliberate
// differences, each named in the vector test: letters are refused rather than
// read as a keypad ("8-800-FLOWERS" is an advertisement, not a customer), text
// around the number is refused rather than skipped, and a regular-expression
// national prefix (GB's 180020) is reduced to its plain form.
//
// Kazakhstan shares +7 with Russia: its numbers (+7 7xx…) normalize the same
// way and keep their own E.164 form.
type PhoneNormalizer struct {
	// Region is the ISO 3166 code of the default region used for numbers
	// written without a country code: RU (the zero value), KZ, BY, UA, US, DE
	// or GB. "ZZ" accepts only international numbers.
	Region string
}

// NormalizePhone normalizes a phone number with Russia as the default region.
func NormalizePhone(raw string) (string, error) { return PhoneNormalizer{}.Normalize(raw) }

type dialling struct {
	cc       string   // country calling code
	national []string // national prefixes, tried longest first
	intl     string   // international (IDD) prefix
}

// diallingPlans are the default regions the normalizer knows; a test checks
// them against libphonenumber's metadata (regionDialling in zphonemeta.go).
var diallingPlans = map[string]dialling{
	"RU": {cc: "7", national: []string{"8"}, intl: "810"},
	"KZ": {cc: "7", national: []string{"8"}, intl: "810"},
	"BY": {cc: "375", national: []string{"80", "8", "0"}, intl: "810"},
	"UA": {cc: "380", national: []string{"0"}, intl: "00"},
	"US": {cc: "1", national: []string{"1"}, intl: "011"},
	"DE": {cc: "49", national: []string{"0"}, intl: "00"},
	"GB": {cc: "44", national: []string{"0"}, intl: "00"},
	"ZZ": {},
}

// SupportedPhoneRegions lists the default regions [PhoneNormalizer] accepts.
func SupportedPhoneRegions() []string {
	return []string{"BY", "DE", "GB", "KZ", "RU", "UA", "US", "ZZ"}
}

func (p PhoneNormalizer) plan() (dialling, string, bool) {
	r := strings.ToUpper(p.Region)
	if r == "" {
		r = "RU"
	}
	d, ok := diallingPlans[r]
	return d, r, ok
}

// mainRegion is the region whose rules libphonenumber applies to a number
// with an explicit calling code, among the regions the normalizer knows.
func mainRegion(cc string) string {
	switch cc {
	case "7":
		return "RU"
	case "375":
		return "BY"
	case "380":
		return "UA"
	case "1":
		return "US"
	case "49":
		return "DE"
	case "44":
		return "GB"
	}
	return ""
}

// Check reports whether the normalizer's region is supported.
func (p PhoneNormalizer) Check() error {
	if _, _, ok := p.plan(); !ok {
		return &ParseError{Kind: Phone, Input: p.Region, Reason: "unsupported default region", Err: ErrBadOptions}
	}
	return nil
}

const maxPhoneDigits = 17 // libphonenumber's longest national number

// Normalize implements [Normalizer].
func (p PhoneNormalizer) Normalize(raw string) (string, error) {
	if p.Region == "" || p.Region == "RU" {
		if v, ok := fastRussianMobile(raw); ok {
			return v, nil
		}
	}
	return p.normalize(raw)
}

// fastRussianMobile handles the most common input in one pass: a Russian
// mobile number (+7 9xx, 8 9xx, 7 9xx or 9xx) written with ASCII digits,
// spaces, dashes and parentheses. Anything else goes the general way; a
// differential fuzz target keeps the two in agreement.
func fastRussianMobile(raw string) (string, bool) {
	var d [12]byte
	n := 0
	plus := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(d) {
				return "", false
			}
			d[n] = c
			n++
		case c == '+':
			if n > 0 || plus {
				return "", false
			}
			plus = true
		case c == ' ' || c == '-' || c == '(' || c == ')':
		default:
			return "", false
		}
	}
	var nsn []byte
	switch {
	case n == 11 && d[0] == '7' && d[1] == '9':
		nsn = d[1:11]
	case n == 11 && d[0] == '8' && d[1] == '9' && !plus:
		nsn = d[1:11]
	case n == 10 && d[0] == '9' && !plus:
		nsn = d[0:10]
	default:
		return "", false
	}
	var out [12]byte
	out[0], out[1] = '+', '7'
	copy(out[2:], nsn)
	return string(out[:]), true
}

func (p PhoneNormalizer) normalize(raw string) (string, error) {
	plan, region, ok := p.plan()
	if !ok {
		return "", p.Check()
	}
	s := trimSpace(raw)
	if s == "" {
		return "", parseErr(Phone, raw, ErrEmpty, "empty")
	}
	if len(s) > 4 && strings.EqualFold(s[:4], "tel:") {
		s = trimSpace(s[4:])
	}
	if needsExtensionCut(s) {
		s = cutExtension(s)
	}
	var buf [maxPhoneDigits + 8]byte
	n, plus := 0, false
	for _, r := range s {
		if v := digitValue(r); v >= 0 {
			if n == len(buf) {
				return "", parseErr(Phone, raw, ErrMalformed, "too many digits")
			}
			buf[n] = byte('0' + v)
			n++
			continue
		}
		switch {
		case r == '+' || r == '＋':
			if n > 0 {
				return "", parseErr(Phone, raw, ErrMalformed, "misplaced +")
			}
			plus = true
		case phoneSeparator(r):
		default:
			return "", parseErr(Phone, raw, ErrMalformed, "character "+quoteRune(r))
		}
	}
	if n == 0 {
		return "", parseErr(Phone, raw, ErrMalformed, "no digits")
	}
	// num aliases buf: everything derived from it is used here and copied
	// into the one string returned, which saves an allocation per number.
	num := unsafe.String(&buf[0], n)
	var cc, nsn, stripRegion string
	switch {
	case plus:
		cc, nsn = splitCallingCode(num)
		if cc == "" {
			return "", parseErr(Phone, raw, ErrMalformed, "unknown country code")
		}
		stripRegion = mainRegion(cc)
	case plan.intl != "" && strings.HasPrefix(num, plan.intl) && len(num) > len(plan.intl) && num[len(plan.intl)] != '0':
		cc, nsn = splitCallingCode(num[len(plan.intl):])
		if cc == "" {
			return "", parseErr(Phone, raw, ErrMalformed, "unknown country code after international prefix")
		}
		stripRegion = mainRegion(cc)
	case plan.cc == "":
		return "", parseErr(Phone, raw, ErrMalformed, "no country code")
	default:
		cc, nsn, stripRegion = plan.cc, num, region
		// A national number that begins with the region's own calling code
		// ("79161234567" in Russia) is read as international when the
		// national reading is not a viable number and the other is, or when
		// the national reading is too long.
		if strings.HasPrefix(num, plan.cc) {
			pot := stripNationalPrefix(num[len(plan.cc):], cc, region)
			if (!viable(region, cc, num) && viable(region, cc, pot)) || lengthVerdict(cc, len(num)) == lengthTooLong {
				nsn, stripRegion = pot, mainRegion(cc)
			}
		}
	}
	for i := 0; i < 2; i++ {
		pot := stripNationalPrefix(nsn, cc, stripRegion)
		if pot == nsn {
			break
		}
		if v := lengthVerdict(cc, len(pot)); v != lengthPossible && v != lengthTooLong {
			break
		}
		if i == 1 {
			// The number would lose another prefix when parsed again from
			// its E.164 form: no real number looks like that, and keeping it
			// would break idempotence.
			return "", parseErr(Phone, raw, ErrMalformed, "national prefix repeated")
		}
		nsn = pot
	}
	switch lengthVerdict(cc, len(nsn)) {
	case lengthPossible:
		if cc == "7" && planType(nsn) == 0 {
			return "", parseErr(Phone, raw, ErrMalformed, "not in the numbering plan of +7")
		}
		return "+" + cc + nsn, nil
	case lengthTooShort:
		return "", parseErr(Phone, raw, ErrMalformed, "too short for +"+cc)
	case lengthTooLong:
		return "", parseErr(Phone, raw, ErrMalformed, "too long for +"+cc)
	}
	return "", parseErr(Phone, raw, ErrMalformed, "impossible length for +"+cc)
}

// Junk implements [JunkDetector]: toll-free and shared-cost business lines
// (8-800 in Russia and Kazakhstan, 800/8xx in North America, 0800 in the UK,
// Germany and Ukraine) belong to companies, typically the dealer itself.
func (PhoneNormalizer) Junk(e164 string) (string, bool) {
	cc, nsn := splitCallingCode(strings.TrimPrefix(e164, "+"))
	var prefixes []string
	switch cc {
	case "7":
		if planType(nsn) == phoneTollFree {
			return "toll-free business line", true
		}
		return "", false
	case "1":
		prefixes = []string{"800", "833", "844", "855", "866", "877", "888"}
	case "44":
		prefixes = []string{"800", "808"}
	case "49", "380", "375":
		prefixes = []string{"800"}
	}
	for _, p := range prefixes {
		if strings.HasPrefix(nsn, p) {
			return "toll-free business line", true
		}
	}
	return "", false
}

// splitCallingCode splits an international number after its calling code:
// the prefix of one to three digits that is an assigned code (calling codes
// are prefix-free, so there is at most one).
func splitCallingCode(num string) (string, string) {
	if num == "" || num[0] == '0' {
		return "", ""
	}
	for i := 1; i <= 3 && i <= len(num); i++ {
		if ccInfo(num[:i]).lengths != 0 {
			return num[:i], num[i:]
		}
	}
	return "", ""
}

// ccTable is callingCodes as an array, for lookups on the hot path.
var ccTable = func() *[1000]callingCode {
	var t [1000]callingCode
	for cc, c := range callingCodes {
		t[cc] = c
	}
	return &t
}()

func ccInfo(cc string) callingCode {
	n := 0
	for i := 0; i < len(cc); i++ {
		n = n*10 + int(cc[i]-'0')
	}
	if n >= len(ccTable) {
		return callingCode{}
	}
	return ccTable[n]
}

type callingCode struct {
	lengths  uint32 // bit n set: a national number of n digits is possible
	national string // national prefix, when a plain digit string
}

type lengthResult uint8

const (
	lengthPossible lengthResult = iota
	lengthTooShort
	lengthTooLong
	lengthInvalid
)

func lengthVerdict(cc string, n int) lengthResult {
	info := ccInfo(cc)
	if info.lengths == 0 {
		return lengthInvalid
	}
	if n > 31 {
		return lengthTooLong
	}
	if info.lengths&(1<<uint(n)) != 0 {
		return lengthPossible
	}
	min := 0
	for min < 32 && info.lengths&(1<<uint(min)) == 0 {
		min++
	}
	max := 31
	for max > 0 && info.lengths&(1<<uint(max)) == 0 {
		max--
	}
	switch {
	case n < min:
		return lengthTooShort
	case n > max:
		return lengthTooLong
	}
	return lengthInvalid
}

// stripNationalPrefix removes the national prefix unless the number is a
// viable national number with it and not without it (libphonenumber's rule).
// region names whose patterns decide viability; "" falls back to lengths.
func stripNationalPrefix(nsn, cc, region string) string {
	for _, np := range nationalPrefixes(cc, region) {
		if np == "" || !strings.HasPrefix(nsn, np) {
			continue
		}
		rest := nsn[len(np):]
		if viable(region, cc, nsn) && !viable(region, cc, rest) {
			return nsn
		}
		return rest
	}
	return nsn
}

// viable reports whether nsn matches the region's pattern of national
// numbers; without a known region, whether its length is possible.
func viable(region, cc, nsn string) bool {
	switch region {
	case "RU": // 8\d{13}|[347-9]\d{9}, hand-compiled: Russia is the hot path
		return len(nsn) == 14 && nsn[0] == '8' || len(nsn) == 10 && strings.IndexByte("34789", nsn[0]) >= 0
	case "KZ": // 8\d{13}|[78]\d{9}
		return len(nsn) == 14 && nsn[0] == '8' || len(nsn) == 10 && (nsn[0] == '7' || nsn[0] == '8')
	case "":
		return lengthVerdict(cc, len(nsn)) == lengthPossible
	}
	re := regionPatterns()[region]
	if re == nil {
		return lengthVerdict(cc, len(nsn)) == lengthPossible
	}
	return re.MatchString(nsn)
}

// regionPatterns compiles generalPatterns once; the result is never mutated.
var regionPatterns = sync.OnceValue(func() map[string]*regexp.Regexp {
	m := make(map[string]*regexp.Regexp, len(generalPatterns))
	for r, p := range generalPatterns {
		m[r] = regexp.MustCompile("^(?:" + p + ")$")
	}
	return m
})

func nationalPrefixes(cc, region string) []string {
	if plan, ok := diallingPlans[region]; ok && plan.cc == cc {
		return plan.national
	}
	if np := ccInfo(cc).national; np != "" {
		return []string{np}
	}
	return nil
}

// extensionMarks start an extension; matched case-insensitively after the
// number has begun.
var extensionMarks = []string{"добавочный", "доб.", "доб", "extension", "extn", "ext.", "ext", ";ext=", "x", "#", "д."}

// needsExtensionCut reports whether s has a character that can start an
// extension mark; plain numbers skip the search.
func needsExtensionCut(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '#' || c == ';' {
			return true
		}
	}
	return false
}

func cutExtension(s string) string {
	for i := 1; i < len(s); i++ {
		for _, m := range extensionMarks {
			// Cyrillic and Latin letters keep their byte length across case,
			// so an EqualFold of equal byte spans is a case-insensitive match.
			if len(s)-i >= len(m) && strings.EqualFold(s[i:i+len(m)], m) && hasDigit(s[:i]) {
				return strings.TrimRight(s[:i], " ,;.")
			}
		}
	}
	return s
}

func hasDigit(s string) bool {
	for _, r := range s {
		if digitValue(r) >= 0 {
			return true
		}
	}
	return false
}

func phoneSeparator(r rune) bool {
	switch r {
	case ' ', '-', '.', '(', ')', '/', '[', ']', '\t', '~',
		'\u00a0', '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212',
		'\u2009', '\u202f', '\u3000', '\u30fc', '\uff08', '\uff09', '\uff0d', '\uff0e', '\uff0f':
		return true
	}
	return false
}

// digitValue returns the value of a decimal digit in any script, or -1.
func digitValue(r rune) int {
	if r >= '0' && r <= '9' {
		return int(r - '0')
	}
	if r < 0x80 || !unicode.IsDigit(r) {
		return -1
	}
	// Unicode decimal digits come in contiguous runs of ten starting at zero.
	start := r
	for unicode.IsDigit(start - 1) {
		start--
	}
	return int(r-start) % 10
}

func trimUnicodeSpace(s string) string { return strings.TrimFunc(s, unicode.IsSpace) }
