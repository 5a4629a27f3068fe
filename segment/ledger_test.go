package segment

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/throughline/throughline/identity"
)

func TestLedgerDiff(t *testing.T) {
	cs, consent := readContacts(t)
	gate := func(p identity.ProfileID) bool { return consent[p] }
	cfg := ExportConfig{Platform: MetaCustomAudiences, PaidMedia: gate}
	first, _, err := BuildAudience(cfg, cs)
	if err != nil {
		t.Fatal(err)
	}
	l := NewLedger(MetaCustomAudiences)
	add, remove, err := l.Diff(first)
	if err != nil || len(add.Rows) != len(first.Rows) || len(remove.Rows) != 0 {
		t.Fatalf("first upload: +%d -%d, %v", len(add.Rows), len(remove.Rows), err)
	}
	if l.Len() != 0 {
		t.Fatal("Diff changed the ledger")
	}
	l.Apply(add, remove)

	// Next export: contact 1 changed email, contact 2 left the segment,
	// a new contact joined.
	next := slices.Clone(cs)
	next[0].Emails = []string{"ivan.new@mail.ru"}
	next = slices.Delete(next, 1, 2)
	newP, _ := identity.ParseProfileID("00000000-0000-0000-0000-00000000ffff")
	next = append(next, Contact{Profile: newP, Phones: []string{"+79169990000"}})
	consent[newP] = true
	second, _, _ := BuildAudience(cfg, next)
	add, remove, _ = l.Diff(second)
	oldEmail, _ := ExportEmail(MetaCustomAudiences, "Ivan.Petrov@Gmail.com")
	newEmail, _ := ExportEmail(MetaCustomAudiences, "ivan.new@mail.ru")
	has := func(a Audience, p identity.ProfileID, email string) bool {
		for _, r := range a.Rows {
			if r.Profile == p && (email == "" || r.Email == digest(SHA256, email)) {
				return true
			}
		}
		return false
	}
	if !has(remove, cs[0].Profile, oldEmail) || !has(add, cs[0].Profile, newEmail) {
		t.Errorf("changed email: the old hash must be removed and the new added")
	}
	if !has(remove, cs[1].Profile, "") || has(add, cs[1].Profile, "") {
		t.Errorf("left the segment: must be removed")
	}
	if !has(add, newP, "") {
		t.Errorf("joined: must be added")
	}
	if len(add.Rows) != 2 || len(remove.Rows) != 3 { // contact 2 had two rows
		t.Errorf("diff +%d -%d, want +2 -3", len(add.Rows), len(remove.Rows))
	}
	l.Apply(add, remove)
	if a, r, _ := l.Diff(second); len(a.Rows)+len(r.Rows) != 0 {
		t.Errorf("after Apply, diff is not empty")
	}
	if _, _, err := l.Diff(Audience{Platform: YandexAudiences}); !errors.Is(err, ErrLedger) {
		t.Errorf("platform mismatch: %v", err)
	}

	// Persistence round trip.
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	saved := buf.String()
	back, err := ReadLedger(strings.NewReader(saved))
	if err != nil || back.Len() != l.Len() {
		t.Fatalf("ReadLedger: %v, %d rows, want %d", err, back.Len(), l.Len())
	}
	if a, r, _ := back.Diff(second); len(a.Rows)+len(r.Rows) != 0 {
		t.Errorf("reloaded ledger differs")
	}
	if strings.Contains(saved, "@") {
		t.Errorf("ledger holds a clear-text email")
	}
	lines := strings.SplitAfter(saved, "\n")
	for _, bad := range []string{
		"",
		"not a ledger\n",
		ledgerMagic + "tiktok\n",
		lines[0] + "x,y\n",
		lines[0] + "nope," + strings.Repeat("a", 64) + ",\n",
		lines[0] + "00000000-0000-0000-0000-000000000001,,\n",
		lines[0] + "00000000-0000-0000-0000-000000000001,ivan@mail.ru,\n",
		lines[0] + "00000000-0000-0000-0000-000000000001," + strings.Repeat("A", 64) + ",\n",
		strings.Join(lines[:len(lines)-2], ""),                       // trailer cut off
		strings.Join(lines[:len(lines)-3], "") + lines[len(lines)-2], // a row lost
		saved + "end 0\n",
	} {
		if _, err := ReadLedger(strings.NewReader(bad)); !errors.Is(err, ErrLedger) {
			t.Errorf("ReadLedger(%q) = %v", bad, err)
		}
	}
}

// FuzzReadLedger: any input loads or fails with ErrLedger; what loads
// saves to a file that loads to the same rows.
func FuzzReadLedger(f *testing.F) {
	f.Add(ledgerMagic + "yandex_audiences\n00000000-0000-0000-0000-000000000001," + strings.Repeat("a", 32) + ",\nend 1\n")
	f.Add(ledgerMagic + "meta_custom_audiences\nend 0\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		l, err := ReadLedger(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrLedger) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		var buf bytes.Buffer
		l.WriteTo(&buf)
		back, err := ReadLedger(&buf)
		if err != nil || back.Len() != l.Len() {
			t.Fatalf("round trip: %v", err)
		}
	})
}
