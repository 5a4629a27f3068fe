package segment_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/segment"
)

func ExampleWriteAudience() {
	p1, _ := identity.ParseProfileID("0190f5e2-0000-8000-8000-000000000001")
	contacts := []segment.Contact{{Profile: p1, Emails: []string{"Ivan.Petrov@Gmail.com"}, Phones: []string{"8 (916) 123-45-67"}}}
	// SHA-256 of "ivanpetrov@gmail.com" (Gmail's dots dropped) and of
	// "+79161234567".
	rep, err := segment.WriteAudience(os.Stdout, segment.ExportConfig{
		Platform:  segment.GoogleCustomerMatch,
		PaidMedia: func(identity.ProfileID) bool { return true }, // the host's consent check
	}, contacts)
	fmt.Println(rep.Rows, err)
	// Output:
	// Email,Phone
	// 427920025988c8ebe0e27edfb22ca56413a397f1824d8491b55c87b2e9695093,c795313d1a25fea4e552388ce7fb6102f550187a1132baa53b9872e5236dd8c6
	// 1 <nil>
}

// A ledger per destination sends only what changed since the last upload.
func ExampleLedger() {
	p1, _ := identity.ParseProfileID("0190f5e2-0000-8000-8000-000000000001")
	p2, _ := identity.ParseProfileID("0190f5e2-0000-8000-8000-000000000002")
	cfg := segment.ExportConfig{Platform: segment.MetaCustomAudiences, PaidMedia: func(identity.ProfileID) bool { return true }}
	ledger := segment.NewLedger(segment.MetaCustomAudiences)

	monday, _, _ := segment.BuildAudience(cfg, []segment.Contact{{Profile: p1, Emails: []string{"anna@mail.ru"}}, {Profile: p2, Emails: []string{"oleg@ya.ru"}}})
	add, remove, _ := ledger.Diff(monday)
	ledger.Apply(add, remove) // once the platform accepted the upload
	fmt.Println("monday: add", len(add.Rows), "remove", len(remove.Rows))

	// Oleg bought a car and left the segment; Anna changed her email.
	tuesday, _, _ := segment.BuildAudience(cfg, []segment.Contact{{Profile: p1, Emails: []string{"anna.new@mail.ru"}}})
	add, remove, _ = ledger.Diff(tuesday)
	ledger.Apply(add, remove)
	fmt.Println("tuesday: add", len(add.Rows), "remove", len(remove.Rows))

	var saved bytes.Buffer
	ledger.WriteTo(&saved)
	back, err := segment.ReadLedger(strings.NewReader(saved.String()))
	fmt.Println(back.Len(), err)
	// Output:
	// monday: add 2 remove 0
	// tuesday: add 1 remove 2
	// 1 <nil>
}

// Contracts go back to Google Ads tied to the last Google click before
// them; iOS clicks (gbraid, wbraid) go through the API.
func ExampleGoogleClickConversions() {
	g, _ := identity.New(nil)
	store, _ := journey.New(g, nil)
	cookie := []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.111.222"}}
	g.Observe(identity.Observation{Source: "web", IDs: cookie})
	store.Add(journey.Event{Time: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC), Type: journey.PageView, IDs: cookie,
		Touch: journey.Touch{Source: "google", Medium: "cpc", GCLID: "Cj0KCQjw-example"}})
	price, _ := journey.ParseMoney("3100000", "RUB")
	store.Add(journey.Event{Time: time.Date(2026, 6, 20, 12, 0, 0, 0, time.UTC), Type: journey.Contract, IDs: cookie, Value: price})

	rows, _, _ := segment.GoogleClickConversions(store, segment.GoogleConfig{
		Actions: map[journey.EventType]string{journey.Contract: "Showroom contract"}, Now: time.Date(2026, 6, 22, 0, 0, 0, 0, time.UTC)})
	api, err := segment.WriteGoogleClickConversions(os.Stdout, time.FixedZone("MSK", 3*3600), rows)
	fmt.Println(len(api), err)
	// Output:
	// Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency
	// Cj0KCQjw-example,Showroom contract,2026-06-20 15:00:00+03:00,3100000.00,RUB
	// 0 <nil>
}
