package segment

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/throughline/throughline/identity"
)

// Platform is an ad platform that takes customer-list audiences.
type Platform uint8

const (
	GoogleCustomerMatch Platform = iota + 1
	MetaCustomAudiences
	YandexAudiences
)

func (p Platform) String() string {
	switch p {
	case GoogleCustomerMatch:
		return "google_customer_match"
	case MetaCustomAudiences:
		return "meta_custom_audiences"
	case YandexAudiences:
		return "yandex_audiences"
	}
	return fmt.Sprintf("Platform(%d)", p)
}

// Hash is the digest applied to each exported value.
type Hash uint8

const (
	// SHA256 is the default for every platform. Yandex's current help page
	// asks for SHA-256 and says MD5 is refused for new uploads since
	// January 2025; an older page still documents MD5.
	SHA256 Hash = iota
	// MD5 is only accepted for Yandex Audiences, for accounts still on the
	// older rules.
	MD5
)

// Export errors.
var (
	ErrTooFew     = errors.New("segment: audience below the platform's minimum size")
	ErrNoConsent  = errors.New("segment: export needs a paid-media consent check")
	ErrExportSpec = errors.New("segment: invalid export configuration")
	// ErrBusinessLine marks a phone left out of an audience because it is
	// a business's line (8-800 and other toll-free numbers): matching it
	// targets the company, often the dealer itself, not a customer.
	ErrBusinessLine = errors.New("segment: toll-free business line")
)

// Contact is what a host knows of one profile for an audience file: the
// emails and phones as people typed them (the platform's normalization is
// applied here, not identity's matching form, which folds Yandex and Gmail
// spellings the platforms hash differently).
type Contact struct {
	Profile identity.ProfileID
	Emails  []string
	Phones  []string
}

// ExportConfig configures WriteAudience.
type ExportConfig struct {
	Platform Platform
	Hash     Hash // Yandex only; Google and Meta always take SHA-256
	// PaidMedia reports whether a profile consented to ads targeting
	// (the "paid media" purpose). Required: profiles without consent are
	// never exported.
	PaidMedia func(identity.ProfileID) bool
	// PhoneRegion is the region for phones written without a country code;
	// "" means RU.
	PhoneRegion string
	// KeepBusinessLines keeps toll-free numbers (8-800, 0800, 1-800...),
	// which are left out by default with ErrBusinessLine.
	KeepBusinessLines bool
}

// Dropped is a value left out of the file, with the reason.
type Dropped struct {
	Profile identity.ProfileID
	Value   string
	Err     error
}

// ExportReport says what WriteAudience wrote and left out.
type ExportReport struct {
	Rows      int
	Profiles  int
	NoConsent int       // profiles skipped for lack of consent
	Dropped   []Dropped // malformed values: dropped per value, never the batch
	Warnings  []string
}

// minRows are the platforms' documented minimum list sizes.
func (p Platform) minRows() int {
	if p == YandexAudiences {
		return 100 // CRM files; single-type files need 1000 (warned)
	}
	return 0
}

// header returns the platform's CSV header.
func (p Platform) header() string {
	if p == GoogleCustomerMatch {
		return "Email,Phone"
	}
	return "email,phone"
}

// A Row is one line of an audience file: a profile's hashed email and
// hashed phone (either may be empty).
type Row struct {
	Profile      identity.ProfileID
	Email, Phone string
}

// An Audience is a platform's rows, ready to write.
type Audience struct {
	Platform Platform
	Rows     []Row
}

// WriteTo writes the platform's CSV: its header, then the rows.
func (a Audience) WriteTo(w io.Writer) (int64, error) {
	var buf bytes.Buffer
	buf.WriteString(a.Platform.header())
	buf.WriteByte('\n')
	for _, r := range a.Rows {
		buf.WriteString(r.Email)
		buf.WriteByte(',')
		buf.WriteString(r.Phone)
		buf.WriteByte('\n')
	}
	return buf.WriteTo(w)
}

// BuildAudience turns contacts into the platform's rows: one row per
// profile and pair of identifiers (the i-th email with the i-th phone),
// each value normalized the platform's way and hashed. Values already
// hashed (64 hex digits for SHA-256, 32 for MD5) pass through lower-cased
// and are never hashed twice. Profiles without paid-media consent are
// skipped; malformed values are dropped one by one and reported.
func BuildAudience(cfg ExportConfig, contacts []Contact) (Audience, ExportReport, error) {
	var rep ExportReport
	a := Audience{Platform: cfg.Platform}
	if cfg.PaidMedia == nil {
		return a, rep, ErrNoConsent
	}
	switch cfg.Platform {
	case GoogleCustomerMatch, MetaCustomAudiences:
		if cfg.Hash != SHA256 {
			return a, rep, fmt.Errorf("%w: %s takes SHA-256 only", ErrExportSpec, cfg.Platform)
		}
	case YandexAudiences:
	default:
		return a, rep, fmt.Errorf("%w: unknown platform %d", ErrExportSpec, cfg.Platform)
	}
	hasEmail, hasPhone := false, false
	for _, c := range contacts {
		if !cfg.PaidMedia(c.Profile) {
			rep.NoConsent++
			continue
		}
		emails := hashAll(cfg, c.Profile, c.Emails, func(raw string) (string, error) {
			return ExportEmail(cfg.Platform, raw)
		}, &rep)
		phones := hashAll(cfg, c.Profile, c.Phones, func(raw string) (string, error) {
			v, err := ExportPhone(cfg.Platform, raw, cfg.PhoneRegion)
			if err == nil && !cfg.KeepBusinessLines {
				if _, junk := (identity.PhoneNormalizer{}).Junk("+" + strings.TrimPrefix(v, "+")); junk {
					return "", ErrBusinessLine
				}
			}
			return v, err
		}, &rep)
		n := max(len(emails), len(phones))
		if n == 0 {
			continue
		}
		rep.Profiles++
		hasEmail = hasEmail || len(emails) > 0
		hasPhone = hasPhone || len(phones) > 0
		for i := range n {
			r := Row{Profile: c.Profile}
			if i < len(emails) {
				r.Email = emails[i]
			}
			if i < len(phones) {
				r.Phone = phones[i]
			}
			a.Rows = append(a.Rows, r)
		}
	}
	rep.Rows = len(a.Rows)
	if cfg.Platform == YandexAudiences && hasEmail != hasPhone && rep.Rows < 1000 {
		rep.Warnings = append(rep.Warnings, "Yandex may need 1000 rows for a file with only emails or only phones")
	}
	return a, rep, nil
}

// WriteAudience builds the audience (see BuildAudience) and writes the
// platform's file. Nothing is written when the file would be below the
// platform's minimum (ErrTooFew).
func WriteAudience(w io.Writer, cfg ExportConfig, contacts []Contact) (ExportReport, error) {
	a, rep, err := BuildAudience(cfg, contacts)
	if err != nil {
		return rep, err
	}
	if m := cfg.Platform.minRows(); rep.Rows < m {
		return rep, fmt.Errorf("%w: %s needs %d rows, have %d", ErrTooFew, cfg.Platform, m, rep.Rows)
	}
	_, err = a.WriteTo(w)
	return rep, err
}

// isHex reports whether s is n lower- or upper-case hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// prehashed returns a value that is already a digest of the configured
// kind, lower-cased; ok is false for a clear value; err for a digest of
// the wrong kind.
func prehashed(cfg ExportConfig, v string) (out string, ok bool, err error) {
	v = strings.ToLower(strings.TrimSpace(v))
	switch {
	case isHex(v, 64):
		if cfg.Hash != SHA256 {
			return "", true, fmt.Errorf("%w: SHA-256 value for an MD5 export", ErrExportSpec)
		}
		return v, true, nil
	case isHex(v, 32):
		if cfg.Hash != MD5 {
			return "", true, fmt.Errorf("%w: MD5 value for a SHA-256 export", ErrExportSpec)
		}
		return v, true, nil
	}
	return "", false, nil
}

func digest(h Hash, v string) string {
	if h == MD5 {
		s := md5.Sum([]byte(v))
		return hex.EncodeToString(s[:])
	}
	s := sha256.Sum256([]byte(v))
	return hex.EncodeToString(s[:])
}

// ExportEmail returns the string the platform hashes for an email: without
// white space, lower-cased; for Google, Gmail addresses also lose the dots and the
// "+tag" of the local part. The address must be well formed.
func ExportEmail(p Platform, raw string) (string, error) {
	if _, err := identity.NormalizeEmail(raw); err != nil {
		return "", err
	}
	// White space anywhere goes, as identity's check allows it (people
	// paste addresses with spaces).
	v := strings.ToLower(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, raw))
	v = strings.TrimPrefix(v, "mailto:")
	if p == GoogleCustomerMatch {
		local, domain, _ := strings.Cut(v, "@")
		if domain == "gmail.com" || domain == "googlemail.com" {
			local, _, _ = strings.Cut(local, "+")
			v = strings.ReplaceAll(local, ".", "") + "@" + domain
		}
	}
	return v, nil
}

// ExportPhone returns the string the platform hashes for a phone: E.164
// with "+" for Google, digits with the country code and no "+" for Meta and
// Yandex. A number the region cannot read that starts with 00, the
// international prefix most of the world dials, is read as international
// ("0079161234567" is +7 916 123-45-67), as Meta reads it: it strips
// leading zeros before matching.
func ExportPhone(p Platform, raw, region string) (string, error) {
	norm := identity.PhoneNormalizer{Region: region}
	v, err := norm.Normalize(raw)
	if err != nil {
		rest, ok := afterDoubleZero(raw)
		if !ok {
			return "", err
		}
		if v, err = norm.Normalize("+" + rest); err != nil {
			return "", err
		}
	}
	if p == GoogleCustomerMatch {
		return v, nil
	}
	return strings.TrimPrefix(v, "+"), nil
}

// afterDoubleZero returns raw after its leading zeros when its first two
// digits (before any other character but spaces and separators) are 00.
func afterDoubleZero(raw string) (string, bool) {
	s := strings.TrimLeft(raw, " \t-.()")
	if !strings.HasPrefix(s, "00") {
		return "", false
	}
	return strings.TrimLeft(s, "0"), true
}

// hashAll returns the platform's hashes of raws, each put in the platform's
// form first unless already hashed; values it cannot use go to rep.Dropped.
func hashAll(cfg ExportConfig, p identity.ProfileID, raws []string, form func(string) (string, error), rep *ExportReport) []string {
	var out []string
	for _, raw := range raws {
		v, hashed, err := prehashed(cfg, raw)
		if !hashed {
			if v, err = form(raw); err == nil {
				v = digest(cfg.Hash, v)
			}
		}
		if err != nil {
			rep.Dropped = append(rep.Dropped, Dropped{p, raw, err})
			continue
		}
		out = append(out, v)
	}
	return out
}

// ContactFor is p's Contact as v sees the profile (identity.Viewer): the
// emails and phones that evidence v's company may see carries, so an
// audience file for that company never holds an address only another
// company collected.
func ContactFor(g *identity.Graph, p identity.ProfileID, v identity.Viewer, basis identity.Basis, now time.Time) Contact {
	c := Contact{Profile: p}
	for _, id := range g.KeysFor(p, v, basis, now) {
		switch id.Kind {
		case identity.Email:
			c.Emails = append(c.Emails, id.Value)
		case identity.Phone:
			c.Phones = append(c.Phones, id.Value)
		}
	}
	return c
}
