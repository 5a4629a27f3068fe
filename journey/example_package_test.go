package journey_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// Example shows the package's job: events from every device a person used
// land on one timeline, which follows identity's merges, and become the
// journey a conversion is credited from.
func Example() {
	g, _ := identity.New(nil)
	s, _ := journey.New(g, nil)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	laptop := []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.1111.1700000000"}}
	phone := []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.2222.1700000000"}}
	g.Observe(identity.Observation{Time: at, Source: "web_form", IDs: append(laptop, identity.ID{Kind: identity.Email, Value: "anna@mail.ru"})})
	g.Observe(identity.Observation{Time: at, Source: "web_form", IDs: append(phone, identity.ID{Kind: identity.Phone, Value: "+79161234567"})})
	s.Add(journey.Event{Time: at, Type: journey.CarView, IDs: laptop, Touch: journey.Touch{Channel: "display"}})
	s.Add(journey.Event{Time: at.AddDate(0, 0, 3), Type: journey.Lead, IDs: phone, Touch: journey.Touch{Channel: "retargeting"}})
	// The CRM knows both contacts are Anna's: the timelines join.
	ch, _ := g.Observe(identity.Observation{Source: "crm_import", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	s.Follow(ch)
	s.Add(journey.Event{Time: at.AddDate(0, 0, 20), Type: journey.Contract, IDs: phone})
	for _, e := range s.Timeline(ch.Profile) {
		fmt.Println(strings.TrimSpace(e.Time.Format("Jan 2") + " " + string(e.Type) + " " + e.Touch.Channel))
	}
	paths, _ := s.AllPaths(context.Background(), journey.PathOptions{})
	for _, p := range paths {
		fmt.Println(p.Channels(), p.Conversions)
	}
	// Output:
	// Mar 1 car_view display
	// Mar 4 lead retargeting
	// Mar 21 contract
	// [display retargeting] 1
}
