package identity

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"github.com/cespare/xxhash/v2"
)

// A ProfileID names a profile. It is derived from the profile's anchor
// identifier (see the package doc), so it depends only on which identifiers
// the profile holds, never on the order they arrived in. It prints as a UUID
// (version 8, "custom") so it fits columns and APIs that expect one.
//
// Profile IDs come from a fast non-cryptographic hash of an identifier: they
// are pseudonyms, not a privacy boundary. Treat them as personal data.
//
// The zero ProfileID names no profile.
type ProfileID struct {
	hi, lo uint64
}

// IsZero reports whether p is the zero ProfileID.
func (p ProfileID) IsZero() bool { return p == ProfileID{} }

// Compare orders profile IDs by their bytes, as their string forms sort.
func (p ProfileID) Compare(q ProfileID) int {
	switch {
	case p.hi < q.hi:
		return -1
	case p.hi > q.hi:
		return 1
	case p.lo < q.lo:
		return -1
	case p.lo > q.lo:
		return 1
	}
	return 0
}

// String returns the UUID form, "xxxxxxxx-xxxx-8xxx-xxxx-xxxxxxxxxxxx".
func (p ProfileID) String() string {
	b, _ := p.MarshalText()
	return string(b)
}

// AppendText implements encoding.TextAppender.
func (p ProfileID) AppendText(b []byte) ([]byte, error) {
	var raw [16]byte
	for i := 0; i < 8; i++ {
		raw[i] = byte(p.hi >> (56 - 8*i))
		raw[8+i] = byte(p.lo >> (56 - 8*i))
	}
	var out [36]byte
	hex.Encode(out[0:8], raw[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], raw[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], raw[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], raw[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], raw[10:16])
	return append(b, out[:]...), nil
}

// MarshalText implements encoding.TextMarshaler.
func (p ProfileID) MarshalText() ([]byte, error) { return p.AppendText(make([]byte, 0, 36)) }

// UnmarshalText implements encoding.TextUnmarshaler.
func (p *ProfileID) UnmarshalText(b []byte) error {
	q, err := ParseProfileID(string(b))
	if err != nil {
		return err
	}
	*p = q
	return nil
}

// ParseProfileID parses the form String returns.
func ParseProfileID(s string) (ProfileID, error) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return ProfileID{}, fmt.Errorf("identity: profile ID %q: %w", truncate(s, 40), ErrMalformed)
	}
	var raw [16]byte
	hexs := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(raw[:], []byte(hexs)); err != nil {
		return ProfileID{}, fmt.Errorf("identity: profile ID %q: %w", truncate(s, 40), ErrMalformed)
	}
	var p ProfileID
	for i := 0; i < 8; i++ {
		p.hi = p.hi<<8 | uint64(raw[i])
		p.lo = p.lo<<8 | uint64(raw[8+i])
	}
	return p, nil
}

// idLo returns the low half of the ID a value anchors (the high half is the
// index hash, which carries the UUID version nibble, see Graph.hashID): an
// independent seeded hash of kind and value, with the RFC 4122 variant bits.
func idLo(kind Kind, value string) uint64 {
	var d xxhash.Digest
	d.ResetWithSeed(0x7468726f756768) // "through"
	d.WriteString(string(kind))
	d.Write([]byte{0})
	d.WriteString(value)
	return d.Sum64()&^(0x3<<62) | 0x2<<62
}

// As16 returns the 16 bytes of the UUID form, as MarshalBinary does, without
// allocating: for a caller's hash tables and compact keys.
func (p ProfileID) As16() (b [16]byte) {
	binary.BigEndian.PutUint64(b[:8], p.hi)
	binary.BigEndian.PutUint64(b[8:], p.lo)
	return b
}

// MarshalBinary implements encoding.BinaryMarshaler: the 16 bytes of the
// UUID form, for compact tokens and keys.
func (p ProfileID) MarshalBinary() ([]byte, error) {
	b := p.As16()
	return b[:], nil
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (p *ProfileID) UnmarshalBinary(b []byte) error {
	if len(b) != 16 {
		return &ParseError{Kind: "profile", Input: hex.EncodeToString(b), Reason: "want 16 bytes", Err: ErrMalformed}
	}
	p.hi, p.lo = binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
	return nil
}
