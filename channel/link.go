package channel

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/throughline/throughline/identity"
)

// Errors of personal-link tokens. Verify returns exactly one of them
// (wrapped), checked in this order, so a caller can tell a broken link from
// a forged one from a stale one.
var (
	ErrTokenMalformed  = errors.New("channel: malformed link token")
	ErrTokenUnknownKey = errors.New("channel: link token signed with an unknown key")
	ErrTokenTampered   = errors.New("channel: link token signature mismatch")
	ErrTokenExpired    = errors.New("channel: link token expired")
	ErrTokenPurpose    = errors.New("channel: link token issued for another purpose")
	ErrTokenClaims     = errors.New("channel: invalid link token claims")
	ErrUnknownProfile  = errors.New("channel: profile no longer exists")
	ErrForeignBrowser  = errors.New("channel: link opened in another person's browser")
)

// LinkClaims are what a personal link vouches for. The token never carries
// an email or phone, and none of its claims is readable without the key.
type LinkClaims struct {
	Profile identity.ProfileID
	Message string    // the send or message ID, at most 255 bytes
	Channel string    // "email", "sms", ...; at most 255 bytes
	Purpose string    // "view", "unsubscribe", "pay", ...; at most 255 bytes, not empty
	Expires time.Time // second precision; must be after 1970
	KeyID   uint32    // the key that signed it (set by Sign)
}

// Links signs and verifies personal-link tokens: authenticated encryption
// of the claims under a key ring, built from standard parts.
//
// # Construction (format 2)
//
//	key   = HKDF-SHA-256(secret, salt "", info "throughline/channel/link/v2 aes-256-gcm", 32 bytes)
//	head  = 0x02 || uvarint(key ID)
//	claims = uvarint(expiry, Unix seconds) || profile ID (16 bytes)
//	         || len(message) || message || len(channel) || channel || len(purpose) || purpose
//	token = base64url-unpadded(head || nonce (12 random bytes) || AES-256-GCM(key, nonce, claims, additional data head))
//
// One secret per key ID is all a host manages; HKDF gives the cipher a key
// of its own, so the secret is never used directly. Tokens are random
// (a fresh nonce each), so two sends of the same claims cannot be linked by
// their tokens. channel/testdata/link_tokens_v2.tsv holds vectors, and a
// test rebuilds them from crypto/hkdf and crypto/cipher alone.
//
// # Threat model
//
// An attacker may see any number of tokens (a forwarded SMS, a proxy's log,
// a link pasted into a chat), alter them, replay them, and make up new ones.
//   - Forging a token, or changing any claim of a real one, needs the
//     secret: GCM's 128-bit tag fails with ErrTokenTampered.
//   - A token shows nothing of its claims, the profile ID included (a
//     pseudonym, but personal data), only the key ID and the length.
//   - A token expires (Verify with the caller's clock, plus Leeway) and
//     serves one purpose: an "unsubscribe" link cannot confirm a payment.
//   - Not covered: a token is a bearer credential and verifies any number
//     of times until it expires (a purpose that must be used once, such as
//     a payment confirmation, needs the host to remember spent (KeyID,
//     Message, Purpose) triples); the link itself is not revocable before
//     expiry except by retiring its key; whoever holds the secret can read
//     and mint tokens, so keep it as you keep database credentials.
//   - Random 96-bit nonces stay safe for 2^32 tokens per key (NIST SP
//     800-38D); rotate long before that (a group sending a million links a
//     day rotates yearly with a wide margin).
//
// # Rotation
//
// Add the new key to every verifier's ring first, then make it Current
// (tokens signed with any key in the ring verify, so the order across
// replicas does not matter), and remove the old key once the longest-lived
// token it signed has expired. A token whose key was removed fails with
// ErrTokenUnknownKey.
//
// # Format 1
//
// Tokens of the first format (HMAC-SHA-256 under the raw secret, profile ID
// under AES keyed by an HMAC of it) still verify until they expire, as long
// as their key is in the ring; Sign writes only format 2.
//
// Links is safe for concurrent use.
type Links struct {
	current uint32
	keys    map[uint32]*linkKey
	leeway  time.Duration
	nonce   func([]byte) // fills a nonce; crypto/rand but in tests
}

// linkKey is one secret's derived state: the format 2 AEAD and the format
// 1 verifier.
type linkKey struct {
	aead cipher.AEAD
	v1   *v1Key
}

// MinKeyLen is the shortest secret Links accepts: 256 bits.
const MinKeyLen = 32

const (
	tokenVersion = 2
	nonceLen     = 12 // GCM's standard nonce
	tagLen       = 16
	linkInfo     = "throughline/channel/link/v2 aes-256-gcm"
)

// LinkOptions configures NewLinks.
type LinkOptions struct {
	Keys    map[uint32][]byte // secrets by key ID, each at least MinKeyLen bytes
	Current uint32            // the key ID Sign uses; must be in Keys
	// Leeway accepts tokens this long past expiry, for clock skew between
	// the signing and verifying machines.
	Leeway time.Duration
}

// NewLinks returns a signer-verifier for cfg. The secrets are copied.
func NewLinks(opts *LinkOptions) (*Links, error) {
	var cfg LinkOptions
	if opts != nil {
		cfg = *opts
	}
	if _, ok := cfg.Keys[cfg.Current]; !ok {
		return nil, fmt.Errorf("%w: current key %d not in the ring", ErrTokenClaims, cfg.Current)
	}
	l := &Links{current: cfg.Current, keys: map[uint32]*linkKey{}, leeway: cfg.Leeway, nonce: func(b []byte) { rand.Read(b) }}
	for id, k := range cfg.Keys {
		if len(k) < MinKeyLen {
			return nil, fmt.Errorf("%w: key %d is %d bytes, want at least %d", ErrTokenClaims, id, len(k), MinKeyLen)
		}
		aead, err := linkAEAD(k)
		if err != nil {
			return nil, err
		}
		v1, err := newV1Key(k)
		if err != nil {
			return nil, err
		}
		l.keys[id] = &linkKey{aead: aead, v1: v1}
	}
	return l, nil
}

// linkAEAD derives the format 2 cipher from a secret.
func linkAEAD(secret []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, secret, nil, linkInfo, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Sign returns the URL-safe token for c, signed with the current key.
func (l *Links) Sign(c LinkClaims) (string, error) {
	b, err := l.AppendToken(nil, c)
	return string(b), err
}

// AppendToken appends the token for c to dst.
func (l *Links) AppendToken(dst []byte, c LinkClaims) ([]byte, error) {
	if c.Purpose == "" || len(c.Purpose) > 255 || len(c.Message) > 255 || len(c.Channel) > 255 {
		return dst, fmt.Errorf("%w: purpose required; message, channel, purpose at most 255 bytes", ErrTokenClaims)
	}
	if c.Profile.IsZero() {
		return dst, fmt.Errorf("%w: zero profile", ErrTokenClaims)
	}
	exp := c.Expires.Unix()
	if exp <= 0 {
		return dst, fmt.Errorf("%w: expiry %v before 1970", ErrTokenClaims, c.Expires)
	}
	var buf [4*256 + 64]byte
	raw := append(buf[:0], tokenVersion)
	raw = binary.AppendUvarint(raw, uint64(l.current))
	head := len(raw)
	raw = raw[:head+nonceLen]
	l.nonce(raw[head:])
	pt := binary.AppendUvarint(buf[512:512], uint64(exp))
	pid, _ := c.Profile.MarshalBinary()
	pt = append(pt, pid...)
	for _, s := range [...]string{c.Message, c.Channel, c.Purpose} {
		pt = append(pt, byte(len(s)))
		pt = append(pt, s...)
	}
	raw = l.keys[l.current].aead.Seal(raw, raw[head:], pt, raw[:head])
	return base64.RawURLEncoding.AppendEncode(dst, raw), nil
}

// Verify checks token and returns its claims. It fails with
// ErrTokenMalformed, ErrTokenUnknownKey, ErrTokenTampered, ErrTokenExpired
// or ErrTokenPurpose (in that order of checking); no claim is read before
// the tag (or a format 1 token's MAC, compared in constant time) matches.
func (l *Links) Verify(token, purpose string, now time.Time) (LinkClaims, error) {
	var buf [1024]byte
	if base64.RawURLEncoding.DecodedLen(len(token)) > len(buf) {
		return LinkClaims{}, fmt.Errorf("%w: %d bytes", ErrTokenMalformed, len(token))
	}
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(token))
	if err != nil {
		return LinkClaims{}, fmt.Errorf("%w: %w", ErrTokenMalformed, err)
	}
	var c LinkClaims
	switch raw := buf[:n]; {
	case n > 0 && raw[0] == tokenVersion:
		c, err = l.open(raw)
	case n > 0 && raw[0] == v1Version:
		c, err = l.verifyV1(raw)
	default:
		err = fmt.Errorf("%w: unknown format", ErrTokenMalformed)
	}
	if err != nil {
		return LinkClaims{}, err
	}
	if now.After(c.Expires.Add(l.leeway)) {
		return LinkClaims{}, fmt.Errorf("%w at %s", ErrTokenExpired, c.Expires.Format(time.RFC3339))
	}
	if c.Purpose != purpose {
		return LinkClaims{}, fmt.Errorf("%w: %q, want %q", ErrTokenPurpose, c.Purpose, purpose)
	}
	return c, nil
}

// open authenticates and decrypts a format 2 token.
func (l *Links) open(raw []byte) (LinkClaims, error) {
	kid, k := binary.Uvarint(raw[1:])
	if k <= 0 || kid > 1<<32-1 {
		return LinkClaims{}, fmt.Errorf("%w: key ID", ErrTokenMalformed)
	}
	head := 1 + k
	if len(raw) < head+nonceLen+tagLen {
		return LinkClaims{}, fmt.Errorf("%w: too short", ErrTokenMalformed)
	}
	key, ok := l.keys[uint32(kid)]
	if !ok {
		return LinkClaims{}, fmt.Errorf("%w: key %d", ErrTokenUnknownKey, kid)
	}
	ct := raw[head+nonceLen:]
	pt, err := key.aead.Open(ct[:0], raw[head:head+nonceLen], ct, raw[:head]) // in place
	if err != nil {
		return LinkClaims{}, ErrTokenTampered
	}
	c, err := decodeClaims(pt)
	c.KeyID = uint32(kid)
	return c, err
}

// decodeClaims parses authenticated claims: expiry, profile, message,
// channel, purpose.
func decodeClaims(b []byte) (LinkClaims, error) {
	var c LinkClaims
	bad := func(why string) (LinkClaims, error) {
		return LinkClaims{}, fmt.Errorf("%w: %s", ErrTokenMalformed, why)
	}
	exp, k := binary.Uvarint(b)
	if k <= 0 || exp == 0 || exp > 1<<40 {
		return bad("expiry")
	}
	b = b[k:]
	if len(b) < 16 || c.Profile.UnmarshalBinary(b[:16]) != nil {
		return bad("profile")
	}
	b = b[16:]
	var s [3]string
	for i := range s {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return bad("truncated field")
		}
		s[i] = string(b[1 : 1+int(b[0])])
		b = b[1+int(b[0]):]
	}
	if len(b) != 0 {
		return bad("trailing bytes")
	}
	c.Expires = time.Unix(int64(exp), 0).UTC()
	c.Message, c.Channel, c.Purpose = s[0], s[1], s[2]
	return c, nil
}

// ClickObservation turns a verified click into identity evidence: the
// clicking browser's cookie seen with the profile's strongest identifier,
// under the source "<channel>_click" (email_click, sms_click), whose
// default rule in identity is asserted and attach-only: it can give a new
// browser to the profile but is no mergeable evidence between two people.
//
// A click from a browser that already belongs to another profile holding
// hard identifiers yields no evidence and ErrForeignBrowser: the link was
// forwarded (a spouse, a friend), and recording it could still tip
// identity's dependence rule into gluing that person to the buyer. Hosts
// with their own identity.Policy.Sources must keep these sources
// attach-only.
//
// It fails with ErrUnknownProfile when the profile has been forgotten, and
// with identity's errors for a malformed cookie.
func ClickObservation(g *identity.Graph, c LinkClaims, cookie string, at time.Time) (identity.Observation, error) {
	p, ok := g.Current(c.Profile)
	if !ok {
		return identity.Observation{}, fmt.Errorf("%w: %s", ErrUnknownProfile, c.Profile)
	}
	var anchor identity.ID
	for id := range g.Keys(p) {
		anchor = id // Keys sorts strongest first
		break
	}
	if anchor.Kind == "" {
		return identity.Observation{}, fmt.Errorf("%w: %s", ErrUnknownProfile, c.Profile)
	}
	cid, err := g.Normalize(identity.Cookie, cookie)
	if err != nil {
		return identity.Observation{}, err
	}
	if owner, err := g.ResolveID(cid); err == nil && owner != p && hasHard(g, owner) {
		return identity.Observation{}, fmt.Errorf("%w: cookie belongs to profile %s", ErrForeignBrowser, owner)
	}
	src := c.Channel + "_click"
	if c.Channel == "" {
		src = "link_click"
	}
	return identity.Observation{
		Time:   at,
		Source: src,
		IDs:    []identity.ID{anchor, cid},
	}, nil
}

// hasHard reports whether profile p holds a hard identifier.
func hasHard(g *identity.Graph, p identity.ProfileID) bool {
	hard := map[identity.Kind]bool{}
	for _, k := range g.Kinds() {
		hard[k.Kind] = k.Class == identity.Hard
	}
	for id := range g.Keys(p) {
		if hard[id.Kind] {
			return true
		}
	}
	return false
}
