package journey

import (
	"hash/maphash"
	"testing"

	"github.com/throughline/throughline/identity"
)

// TestListKeyer checks that lists which differ in any way (a kind, a
// value, the order, where one identifier ends and the next begins) get
// different keys, that one list gets one key from every keyer of the
// same seeds, and another under other seeds.
func TestListKeyer(t *testing.T) {
	id := func(k identity.Kind, v string) identity.ID { return identity.ID{Kind: k, Value: v} }
	lists := [][]identity.ID{
		nil,
		{id(identity.Cookie, "")},
		{id(identity.Cookie, "a")},
		{id(identity.Email, "a")},
		{id(identity.Cookie, "ab")},
		{id(identity.Cookie, "a"), id(identity.Cookie, "b")},
		{id(identity.Cookie, "b"), id(identity.Cookie, "a")},
		{id(identity.Cookie, "a\x00cookie\x00b")}, // the pieces of the list above, joined by NULs
		{id(identity.Cookie, "a\x01\x06cookie\x01b")},
		{id("cookie\x00a", "")},
		{id(identity.Cookie, "a"), id(identity.Cookie, "")},
		{id(identity.Cookie, "a"), id("", "")},
	}
	seeds := [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}
	k1, k2 := &listKeyer{seed: seeds}, &listKeyer{seed: seeds}
	other := &listKeyer{seed: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
	seen := map[[2]uint64]int{}
	for i, l := range lists {
		key := k1.key(l)
		if j, dup := seen[key]; dup {
			t.Fatalf("lists %d and %d: one key %x", j, i, key)
		}
		seen[key] = i
		if again := k2.key(l); again != key {
			t.Fatalf("list %d: key %x, then %x", i, key, again)
		}
		if o := other.key(l); o == key {
			t.Fatalf("list %d: the same key %x under other seeds", i, key)
		}
	}
}
