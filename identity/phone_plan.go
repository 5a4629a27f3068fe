package identity

import "sort"

// A phoneType is libphonenumber's type of a number in a numbering plan.
type phoneType uint8

const (
	phoneFixed phoneType = iota + 1
	phoneMobile
	phoneFixedOrMobile
	phoneTollFree
	phonePremium
	phoneSharedCost
	phoneVoIP
	phonePersonal
	phonePager
	phoneUAN
	phoneVoicemail
)

// A numberRange is a run of national significant numbers of one length
// [lo, hi) with one type (zphonemeta.go, from libphonenumber).
type numberRange struct {
	lo, hi uint64
	typ    phoneType
}

// planType returns the type of +7 nsn in the numbering plan of Russia and
// Kazakhstan, or 0 when no operator uses the number: "+7 000 000 00 00"
// and "+7 123 456 78 90" have the right length and are not telephone
// numbers. Only +7 is checked this way (the customers Throughline is built
// for are there); other calling codes are checked by length.
func planType(nsn string) phoneType {
	var n uint64
	for i := 0; i < len(nsn); i++ {
		n = n*10 + uint64(nsn[i]-'0')
	}
	// Ranges of different lengths do not overlap as numbers: a 14-digit
	// number is larger than every 10-digit one.
	i := sort.Search(len(plan7), func(i int) bool { return plan7[i].hi > n })
	if i < len(plan7) && plan7[i].lo <= n {
		return plan7[i].typ
	}
	return 0
}
