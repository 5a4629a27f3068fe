package channel

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"
)

// Format 1 tokens, verified only, so that links sent before format 2 keep
// working until they expire:
//
//	raw = 0x01 || uvarint(key ID) || uvarint(expiry) || AES-CTR-block(profile) || message, channel, purpose (length-prefixed) || MAC
//	MAC = HMAC-SHA-256(secret, raw before the MAC) truncated to 16 bytes
//
// where the profile ID is XORed with AES-256(HMAC-SHA-256(secret,
// "throughline/channel/link/profile-encryption"), MAC): the secret keys the
// MAC directly, which is why format 2 replaced it.
const (
	v1Version = 1
	v1MACLen  = 16
)

type v1Key struct {
	mac   sync.Pool // of hash.Hash: HMAC-SHA-256 under the secret
	block cipher.Block
}

func newV1Key(secret []byte) (*v1Key, error) {
	key := append([]byte(nil), secret...)
	k := &v1Key{}
	k.mac.New = func() any { return hmac.New(sha256.New, key) }
	kdf := hmac.New(sha256.New, key)
	kdf.Write([]byte("throughline/channel/link/profile-encryption"))
	block, err := aes.NewCipher(kdf.Sum(nil))
	if err != nil {
		return nil, err
	}
	k.block = block
	return k, nil
}

// sum appends the truncated MAC of msg to dst.
func (k *v1Key) sum(dst, msg []byte) []byte {
	h := k.mac.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	var full [sha256.Size]byte
	s := h.Sum(full[:0])
	k.mac.Put(h)
	return append(dst, s[:v1MACLen]...)
}

// verifyV1 checks a format 1 token (raw, decoded) and returns its claims.
func (l *Links) verifyV1(raw []byte) (LinkClaims, error) {
	if len(raw) < 1+1+1+16+3+v1MACLen {
		return LinkClaims{}, fmt.Errorf("%w: too short", ErrTokenMalformed)
	}
	body, mac := raw[:len(raw)-v1MACLen], raw[len(raw)-v1MACLen:]
	kid, k := binary.Uvarint(body[1:])
	if k <= 0 || kid > 1<<32-1 {
		return LinkClaims{}, fmt.Errorf("%w: key ID", ErrTokenMalformed)
	}
	exp, k2 := binary.Uvarint(body[1+k:])
	if k2 <= 0 || exp == 0 || exp > 1<<40 {
		return LinkClaims{}, fmt.Errorf("%w: expiry", ErrTokenMalformed)
	}
	pOff := 1 + k + k2
	if len(body) < pOff+16 {
		return LinkClaims{}, fmt.Errorf("%w: profile", ErrTokenMalformed)
	}
	key, ok := l.keys[uint32(kid)]
	if !ok {
		return LinkClaims{}, fmt.Errorf("%w: key %d", ErrTokenUnknownKey, kid)
	}
	var ks [aes.BlockSize]byte
	key.v1.block.Encrypt(ks[:], mac)
	subtle.XORBytes(body[pOff:pOff+16], body[pOff:pOff+16], ks[:])
	var macBuf [v1MACLen]byte
	if !hmac.Equal(key.v1.sum(macBuf[:0], body), mac) {
		return LinkClaims{}, ErrTokenTampered
	}
	// The same claims layout as format 2 after the key ID, but for the
	// profile's place: expiry first, then the profile, then the fields.
	c, err := decodeClaims(body[1+k:])
	c.KeyID = uint32(kid)
	return c, err
}
