package channel

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sync"
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
// an email or phone; the profile ID is encrypted (see Links), the message
// ID, channel, purpose and expiry are signed but readable.
type LinkClaims struct {
	Profile identity.ProfileID
	Message string    // the send or message ID, at most 255 bytes
	Channel string    // "email", "sms", ...; at most 255 bytes
	Purpose string    // "view", "unsubscribe", "pay", ...; at most 255 bytes, not empty
	Expires time.Time // second precision; must be after 1970
	KeyID   uint32    // the key that signed it (set by Sign)
}

// Links signs and verifies personal-link tokens with HMAC-SHA-256 under a
// key ring. Rotation: add a new key and make it current; tokens signed with
// older keys verify while their keys stay in the ring, and fail with
// ErrTokenUnknownKey once removed.
//
// The profile ID inside a token is encrypted with AES-256 under a key
// derived from the same secret, the MAC serving as the IV (the SIV
// construction): profile IDs are pseudonyms, and a link forwarded, logged
// by a proxy or pasted into a chat should not show whose it is.
//
// Tokens are stateless bearer credentials: the same token verifies any
// number of times until it expires. A purpose that must be used once (a
// payment confirmation) needs the host to remember spent (KeyID, Message,
// Purpose) triples until expiry; the identity evidence of a click is
// idempotent and needs nothing.
//
// Links is safe for concurrent use.
type Links struct {
	current uint32
	keys    map[uint32]*linkKey
	leeway  time.Duration
}

type macPool struct{ sync.Pool }

// linkKey is one secret's derived state: the MAC and the cipher that hides
// the profile ID.
type linkKey struct {
	mac   *macPool
	block cipher.Block
}

// MinKeyLen is the shortest secret Links accepts: SHA-256's block of
// entropy, so the MAC is as strong as the hash.
const MinKeyLen = 32

// macLen is the MAC length kept in tokens: HMAC-SHA-256 truncated to 128
// bits (RFC 2104 §5 allows truncation to half the output), which keeps SMS
// links short while forging stays a 2^-128 guess per try.
const macLen = 16

const tokenVersion = 1

// LinkConfig configures NewLinks.
type LinkConfig struct {
	Keys    map[uint32][]byte // secrets by key ID, each at least MinKeyLen bytes
	Current uint32            // the key ID Sign uses; must be in Keys
	// Leeway accepts tokens this long past expiry, for clock skew between
	// the signing and verifying machines.
	Leeway time.Duration
}

// NewLinks returns a signer-verifier for cfg. The secrets are copied.
func NewLinks(cfg LinkConfig) (*Links, error) {
	if _, ok := cfg.Keys[cfg.Current]; !ok {
		return nil, fmt.Errorf("%w: current key %d not in the ring", ErrTokenClaims, cfg.Current)
	}
	l := &Links{current: cfg.Current, keys: map[uint32]*linkKey{}, leeway: cfg.Leeway}
	for id, k := range cfg.Keys {
		if len(k) < MinKeyLen {
			return nil, fmt.Errorf("%w: key %d is %d bytes, want at least %d", ErrTokenClaims, id, len(k), MinKeyLen)
		}
		key := append([]byte(nil), k...)
		p := &macPool{}
		p.New = func() any { return hmac.New(sha256.New, key) }
		// An independent AES-256 key for the profile, derived from the
		// secret, so one secret per key ID is all a host manages.
		kdf := hmac.New(sha256.New, key)
		kdf.Write([]byte("throughline/channel/link/profile-encryption"))
		block, err := aes.NewCipher(kdf.Sum(nil))
		if err != nil {
			return nil, err
		}
		l.keys[id] = &linkKey{mac: p, block: block}
	}
	return l, nil
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
	var buf [3*256 + 64]byte
	raw := buf[:0]
	raw = append(raw, tokenVersion)
	raw = binary.AppendUvarint(raw, uint64(l.current))
	raw = binary.AppendUvarint(raw, uint64(exp))
	pOff := len(raw)
	pid, _ := c.Profile.MarshalBinary()
	raw = append(raw, pid...)
	for _, s := range [...]string{c.Message, c.Channel, c.Purpose} {
		raw = append(raw, byte(len(s)))
		raw = append(raw, s...)
	}
	k := l.keys[l.current]
	body := len(raw)
	raw = k.mac.sum(raw, raw)
	k.crypt(raw[pOff:pOff+16], raw[body:])
	return base64.RawURLEncoding.AppendEncode(dst, raw), nil
}

// crypt encrypts or decrypts the 16 profile bytes in place: the synthetic
// IV construction (SIV), where the MAC of the plaintext is the counter
// block, so equal claims give equal tokens and any change to the
// ciphertext changes the decrypted profile and fails the MAC.
func (k *linkKey) crypt(profile, mac []byte) {
	var ks [aes.BlockSize]byte
	k.block.Encrypt(ks[:], mac[:aes.BlockSize])
	subtle.XORBytes(profile, profile, ks[:])
}

// sum appends the truncated MAC of msg to dst.
func (p *macPool) sum(dst, msg []byte) []byte {
	h := p.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	var full [sha256.Size]byte
	s := h.Sum(full[:0])
	p.Put(h)
	return append(dst, s[:macLen]...)
}

// Verify checks token and returns its claims. It fails with
// ErrTokenMalformed, ErrTokenUnknownKey, ErrTokenTampered, ErrTokenExpired
// or ErrTokenPurpose (in that order of checking); the MAC is compared in
// constant time, and no claim is trusted before it matches.
func (l *Links) Verify(token, purpose string, now time.Time) (LinkClaims, error) {
	var buf [1024]byte
	if base64.RawURLEncoding.DecodedLen(len(token)) > len(buf) {
		return LinkClaims{}, fmt.Errorf("%w: %d bytes", ErrTokenMalformed, len(token))
	}
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(token))
	if err != nil {
		return LinkClaims{}, fmt.Errorf("%w: %w", ErrTokenMalformed, err)
	}
	raw := buf[:n]
	c, body, pOff, err := decodeClaims(raw)
	if err != nil {
		return LinkClaims{}, err
	}
	k, ok := l.keys[c.KeyID]
	if !ok {
		return LinkClaims{}, fmt.Errorf("%w: key %d", ErrTokenUnknownKey, c.KeyID)
	}
	mac := raw[len(body):]
	k.crypt(body[pOff:pOff+16], mac)
	var macBuf [macLen]byte
	if !hmac.Equal(k.mac.sum(macBuf[:0], body), mac) {
		return LinkClaims{}, ErrTokenTampered
	}
	if err := c.Profile.UnmarshalBinary(body[pOff : pOff+16]); err != nil {
		return LinkClaims{}, fmt.Errorf("%w: profile", ErrTokenMalformed)
	}
	if now.After(c.Expires.Add(l.leeway)) {
		return LinkClaims{}, fmt.Errorf("%w at %s", ErrTokenExpired, c.Expires.Format(time.RFC3339))
	}
	if c.Purpose != purpose {
		return LinkClaims{}, fmt.Errorf("%w: %q, want %q", ErrTokenPurpose, c.Purpose, purpose)
	}
	return c, nil
}

// decodeClaims parses the token body but the still encrypted profile at
// body[pOff:pOff+16]; body is raw without the MAC.
func decodeClaims(raw []byte) (c LinkClaims, body []byte, pOff int, err error) {
	bad := func(why string) (LinkClaims, []byte, int, error) {
		return LinkClaims{}, nil, 0, fmt.Errorf("%w: %s", ErrTokenMalformed, why)
	}
	if len(raw) < 1+1+1+16+3+macLen {
		return bad("too short")
	}
	if raw[0] != tokenVersion {
		return bad(fmt.Sprintf("version %d", raw[0]))
	}
	rest := raw[1 : len(raw)-macLen]
	kid, k := binary.Uvarint(rest)
	if k <= 0 || kid > 1<<32-1 {
		return bad("key ID")
	}
	rest = rest[k:]
	exp, k := binary.Uvarint(rest)
	if k <= 0 || exp == 0 || exp > 1<<40 {
		return bad("expiry")
	}
	rest = rest[k:]
	if len(rest) < 16 {
		return bad("profile")
	}
	pOff = len(raw) - macLen - len(rest)
	rest = rest[16:]
	var s [3]string
	for i := range s {
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return bad("truncated field")
		}
		s[i] = string(rest[1 : 1+int(rest[0])])
		rest = rest[1+int(rest[0]):]
	}
	if len(rest) != 0 {
		return bad("trailing bytes")
	}
	c.KeyID = uint32(kid)
	c.Expires = time.Unix(int64(exp), 0).UTC()
	c.Message, c.Channel, c.Purpose = s[0], s[1], s[2]
	return c, raw[:len(raw)-macLen], pOff, nil
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
