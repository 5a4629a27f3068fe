package channel_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
)

// A click on a personal link attaches the clicking browser to the
// profile; a forwarded link clicked in someone else's browser does not.
func ExampleClickObservation() {
	g, _ := identity.New(nil)
	ch, _ := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Phone, Value: "+79161234567"}}})
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Email, Value: "wife@mail.ru"}, {Kind: identity.Cookie, Value: "GA1.2.999.1"}}})

	links, _ := channel.NewLinks(&channel.LinkOptions{Keys: map[uint32][]byte{1: []byte("an example secret of 32+ bytes!!")}, Current: 1})
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tok, _ := links.Sign(channel.LinkClaims{Profile: ch.Profile, Message: "send-7", Channel: "sms", Purpose: "offer", Expires: at.Add(72 * time.Hour)})
	claims, _ := links.Verify(tok, "offer", at.Add(time.Hour))

	obs, err := channel.ClickObservation(g, claims, "GA1.2.123.456", at.Add(time.Hour)) // his new phone browser
	fmt.Println(obs.Source, obs.IDs, err)
	ch2, _ := g.Observe(obs)
	fmt.Println(ch2.Profile == ch.Profile)

	_, err = channel.ClickObservation(g, claims, "GA1.2.999.1", at.Add(2*time.Hour)) // forwarded to his wife
	fmt.Println(errors.Is(err, channel.ErrForeignBrowser))
	// Output:
	// sms_click [phone:+79161234567 cookie:123.456] <nil>
	// true
	// true
}
