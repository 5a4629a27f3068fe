package identity

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

type normCase struct {
	in, want string
	err      error
}

func runNormCases(t *testing.T, norm func(string) (string, error), cases []normCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := norm(c.in)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("Normalize(%q) = %q, %v; want error %v", c.in, got, err, c.err)
				}
				var pe *ParseError
				if !errors.As(err, &pe) || pe.Reason == "" {
					t.Fatalf("error %v is not a *ParseError with a reason", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("Normalize(%q) = %q, %v; want %q", c.in, got, err, c.want)
			}
			again, err := norm(got)
			if err != nil || again != got {
				t.Fatalf("not idempotent: Normalize(%q) = %q, %v", got, again, err)
			}
		})
	}
}

func TestNormalizeEmail(t *testing.T) {
	runNormCases(t, NormalizeEmail, []normCase{
		{"Ivan.Petrov@Gmail.com", "ivanpetrov@gmail.com", nil},
		{"  ivan.petrov+cars@googlemail.com ", "ivanpetrov@gmail.com", nil},
		{"i v a n@gmail.com", "ivan@gmail.com", nil},
		{"IVAN.PETROV@YANDEX.RU", "ivan-petrov@yandex.ru", nil},
		{"ivan-petrov@ya.ru", "ivan-petrov@yandex.ru", nil},
		{"ivan.petrov+test@yandex.com", "ivan-petrov@yandex.ru", nil},
		{"ivan.petrov@yandex.by", "ivan-petrov@yandex.ru", nil},
		{"ivan.petrov@yandex.kz", "ivan-petrov@yandex.ru", nil},
		{"ivan.petrov@yandex.ua", "ivan-petrov@yandex.ru", nil},
		{"user.name+NYC@Example.com", "user.name+nyc@example.com", nil},
		{"first.last@mail.ru", "first.last@mail.ru", nil},
		{"mailto:Anna@Mail.Ru", "anna@mail.ru", nil},
		{"ＡＮＮＡ＠ｍａｉｌ．ｒｕ", "anna@mail.ru", nil},
		{"Анна@Почта.РФ", "анна@xn--80a1acny.xn--p1ai", nil},
		{"анна@xn--80a1acny.xn--p1ai", "анна@xn--80a1acny.xn--p1ai", nil},
		{"анна@XN--80A1ACNY.XN--P1AI", "анна@xn--80a1acny.xn--p1ai", nil},
		{"anna@почта。рф", "anna@xn--80a1acny.xn--p1ai", nil},
		{"anna@mail.ru.", "anna@mail.ru", nil},
		{"\u200banna@mail.ru", "anna@mail.ru", nil},
		{"o'brien@example.ie", "o'brien@example.ie", nil},
		{"", "", ErrEmpty},
		{"   ", "", ErrEmpty},
		{"anna", "", ErrMalformed},
		{"anna@", "", ErrMalformed},
		{"@mail.ru", "", ErrMalformed},
		{"anna@@mail.ru", "", ErrMalformed},
		{"an@na@mail.ru", "", ErrMalformed},
		{"anna@localhost", "", ErrMalformed},
		{"anna@1.2.3.4", "", ErrMalformed},
		{".anna@mail.ru", "", ErrMalformed},
		{"an..na@mail.ru", "", ErrMalformed},
		{"anna.@mail.ru", "", ErrMalformed},
		{"anna@-mail.ru", "", ErrMalformed},
		{"anna@mail..ru", "", ErrMalformed},
		{"anna@mail_ru.com", "", ErrMalformed},
		{"\"anna\"@mail.ru", "", ErrMalformed},
		{"Anna <anna@mail.ru>", "", ErrMalformed},
		{"anna@xn--zz-.ru", "", ErrMalformed},
		{"+tag@gmail.com", "", ErrMalformed},
		{strings.Repeat("a", 65) + "@mail.ru", "", ErrMalformed},
		{"anna\x00@mail.ru", "", ErrMalformed},
	})
}

func TestNormalizePhone(t *testing.T) {
	runNormCases(t, NormalizePhone, []normCase{
		{"8 (916) 123-45-67", "+79161234567", nil},
		{"+7 916 123 45 67", "+79161234567", nil},
		{"79161234567", "+79161234567", nil},
		{"9161234567", "+79161234567", nil},
		{"8-916-1234567", "+79161234567", nil},
		{"+7 (916) 123-45-67 доб. 123", "+79161234567", nil},
		{"8 916 123 45 67 ext. 5", "+79161234567", nil},
		{"8 916 123 45 67 x5", "+79161234567", nil},
		{"tel:+79161234567", "+79161234567", nil},
		{"８ ９１６ １２３ ４５ ６７", "+79161234567", nil},
		{"+7 701 123 45 67", "+77011234567", nil},   // Kazakhstan
		{"8 800 555 35 35", "+78005553535", nil},    // valid, flagged as junk by Junk
		{"810 49 30 1234567", "+49301234567", nil},  // dialled from Russia
		{"+375 29 123 45 67", "+375291234567", nil}, // Belarus
		{"+380 44 123 4567", "+380441234567", nil},
		{"+1 212 555 0100", "+12125550100", nil},
		{"+44 (0) 20 7946 0000", "+442079460000", nil},
		{"", "", ErrEmpty},
		{"abc", "", ErrMalformed},
		{"12345", "", ErrMalformed},
		{"+999 123 456 789", "", ErrMalformed},
		{"+49 301", "", ErrMalformed},
		{"+7 916 123 45 678", "", ErrMalformed},
		{"8 916 ABC 45 67", "", ErrMalformed},
		{"+7 +916", "", ErrMalformed},
		{"916+1234567", "", ErrMalformed},
		// The right length, but not in the numbering plan of +7.
		{"+7 000 000 00 00", "", ErrMalformed},
		{"+7 123 456 78 90", "", ErrMalformed},
		{"8 916 123 45 6", "", ErrMalformed},   // a digit short: 891… is no Russian range
		{"+7 600 123 45 67", "", ErrMalformed}, // 6xx is unassigned
		{"+7 495 123 45 67", "+74951234567", nil},
		{"+7 7172 12 34 56", "+77172123456", nil}, // Astana, fixed
	})
}

func TestPhoneRegions(t *testing.T) {
	cases := []struct{ region, in, want string }{
		{"KZ", "8 701 123 45 67", "+77011234567"},
		{"BY", "8 029 123 45 67", "+375291234567"},
		{"BY", "80291234567", "+375291234567"},
		{"UA", "044 123 4567", "+380441234567"},
		{"US", "(212) 555-0100", "+12125550100"},
		{"US", "1 212 555 0100", "+12125550100"},
		{"DE", "030 1234567", "+49301234567"},
		{"GB", "020 7946 0000", "+442079460000"},
	}
	for _, c := range cases {
		got, err := PhoneNormalizer{Region: c.region}.Normalize(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s %q: got %q, %v; want %q", c.region, c.in, got, err, c.want)
		}
	}
	if _, err := (PhoneNormalizer{Region: "FR"}).Normalize("0123456789"); !errors.Is(err, ErrBadOptions) {
		t.Errorf("unsupported region: got %v", err)
	}
	if _, err := (PhoneNormalizer{Region: "ZZ"}).Normalize("89161234567"); !errors.Is(err, ErrMalformed) {
		t.Errorf("ZZ accepts only international numbers: got %v", err)
	}
	for _, r := range SupportedPhoneRegions() {
		if err := (PhoneNormalizer{Region: r}).Check(); err != nil {
			t.Errorf("Check(%s) = %v", r, err)
		}
	}
}

// TestDiallingPlansMatchLibphonenumber keeps the hand-written region table in
// step with the generated metadata.
func TestDiallingPlansMatchLibphonenumber(t *testing.T) {
	for region, want := range regionDialling {
		plan := diallingPlans[region]
		if plan.cc != want[0] || plan.intl != want[2] {
			t.Errorf("%s: plan %+v, libphonenumber %v", region, plan, want)
		}
		parts := strings.Split(want[1], "|")
		np := parts[len(parts)-1] // the plain national prefix
		found := false
		for _, p := range plan.national {
			found = found || p == np
		}
		if !found {
			t.Errorf("%s: national prefixes %v lack %q", region, plan.national, np)
		}
	}
}

func TestPhoneJunk(t *testing.T) {
	for _, c := range []struct {
		e164 string
		junk bool
	}{{"+78005553535", true}, {"+78041234567", true}, {"+79161234567", false}, {"+18005550100", true}, {"+12125550100", false}, {"+448001234567", true}} {
		if _, got := (PhoneNormalizer{}).Junk(c.e164); got != c.junk {
			t.Errorf("Junk(%s) = %v", c.e164, got)
		}
	}
}

// phoneExceptions are the vectors where the normalizer deliberately disagrees
// with libphonenumber, by a rule the PhoneNormalizer doc names.
func phoneException(in, want, got string) string {
	lower := strings.ToLower(in)
	for _, r := range lower {
		if r >= 'a' && r <= 'z' && !strings.Contains(lower, "ext") && !strings.HasPrefix(lower, "tel:") && !strings.Contains(lower, "x") {
			return "letters are refused, not read as a keypad"
		}
	}
	return ""
}

// TestPhoneVectors checks the normalizer against libphonenumber's answers for
// inputs in seven regions plus junk (tools/phonegen writes the table).
func TestPhoneVectors(t *testing.T) {
	f, err := os.Open("testdata/phone_vectors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, agree := 0, 0
	for line := 1; sc.Scan(); line++ {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			t.Fatalf("line %d: %d fields", line, len(parts))
		}
		region, in, want := parts[0], parts[1], parts[2]
		n++
		got, err := PhoneNormalizer{Region: region}.Normalize(in)
		if err != nil {
			got = "!"
		}
		if got == want {
			agree++
			continue
		}
		if why := phoneException(in, want, got); why != "" {
			t.Logf("line %d %s %q: libphonenumber %s, we %s (%s)", line, region, in, want, got, why)
			continue
		}
		t.Errorf("line %d %s %q: libphonenumber %s, normalizer %s (%v)", line, region, in, want, got, err)
	}
	if n < 500 {
		t.Fatalf("only %d vectors", n)
	}
	t.Logf("%d of %d vectors agree", agree, n)
}

func TestNormalizeCookie(t *testing.T) {
	runNormCases(t, NormalizeCookie, []normCase{
		{"GA1.2.512900830.1700083068", "512900830.1700083068", nil},
		{"GA1.1.512900830.1700083068", "512900830.1700083068", nil},
		{"_ga=GA1.2.512900830.1700083068", "512900830.1700083068", nil},
		{"512900830.1700083068", "512900830.1700083068", nil},
		{" 1700083068123456789 ", "1700083068123456789", nil},
		{"AbC-123_xyz", "AbC-123_xyz", nil},
		{"GA1.2.abc.1700083068", "GA1.2.abc.1700083068", nil},
		{"", "", ErrEmpty},
		{"_ga=", "", ErrEmpty},
		{"abc def", "", ErrMalformed},
		{"abc\x01", "", ErrMalformed},
		{strings.Repeat("a", 1025), "", ErrMalformed},
	})
}

func TestNormalizeDevice(t *testing.T) {
	runNormCases(t, NormalizeDevice, []normCase{
		{"6F9619FF-8B86-D011-B42D-00CF4FC964FF", "6f9619ff-8b86-d011-b42d-00cf4fc964ff", nil},
		{"{6F9619FF-8B86-D011-B42D-00CF4FC964FF}", "6f9619ff-8b86-d011-b42d-00cf4fc964ff", nil},
		{"6f9619ff8b86d011b42d00cf4fc964ff", "6f9619ff-8b86-d011-b42d-00cf4fc964ff", nil},
		{"9774d56d682e549c", "9774d56d682e549c", nil},
		{"00000000-0000-0000-0000-000000000000", "", ErrRefused},
		{"00000000000000000000000000000000", "", ErrRefused},
		{"", "", ErrEmpty},
		{"dev ice", "", ErrMalformed},
		{"устройство", "", ErrMalformed},
	})
}

func TestNormalizeCRM(t *testing.T) {
	runNormCases(t, NormalizeCRM, []normCase{
		{" CRM-00123 ", "CRM-00123", nil},
		{"Клиент 42", "Клиент 42", nil},
		{"", "", ErrEmpty},
		{"a\x00b", "", ErrMalformed},
	})
}

func TestParseID(t *testing.T) {
	id, err := ParseID(Email, "Ivan.Petrov@Gmail.com")
	if err != nil || id != (ID{Email, "ivanpetrov@gmail.com"}) {
		t.Fatalf("ParseID = %v, %v", id, err)
	}
	if id.String() != "email:ivanpetrov@gmail.com" {
		t.Fatalf("String = %q", id.String())
	}
	back, err := ParseIDString(id.String())
	if err != nil || back != id {
		t.Fatalf("ParseIDString = %v, %v", back, err)
	}
	if _, err := ParseID("loyalty", "1"); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown kind: %v", err)
	}
	if _, err := ParseIDString("nocolon"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("no colon: %v", err)
	}
	var pe *ParseError
	_, err = ParseID(Phone, "abc")
	if !errors.As(err, &pe) || pe.Kind != Phone || !strings.Contains(err.Error(), "phone") {
		t.Fatalf("error does not name the kind: %v", err)
	}
}

func TestPunycodeRoundTrip(t *testing.T) {
	for _, c := range []struct{ u, a string }{
		{"почта", "80a1acny"}, {"рф", "p1ai"}, {"bücher", "bcher-kva"}, {"münchen", "mnchen-3ya"},
	} {
		enc, err := punyEncode(c.u)
		if err != nil || enc != c.a {
			t.Errorf("encode %q = %q, %v; want %q", c.u, enc, err, c.a)
		}
		dec, err := punyDecode(c.a)
		if err != nil || dec != c.u {
			t.Errorf("decode %q = %q, %v; want %q", c.a, dec, err, c.u)
		}
	}
}

// fuzzNormalizer checks the properties every normalizer owes: no panic,
// idempotence, valid UTF-8 output, and errors that are ParseErrors.
func fuzzNormalizer(f *testing.F, kind Kind, norm func(string) (string, error), seeds []string) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := norm(raw)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Kind != kind {
				t.Fatalf("%q: error %v is not a ParseError of kind %s", raw, err, kind)
			}
			if !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrRefused) {
				t.Fatalf("%q: error %v wraps no sentinel", raw, err)
			}
			return
		}
		if got == "" || !utf8.ValidString(got) {
			t.Fatalf("%q: bad output %q", raw, got)
		}
		again, err := norm(got)
		if err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", raw, got, again, err)
		}
	})
}

func FuzzNormalizeEmail(f *testing.F) {
	fuzzNormalizer(f, Email, NormalizeEmail, []string{"Ivan.Petrov@Gmail.com", "анна@почта.рф", "a+b@yandex.by", "x@xn--p1ai.xn--p1ai", "ＡＮＮＡ＠ｍａｉｌ．ｒｕ"})
}

func FuzzNormalizePhone(f *testing.F) {
	fuzzNormalizer(f, Phone, NormalizePhone, []string{"8 (916) 123-45-67", "+7 916 123 45 67", "810 49 30 1234567", "+44 (0) 20 7946 0000", "8 916 123 45 67 доб. 5", "８９１６１２３４５６７"})
}

func FuzzNormalizeCookie(f *testing.F) {
	fuzzNormalizer(f, Cookie, NormalizeCookie, []string{"GA1.2.512900830.1700083068", "_ga=GA1.1.1.2", "1700083068123456789"})
}

func FuzzNormalizeDevice(f *testing.F) {
	fuzzNormalizer(f, Device, NormalizeDevice, []string{"{6F9619FF-8B86-D011-B42D-00CF4FC964FF}", "6f9619ff8b86d011b42d00cf4fc964ff", "00000000-0000-0000-0000-000000000000"})
}

func FuzzNormalizeCRM(f *testing.F) {
	fuzzNormalizer(f, CRM, NormalizeCRM, []string{"CRM-001", " 42 "})
}

func FuzzPunycode(f *testing.F) {
	for _, s := range []string{"80a1acny", "p1ai", "bcher-kva", "zz-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := punyDecode(s)
		if err != nil {
			return
		}
		enc, err := punyEncode(u)
		if err != nil {
			t.Fatalf("decoded %q to %q which does not encode: %v", s, u, err)
		}
		back, err := punyDecode(enc)
		if err != nil || back != u {
			t.Fatalf("round trip %q -> %q -> %q -> %q", s, u, enc, strconv.Quote(back))
		}
	})
}

// FuzzPhoneFastPath: the Russian mobile fast path agrees with the general one.
func FuzzPhoneFastPath(f *testing.F) {
	for _, s := range []string{"8 (916) 123-45-67", "+79161234567", "79161234567", "9161234567", "+8 916 123 45 67", "7-9-1-6-1-2-3-4-5-6-7", "((9161234567))"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fast, ok := fastRussianMobile(raw)
		if !ok {
			return
		}
		slow, err := PhoneNormalizer{}.normalize(raw)
		if err != nil || slow != fast {
			t.Fatalf("%q: fast %q, general %q, %v", raw, fast, slow, err)
		}
	})
}

// FuzzEmailFastPath: the one-pass ASCII path agrees with the general one.
func FuzzEmailFastPath(f *testing.F) {
	for _, s := range []string{"Ivan.Petrov+cars@Gmail.com", "a.b@ya.ru", "mailto:X@Y.Z", "+@gmail.com", "a@b.c.", " a b @ c.d "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fast, ok := fastASCIIEmail(raw)
		if !ok {
			return
		}
		slow, err := normalizeEmailGeneral(raw)
		if err != nil || slow != fast {
			t.Fatalf("%q: fast %q, general %q, %v", raw, fast, slow, err)
		}
	})
}
