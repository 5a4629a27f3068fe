package channel_test

import (
	"fmt"
	"time"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
)

// Example shows the package's job: name the channel a visit came from, and
// say on which channel the person may be reached now.
func Example() {
	c := channel.Default()
	for _, landing := range []string{
		"https://dealer.ru/x5?utm_source=yandex&utm_medium=cpc&placement=context",
		"https://dealer.ru/x5?utm_source=vk&utm_medium=cpc",
	} {
		fmt.Println(c.Classify(channel.Arrival{Landing: landing}).Channel)
	}

	r, _ := channel.NewReacher(&channel.ReachOptions{Preference: []string{"sms", "email"}, Quiet: map[string]channel.DailyWindow{"sms": channel.Hours(21, 0, 9, 0)}})
	g, _ := identity.New(nil)
	ch, _ := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Phone, Value: "+79161234567"}}})
	r.SetContact(ch.Profile, "sms", "+79161234567")
	r.RecordConsent(ch.Profile, channel.Consent{Channel: "sms", Purpose: "marketing", Status: channel.ConsentGranted, At: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	for _, x := range r.Reach(ch.Profile, "marketing", time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)) {
		fmt.Println(x)
	}
	// Output:
	// Yandex Advertising Network
	// Paid Social
	// sms: reachable
	// email: no contact
}
