package channel

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
)

var (
	key1 = bytes.Repeat([]byte{0x11}, 32)
	key2 = bytes.Repeat([]byte{0x22}, 48)
	t0   = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
)

func testProfile(t testing.TB) identity.ProfileID {
	p, err := identity.ParseProfileID("0123abcd-4567-8def-8123-456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func mustLinks(t testing.TB, cfg LinkOptions) *Links {
	t.Helper()
	l, err := NewLinks(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func testClaims(t testing.TB) LinkClaims {
	return LinkClaims{Profile: testProfile(t), Message: "send-2026-11-23-000042", Channel: "sms", Purpose: "view", Expires: t0.Add(72 * time.Hour)}
}

func TestLinkRoundTrip(t *testing.T) {
	l := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{7: key1}, Current: 7})
	c := testClaims(t)
	tok, err := l.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(tok, "+/=?&#%") {
		t.Errorf("token %q is not URL-safe", tok)
	}
	if len(tok) > 112 {
		t.Errorf("token is %d chars, want a compact SMS link", len(tok))
	}
	got, err := l.Verify(tok, "view", t0)
	if err != nil {
		t.Fatal(err)
	}
	c.KeyID = 7
	if got != c {
		t.Errorf("Verify = %+v, want %+v", got, c)
	}
	// The profile ID is not readable from the token.
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	pid, _ := c.Profile.MarshalBinary()
	if bytes.Contains(raw, pid) || bytes.Contains(raw, pid[:8]) || bytes.Contains(raw, pid[8:]) {
		t.Errorf("token %x shows the profile ID %x", raw, pid)
	}
	other := c
	other.Profile = identity.ProfileID{}
	_ = other.Profile.UnmarshalBinary(append(pid[:15:15], pid[15]^1))
	otok, _ := l.Sign(other)
	if got, err := l.Verify(otok, "view", t0); err != nil || got.Profile != other.Profile {
		t.Errorf("second profile: %v, %v", got.Profile, err)
	}
	// A fresh nonce each time: two sends of the same claims cannot be
	// linked by their tokens, and both verify.
	tok2, _ := l.Sign(c)
	if tok2 == tok {
		t.Errorf("Sign repeated a token")
	}
	if got, err := l.Verify(tok2, "view", t0); err != nil || got != c {
		t.Errorf("second token: %+v, %v", got, err)
	}
	// Empty message and channel are allowed; sub-second expiry truncates.
	c2 := LinkClaims{Profile: c.Profile, Purpose: "unsubscribe", Expires: t0.Add(time.Hour + 300*time.Millisecond)}
	tok, _ = l.Sign(c2)
	got, err = l.Verify(tok, "unsubscribe", t0)
	if err != nil || got.Message != "" || !got.Expires.Equal(t0.Add(time.Hour)) {
		t.Errorf("Verify = %+v, %v", got, err)
	}
}

func TestLinkRejections(t *testing.T) {
	l := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{1: key1}, Current: 1})
	tok, _ := l.Sign(testClaims(t))
	raw, _ := base64.RawURLEncoding.DecodeString(tok)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return base64.RawURLEncoding.EncodeToString(b)
	}
	other := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{1: key2}, Current: 1})
	otherTok, _ := other.Sign(testClaims(t))
	unknown := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{9: key1}, Current: 9})
	unknownTok, _ := unknown.Sign(testClaims(t))
	for _, tc := range []struct {
		name, tok, purpose string
		now                time.Time
		want               error
	}{
		{"not base64", "!!!", "view", t0, ErrTokenMalformed},
		{"padding", tok + "=", "view", t0, ErrTokenMalformed},
		{"empty", "", "view", t0, ErrTokenMalformed},
		{"truncated into the header", tok[:12], "view", t0, ErrTokenMalformed},
		{"truncated", tok[:len(tok)-5], "view", t0, ErrTokenTampered}, // the tag no longer matches
		{"format 3", "Aw" + tok[2:], "view", t0, ErrTokenMalformed},
		{"version", flip(0), "view", t0, ErrTokenMalformed},
		{"huge", strings.Repeat("A", 5000), "view", t0, ErrTokenMalformed},
		{"profile byte flipped", flip(10), "view", t0, ErrTokenTampered},
		{"message byte flipped", flip(25), "view", t0, ErrTokenTampered},
		{"mac flipped", flip(len(raw) - 1), "view", t0, ErrTokenTampered},
		{"expiry flipped", flip(3), "view", t0, ErrTokenTampered},
		{"other secret", otherTok, "view", t0, ErrTokenTampered},
		{"unknown key", unknownTok, "view", t0, ErrTokenUnknownKey},
		{"expired", tok, "view", t0.Add(73 * time.Hour), ErrTokenExpired},
		{"wrong purpose", tok, "pay", t0, ErrTokenPurpose},
	} {
		_, err := l.Verify(tc.tok, tc.purpose, tc.now)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	// Exactly at expiry still verifies; leeway extends it.
	if _, err := l.Verify(tok, "view", t0.Add(72*time.Hour)); err != nil {
		t.Errorf("at expiry: %v", err)
	}
	lee := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{1: key1}, Current: 1, Leeway: 2 * time.Minute})
	if _, err := lee.Verify(tok, "view", t0.Add(72*time.Hour+time.Minute)); err != nil {
		t.Errorf("within leeway: %v", err)
	}
}

func TestLinkRotation(t *testing.T) {
	old := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{1: key1}, Current: 1})
	oldTok, _ := old.Sign(testClaims(t))
	// Rotate: key 2 current, key 1 still accepted.
	both := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{1: key1, 2: key2}, Current: 2})
	newTok, _ := both.Sign(testClaims(t))
	for _, tok := range []string{oldTok, newTok} {
		if _, err := both.Verify(tok, "view", t0); err != nil {
			t.Errorf("during rotation: %v", err)
		}
	}
	if c, _ := both.Verify(newTok, "view", t0); c.KeyID != 2 {
		t.Errorf("new token key = %d", c.KeyID)
	}
	// Retire key 1.
	retired := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{2: key2}, Current: 2})
	if _, err := retired.Verify(oldTok, "view", t0); !errors.Is(err, ErrTokenUnknownKey) {
		t.Errorf("retired key: %v", err)
	}
	if _, err := retired.Verify(newTok, "view", t0); err != nil {
		t.Errorf("after retirement: %v", err)
	}
}

func TestLinkConfigAndClaimErrors(t *testing.T) {
	for _, cfg := range []LinkOptions{
		{},
		{Keys: map[uint32][]byte{1: key1}, Current: 2},
		{Keys: map[uint32][]byte{1: key1[:31]}, Current: 1},
	} {
		if _, err := NewLinks(&cfg); !errors.Is(err, ErrTokenClaims) {
			t.Errorf("NewLinks(%v) = %v", cfg.Current, err)
		}
	}
	l := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{1: key1}, Current: 1})
	good := testClaims(t)
	for name, mut := range map[string]func(*LinkClaims){
		"no purpose":   func(c *LinkClaims) { c.Purpose = "" },
		"long message": func(c *LinkClaims) { c.Message = strings.Repeat("m", 256) },
		"long channel": func(c *LinkClaims) { c.Channel = strings.Repeat("c", 256) },
		"zero profile": func(c *LinkClaims) { c.Profile = identity.ProfileID{} },
		"no expiry":    func(c *LinkClaims) { c.Expires = time.Time{} },
	} {
		c := good
		mut(&c)
		if _, err := l.Sign(c); !errors.Is(err, ErrTokenClaims) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Secrets are copied: changing the caller's slice changes nothing.
	k := append([]byte(nil), key1...)
	l2 := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{1: k}, Current: 1})
	tok, _ := l2.Sign(good)
	k[0] ^= 0xff
	if _, err := l2.Verify(tok, "view", t0); err != nil {
		t.Errorf("key not copied: %v", err)
	}
}

// TestForwardedLinkDoesNotMerge: the buyer's SMS link is forwarded to the
// spouse, who clicks it in a browser already known as hers (she left her own
// email in a form). The click must yield no evidence, so the two stay apart;
// a click from the buyer's own or a fresh browser attaches it to the buyer.
func TestForwardedLinkDoesNotMerge(t *testing.T) {
	g, err := identity.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	id := func(k identity.Kind, v string) identity.ID { return identity.ID{Kind: k, Value: v} }
	must := func(o identity.Observation) {
		if _, err := g.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	must(identity.Observation{Time: t0, Source: "web_form", IDs: []identity.ID{id(identity.Phone, "+79161234567"), id(identity.Cookie, "GA1.2.111.1")}})
	must(identity.Observation{Time: t0, Source: "web_form", IDs: []identity.ID{id(identity.Email, "spouse@mail.ru"), id(identity.Cookie, "GA1.2.222.2")}})
	buyer, _ := g.Resolve(identity.Phone, "+79161234567")
	spouse, _ := g.Resolve(identity.Email, "spouse@mail.ru")

	l := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{1: key1}, Current: 1})
	tok, _ := l.Sign(LinkClaims{Profile: buyer, Message: "m1", Channel: "sms", Purpose: "view", Expires: t0.Add(time.Hour)})
	c, err := l.Verify(tok, "view", t0)
	if err != nil {
		t.Fatal(err)
	}
	// The click in her browser yields no evidence: the link was forwarded.
	if _, err := ClickObservation(g, c, "GA1.2.222.2", t0.Add(time.Minute)); !errors.Is(err, ErrForeignBrowser) {
		t.Fatalf("click in the spouse's browser: %v, want ErrForeignBrowser", err)
	}
	b2, _ := g.Resolve(identity.Phone, "+79161234567")
	s2, _ := g.Resolve(identity.Email, "spouse@mail.ru")
	if b2 == s2 || b2 != buyer || s2 != spouse {
		t.Fatalf("profiles changed: %s→%s, %s→%s", buyer, b2, spouse, s2)
	}

	// The buyer's own known browser and a fresh browser give evidence.
	o, err := ClickObservation(g, c, "GA1.2.111.1", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if o.Source != "sms_click" || o.Trust != identity.TrustDefault || o.IDs[0] != id(identity.Phone, "+79161234567") {
		t.Errorf("observation %+v: want sms_click with the source's trust and the buyer's phone", o)
	}
	must(o)
	// A fresh browser clicking the buyer's link joins the buyer.
	o, err = ClickObservation(g, c, "GA1.2.333.3", t0.Add(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	must(o)
	if p, _ := g.Resolve(identity.Cookie, "GA1.2.333.3"); p != buyer {
		t.Errorf("fresh cookie resolved to %s, want buyer %s", p, buyer)
	}

	// Forgotten profile: no evidence.
	if _, err := g.Forget(context.Background(), identity.Phone, "+79161234567"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Forget(context.Background(), identity.Cookie, "GA1.2.111.1"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Forget(context.Background(), identity.Cookie, "GA1.2.333.3"); err != nil {
		t.Fatal(err)
	}
	if _, err := ClickObservation(g, c, "", t0); err == nil {
		t.Error("empty cookie accepted")
	}
	if _, err := ClickObservation(g, c, "GA1.2.444.4", t0); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("forgotten profile: %v", err)
	}
}

// FuzzVerify: arbitrary tokens never panic, and anything that verifies
// re-signs to the same token (no two encodings of one claim set).
func FuzzVerify(f *testing.F) {
	l := mustLinks(f, LinkOptions{Keys: map[uint32][]byte{1: key1, 300: key2}, Current: 1})
	tok, _ := l.Sign(testClaims(f))
	f.Add(tok)
	f.Add(tok[:20])
	f.Add("")
	f.Add("AQ")
	f.Add("AQGAse-GB3CIa0TSMZZZTuq3SxcuSeoHc2VuZC00MgNzbXMEdmlld3s1G_5WwYHXBgkW") // format 1, key1
	l300 := mustLinks(f, LinkOptions{Keys: map[uint32][]byte{300: key2}, Current: 300})
	tok300, _ := l300.Sign(testClaims(f))
	f.Add(tok300)
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := l.Verify(tok, "view", t0)
		if err != nil {
			if !errors.Is(err, ErrTokenMalformed) && !errors.Is(err, ErrTokenUnknownKey) && !errors.Is(err, ErrTokenTampered) &&
				!errors.Is(err, ErrTokenExpired) && !errors.Is(err, ErrTokenPurpose) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		// Only a real token verifies: its claims sign again and verify
		// to themselves.
		signer := l
		if c.KeyID == 300 {
			signer = l300
		}
		again, err := signer.Sign(c)
		if err != nil {
			t.Fatalf("verified %q but its claims do not sign: %v", tok, err)
		}
		if back, err := l.Verify(again, "view", t0); err != nil || back != c {
			t.Fatalf("verified %q to %+v, re-signed to %+v (%v)", tok, c, back, err)
		}
	})
}

func BenchmarkLinkVerify(b *testing.B) {
	l := mustLinks(b, LinkOptions{Keys: map[uint32][]byte{1: key1}, Current: 1})
	tok, _ := l.Sign(testClaims(b))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := l.Verify(tok, "view", t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLinkSign(b *testing.B) {
	l := mustLinks(b, LinkOptions{Keys: map[uint32][]byte{1: key1}, Current: 1})
	c := testClaims(b)
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = l.AppendToken(buf[:0], c)
	}
}
