package identity_test

import (
	"fmt"
	"time"

	"github.com/throughline/throughline/identity"
)

// Example shows the package's job: traces a person leaves on different
// forms and browsers become one profile, and any of them finds it.
func Example() {
	g, _ := identity.New(nil)
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	// A test-drive form on the home computer, then a call-back form on
	// the phone's browser, then the CRM record that names both.
	g.Observe(identity.Observation{Time: at, Source: "web_form", IDs: []identity.ID{
		{Kind: identity.Cookie, Value: "GA1.2.1111.1700000000"}, {Kind: identity.Email, Value: "Ivan.Petrov@Gmail.com"}}})
	g.Observe(identity.Observation{Time: at.Add(48 * time.Hour), Source: "web_form", IDs: []identity.ID{
		{Kind: identity.Cookie, Value: "GA1.2.2222.1700000000"}, {Kind: identity.Phone, Value: "8 (916) 123-45-67"}}})
	ch, _ := g.Observe(identity.Observation{Time: at.Add(72 * time.Hour), Source: "crm_import", IDs: []identity.ID{
		{Kind: identity.Email, Value: "ivanpetrov@gmail.com"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	fmt.Println("merges:", len(ch.Merges))
	p, _ := g.Resolve(identity.Cookie, "GA1.2.2222.1700000000")
	for id := range g.Keys(p) {
		fmt.Println(id)
	}
	// Output:
	// merges: 1
	// email:ivanpetrov@gmail.com
	// phone:+79161234567
	// cookie:1111.1700000000
	// cookie:2222.1700000000
}
