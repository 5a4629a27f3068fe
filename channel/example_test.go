package channel_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
)

func ExampleClassifier_Classify() {
	c, err := channel.NewClassifier(&channel.ClassifierOptions{InternalHosts: []string{"dealer.ru"}})
	if err != nil {
		panic(err)
	}
	ga4 := channel.GA4()
	for _, t := range []channel.Arrival{
		{Landing: "https://dealer.ru/x5?utm_source=yandex&utm_medium=cpc&placement=search"},
		{Landing: "https://dealer.ru/x5?utm_source=yandex&utm_medium=cpc&placement=context"},
		{Landing: "https://dealer.ru/x5?utm_source=yandex&utm_medium=cpc&rt=4451"},
		{Landing: "https://dealer.ru/x5?gclid=Cj0KCQ"},
		{Referrer: "https://ok.ru/group/1"},
		{Referrer: "https://dealer.ru/cars"},
	} {
		fmt.Printf("%-28s GA4: %s\n", c.Classify(t).Channel, ga4.Classify(t).Channel)
	}
	// Output:
	// Yandex Direct                GA4: Paid Search
	// Yandex Advertising Network   GA4: Paid Search
	// Retargeting                  GA4: Paid Search
	// Google Ads                   GA4: Paid Search
	// OK                           GA4: Referral
	// Direct                       GA4: Referral
}

func ExampleLinks() {
	links, err := channel.NewLinks(&channel.LinkOptions{
		Keys:    map[uint32][]byte{2: []byte("an example secret of 32+ bytes!!")},
		Current: 2,
	})
	if err != nil {
		panic(err)
	}
	profile, _ := identity.ParseProfileID("0123abcd-4567-8def-8123-456789abcdef")
	sent := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tok, _ := links.Sign(channel.LinkClaims{
		Profile: profile, Message: "send-42", Channel: "sms", Purpose: "test-drive",
		Expires: sent.Add(7 * 24 * time.Hour),
	})
	link := "https://dealer.ru/l/" + tok
	fmt.Println(len(link), "characters; a fresh token for every send")

	c, err := links.Verify(tok, "test-drive", sent.Add(time.Hour))
	fmt.Println(c.Profile, c.Message, c.Channel, err)
	_, err = links.Verify(tok, "test-drive", sent.Add(8*24*time.Hour))
	fmt.Println(errors.Is(err, channel.ErrTokenExpired))
	_, err = links.Verify(tok, "unsubscribe", sent.Add(time.Hour))
	fmt.Println(errors.Is(err, channel.ErrTokenPurpose))
	// Output:
	// 119 characters; a fresh token for every send
	// 0123abcd-4567-8def-8123-456789abcdef send-42 sms <nil>
	// true
	// true
}

func ExampleReacher_Reach() {
	r, err := channel.NewReacher(&channel.ReachOptions{
		Preference: []string{"push", "sms", "email"},
		Caps:       map[string]channel.Cap{"*": {Day: 2, Week: 5}},
		Quiet:      map[string]channel.DailyWindow{"sms": channel.Hours(21, 0, 9, 0), "push": channel.Hours(21, 0, 9, 0)},
	})
	if err != nil {
		panic(err)
	}
	var buyer identity.ProfileID // the zero ID stands in for a real profile here
	vladivostok, _ := time.LoadLocation("Asia/Vladivostok")
	r.SetLocation(buyer, vladivostok)
	r.SetContact(buyer, "sms", "+79161234567")
	r.SetContact(buyer, "email", "buyer@mail.ru")
	granted := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	r.RecordConsent(buyer, channel.Consent{Channel: "sms", Purpose: "marketing", Status: channel.ConsentGranted, At: granted})
	r.RecordConsent(buyer, channel.Consent{Channel: "email", Purpose: "marketing", Status: channel.ConsentGranted, At: granted})

	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) // 22:00 in Vladivostok
	for _, x := range r.Reach(buyer, "marketing", now) {
		fmt.Println(x)
	}
	// Output:
	// push: no contact
	// sms: quiet until 09:00
	// email: reachable
}

func ExampleCallPool() {
	pool, err := channel.NewCallPool(&channel.CallPoolOptions{
		Numbers: []string{"+7 495 100-00-01", "+7 495 100-00-02"},
		Default: "+7 495 199-99-99",
	})
	if err != nil {
		panic(err)
	}
	t := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	shown, _ := pool.Assign(channel.SessionRef{Session: "s-1", Cookie: "GA1.2.123.456"}, t)
	pool.Leave("s-1", t.Add(4*time.Minute))

	m, _ := pool.Match(shown, "8 916 123-45-67", t.Add(5*time.Minute))
	s, ok := m.Session()
	fmt.Println(shown, s.Session, ok, m.Candidates[0].Confidence)
	o, _ := m.Observation()
	fmt.Println(o.Source, o.IDs)
	// Output:
	// +74951000001 s-1 true 1
	// call [phone:+79161234567 cookie:GA1.2.123.456]
}

// A Reacher opened on a directory keeps consents across restarts.
func ExampleOpenReacher() {
	dir, _ := os.MkdirTemp("", "reacher")
	defer os.RemoveAll(dir)
	cfg := channel.ReachOptions{Preference: []string{"sms"}}
	g, _ := identity.New(nil)
	ch, _ := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Phone, Value: "+79161234567"}}})
	noon := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

	r, _ := channel.OpenReacher(context.Background(), dir, &cfg)
	r.SetContact(ch.Profile, "sms", "+79161234567")
	r.RecordConsent(ch.Profile, channel.Consent{Channel: "sms", Purpose: "*", Status: channel.ConsentGranted, At: noon})
	r.RecordConsent(ch.Profile, channel.Consent{Channel: "sms", Purpose: "*", Status: channel.ConsentRevoked, At: noon.Add(time.Hour)})
	r.Close()

	// After a restart: the withdrawal is still there.
	r, _ = channel.OpenReacher(context.Background(), dir, &cfg)
	defer r.Close()
	fmt.Println(r.Recovery().Records, "changes replayed")
	fmt.Println(r.Reach(ch.Profile, "marketing", noon.Add(2*time.Hour))[0])
	// Output:
	// 3 changes replayed
	// sms: no consent
}
