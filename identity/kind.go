package identity

import (
	"fmt"
	"strings"
)

// A Kind names a family of identifiers: "email", "phone", a host's
// "loyalty_card". Kinds are plain strings so they read well in data files and
// stay stable across program versions; a [Graph] maps them to small integers
// internally.
type Kind string

// The built-in kinds.
const (
	Email  Kind = "email"  // an email address
	Phone  Kind = "phone"  // a telephone number, kept in E.164
	Cookie Kind = "cookie" // a browser cookie or analytics client ID (_ga, Metrica uid)
	Device Kind = "device" // an app or advertising device ID (IDFA, GAID)
	CRM    Kind = "crm"    // a CRM or login customer number
)

// A Class says whether an identifier names a person or a thing people share.
type Class uint8

const (
	// Soft identifiers name a browser or a device. Families share computers,
	// showrooms share tablets, so a soft identifier is weak evidence that two
	// sightings are the same person.
	Soft Class = iota
	// Hard identifiers (email, phone, CRM number) name a person.
	Hard
)

func (c Class) String() string {
	switch c {
	case Hard:
		return "hard"
	case Soft:
		return "soft"
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// A KindSpec describes a kind to a [Graph]: how its values are normalized and
// how strongly they identify a person.
type KindSpec struct {
	Kind       Kind
	Class      Class
	Normalizer Normalizer
	// Rank orders kinds when the graph picks the identifier a profile's ID is
	// derived from: lower ranks anchor first (see [ProfileID]). Built-in ranks
	// are crm 10, email 20, phone 30, device 40, cookie 50.
	Rank int
}

// BuiltinKinds returns the specs of the five built-in kinds; phoneRegion is
// the default region of the phone normalizer ("" means RU).
func BuiltinKinds(phoneRegion string) []KindSpec {
	return []KindSpec{
		{Kind: CRM, Class: Hard, Normalizer: NormalizerFunc(NormalizeCRM), Rank: 10},
		{Kind: Email, Class: Hard, Normalizer: NormalizerFunc(NormalizeEmail), Rank: 20},
		{Kind: Phone, Class: Hard, Normalizer: PhoneNormalizer{Region: phoneRegion}, Rank: 30},
		{Kind: Device, Class: Soft, Normalizer: NormalizerFunc(NormalizeDevice), Rank: 40},
		{Kind: Cookie, Class: Soft, Normalizer: NormalizerFunc(NormalizeCookie), Rank: 50},
	}
}

// validKindName reports whether a host-chosen kind name is usable: short,
// lower-case ASCII letters, digits and underscores, so it is safe in file
// formats and hashes.
func validKindName(k Kind) bool {
	if len(k) == 0 || len(k) > 32 {
		return false
	}
	return strings.IndexFunc(string(k), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) < 0
}
