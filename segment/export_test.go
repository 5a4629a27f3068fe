package segment

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/throughline/throughline/identity"
)

// readContacts loads testdata/contacts.tsv; the golden files beside it were
// computed independently (testdata/exportgold.py: hand-written platform
// forms hashed with Python's hashlib).
func readContacts(t testing.TB) ([]Contact, map[identity.ProfileID]bool) {
	t.Helper()
	f, err := os.Open("testdata/contacts.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cs []Contact
	consent := map[identity.ProfileID]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		c := strings.Split(line, "\t")
		p, err := identity.ParseProfileID(c[0])
		if err != nil {
			t.Fatal(err)
		}
		split := func(s string) []string {
			if s == "" {
				return nil
			}
			return strings.Split(s, "|")
		}
		cs = append(cs, Contact{Profile: p, Emails: split(c[2]), Phones: split(c[3])})
		consent[p] = c[1] == "y"
	}
	return cs, consent
}

func TestWriteAudienceGolden(t *testing.T) {
	cs, consent := readContacts(t)
	gate := func(p identity.ProfileID) bool { return consent[p] }
	for _, tc := range []struct {
		file string
		cfg  ExportConfig
	}{
		{"google.csv", ExportConfig{Platform: GoogleCustomerMatch, PaidMedia: gate}},
		{"meta.csv", ExportConfig{Platform: MetaCustomAudiences, PaidMedia: gate}},
		{"yandex_sha256.csv", ExportConfig{Platform: YandexAudiences, PaidMedia: gate}},
		{"yandex_md5.csv", ExportConfig{Platform: YandexAudiences, Hash: MD5, PaidMedia: gate}},
	} {
		var buf bytes.Buffer
		rep, err := WriteAudience(&buf, tc.cfg, cs)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		want, err := os.ReadFile("testdata/" + tc.file)
		if err != nil {
			t.Fatal(err)
		}
		if buf.String() != string(want) {
			gl := strings.Split(buf.String(), "\n")
			wl := strings.Split(string(want), "\n")
			for i := range min(len(gl), len(wl)) {
				if gl[i] != wl[i] {
					t.Errorf("%s line %d:\n got %s\nwant %s", tc.file, i+1, gl[i], wl[i])
					break
				}
			}
			t.Errorf("%s: %d lines, want %d", tc.file, len(gl), len(wl))
		}
		if rep.NoConsent != 1 || len(rep.Dropped) != 2 {
			t.Errorf("%s: report %+v", tc.file, rep)
		}
		if strings.Contains(buf.String(), "@") || strings.Contains(buf.String(), "+7") || strings.Contains(buf.String(), "no.consent") {
			t.Errorf("%s contains a clear-text identifier", tc.file)
		}
	}
}

func TestWriteAudienceRules(t *testing.T) {
	all := func(identity.ProfileID) bool { return true }
	cs := []Contact{{Emails: []string{"a@mail.ru"}}}
	var buf bytes.Buffer
	if _, err := WriteAudience(&buf, ExportConfig{Platform: MetaCustomAudiences}, cs); !errors.Is(err, ErrNoConsent) {
		t.Errorf("no consent gate: %v", err)
	}
	if _, err := WriteAudience(&buf, ExportConfig{Platform: GoogleCustomerMatch, Hash: MD5, PaidMedia: all}, cs); !errors.Is(err, ErrExportSpec) {
		t.Errorf("MD5 for Google: %v", err)
	}
	if _, err := WriteAudience(&buf, ExportConfig{Platform: 9, PaidMedia: all}, cs); !errors.Is(err, ErrExportSpec) {
		t.Errorf("unknown platform: %v", err)
	}
	if _, err := WriteAudience(&buf, ExportConfig{Platform: YandexAudiences, PaidMedia: all}, cs); !errors.Is(err, ErrTooFew) || buf.Len() != 0 {
		t.Errorf("Yandex below 100 rows: %v, wrote %d bytes", err, buf.Len())
	}
	// Pre-hashed values pass through lower-cased, never hashed twice; a
	// digest of the wrong kind is dropped.
	sha := "A7F2A5E1F3D5C4B3A2918273645546372819A0B1C2D3E4F5061728394A5B6C7D"
	md := "0CC175B9C0F1B6A831C399E269772661"
	rep, err := WriteAudience(&buf, ExportConfig{Platform: MetaCustomAudiences, PaidMedia: all}, []Contact{{Emails: []string{sha, md}}})
	if err != nil || buf.String() != "email,phone\n"+strings.ToLower(sha)+",\n" || len(rep.Dropped) != 1 || !errors.Is(rep.Dropped[0].Err, ErrExportSpec) {
		t.Errorf("pre-hashed: %q %+v %v", buf.String(), rep, err)
	}
	// Yandex single-type files under 1000 rows get a warning.
	many := make([]Contact, 150)
	for i := range many {
		many[i] = Contact{Phones: []string{"+7916" + strings.Repeat("0", 3) + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + "0"}}
	}
	buf.Reset()
	rep, err = WriteAudience(&buf, ExportConfig{Platform: YandexAudiences, PaidMedia: all}, many)
	if err != nil || rep.Rows != 150 || len(rep.Warnings) != 1 {
		t.Errorf("single-type Yandex file: %+v %v", rep, err)
	}
}

// TestBusinessLinesLeftOut: toll-free numbers (8-800 here) stay out of
// audience files unless the host keeps them; the rest of the profile is
// exported.
func TestBusinessLinesLeftOut(t *testing.T) {
	all := func(identity.ProfileID) bool { return true }
	cs := []Contact{{Phones: []string{"8 800 555-35-35", "8 (916) 123-45-67"}}}
	var buf bytes.Buffer
	rep, err := WriteAudience(&buf, ExportConfig{Platform: MetaCustomAudiences, PaidMedia: all}, cs)
	if err != nil || rep.Rows != 1 || len(rep.Dropped) != 1 || !errors.Is(rep.Dropped[0].Err, ErrBusinessLine) {
		t.Fatalf("default: %+v %v", rep, err)
	}
	mobile, _ := ExportPhone(MetaCustomAudiences, "8 (916) 123-45-67", "")
	if !strings.Contains(buf.String(), digest(SHA256, mobile)) {
		t.Fatalf("the mobile number is missing: %q", buf.String())
	}
	buf.Reset()
	rep, err = WriteAudience(&buf, ExportConfig{Platform: MetaCustomAudiences, PaidMedia: all, KeepBusinessLines: true}, cs)
	if err != nil || rep.Rows != 2 || len(rep.Dropped) != 0 {
		t.Fatalf("KeepBusinessLines: %+v %v", rep, err)
	}
}

func TestExportForms(t *testing.T) {
	for _, tc := range []struct {
		p         Platform
		raw, want string
	}{
		{GoogleCustomerMatch, "J.Doe+promo@GMAIL.com", "jdoe@gmail.com"},
		{GoogleCustomerMatch, "j.doe+promo@mail.ru", "j.doe+promo@mail.ru"},
		{MetaCustomAudiences, "J.Doe+promo@GMAIL.com", "j.doe+promo@gmail.com"},
		{YandexAudiences, " Mail@Yandex.ru\t", "mail@yandex.ru"},
		{YandexAudiences, "mailto:Mail@Yandex.ru", "mail@yandex.ru"},
		{MetaCustomAudiences, "ivan .petrov@ mail.ru", "ivan.petrov@mail.ru"},
	} {
		if got, err := ExportEmail(tc.p, tc.raw); err != nil || got != tc.want {
			t.Errorf("ExportEmail(%v, %q) = %q, %v; want %q", tc.p, tc.raw, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		p              Platform
		raw, reg, want string
	}{
		{GoogleCustomerMatch, "8 (999) 555-11-11", "", "+79995551111"},
		{MetaCustomAudiences, "8 (999) 555-11-11", "", "79995551111"},
		{YandexAudiences, "7 (999) 555-11-11", "", "79995551111"},
		{YandexAudiences, "9995551111", "", "79995551111"},
		{MetaCustomAudiences, "+49 30 901820", "DE", "4930901820"},
		// 00 is read as the international prefix where the region's own
		// reading fails, as Meta reads it.
		{MetaCustomAudiences, "0079161234567", "", "79161234567"},
		{MetaCustomAudiences, "00 7 916 123-45-67", "", "79161234567"},
		{GoogleCustomerMatch, "0049 30 901820", "", "+4930901820"},
		{YandexAudiences, "00079161234567", "", "79161234567"},
		{MetaCustomAudiences, "030 901820", "DE", "4930901820"}, // a national 0 stays national
	} {
		if got, err := ExportPhone(tc.p, tc.raw, tc.reg); err != nil || got != tc.want {
			t.Errorf("ExportPhone(%v, %q) = %q, %v; want %q", tc.p, tc.raw, got, err, tc.want)
		}
	}
	if _, err := ExportEmail(GoogleCustomerMatch, "nope"); err == nil {
		t.Error("malformed email accepted")
	}
	if _, err := ExportPhone(YandexAudiences, "12", ""); err == nil {
		t.Error("malformed phone accepted")
	}
}

func BenchmarkWriteAudience(b *testing.B) {
	cs, _ := readContacts(b)
	all := func(identity.ProfileID) bool { return true }
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if _, err := WriteAudience(&buf, ExportConfig{Platform: YandexAudiences, PaidMedia: all}, cs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(cs))/b.Elapsed().Seconds(), "contacts/s")
}

// FuzzExportForms: any input either fails or yields the platform's shape:
// lower-case emails, E.164 for Google, bare digits for Meta and Yandex.
func FuzzExportForms(f *testing.F) {
	for _, s := range []string{"Ivan.Petrov@Gmail.com", "Ольга@Yandex.ru", "8 (916) 123-45-67", "+49 30 901820", "", "@", "mailto:a@b.ru", "a+b@googlemail.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, p := range []Platform{GoogleCustomerMatch, MetaCustomAudiences, YandexAudiences} {
			if e, err := ExportEmail(p, raw); err == nil {
				if e != strings.ToLower(e) || strings.ContainsAny(e, " \t\n") || !strings.Contains(e, "@") {
					t.Fatalf("ExportEmail(%v, %q) = %q", p, raw, e)
				}
			}
			if ph, err := ExportPhone(p, raw, ""); err == nil {
				digits := strings.TrimPrefix(ph, "+")
				if strings.Trim(digits, "0123456789") != "" || (p == GoogleCustomerMatch) != strings.HasPrefix(ph, "+") {
					t.Fatalf("ExportPhone(%v, %q) = %q", p, raw, ph)
				}
			}
		}
	})
}
