package identity_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/throughline/throughline/identity"
)

func ExampleGraph_Explain() {
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.111.222"}, {Kind: identity.Email, Value: "anna@mail.ru"}}})
	g.Observe(identity.Observation{Source: "crm_import", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	steps, _ := g.Explain(identity.MustParseID(identity.Cookie, "111.222"), identity.MustParseID(identity.Phone, "+79161234567"))
	for _, s := range steps {
		fmt.Println(s.From, "→", s.To, "by", s.Source, s.Trust)
	}
	// Output:
	// cookie:111.222 → email:anna@mail.ru by web_form asserted
	// email:anna@mail.ru → phone:+79161234567 by crm_import verified
}

func ExampleGraph_WhyNot() {
	g, _ := identity.New(nil)
	// Staff typed a placeholder into two customers' forms.
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Email, Value: "test@test.ru"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Email, Value: "test@test.ru"}, {Kind: identity.Phone, Value: "+79037654321"}}})
	refusals, _ := g.WhyNot(identity.MustParseID(identity.Phone, "+79161234567"), identity.MustParseID(identity.Phone, "+79037654321"))
	for _, r := range refusals {
		fmt.Println(r)
	}
	// Output:
	// junk: email:test@test.ru (placeholder domain)
}

func ExampleGraph_Forget() {
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.111.222"}, {Kind: identity.Email, Value: "anna@mail.ru"}}})
	g.Observe(identity.Observation{Source: "crm_import", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	// The email held the cookie and the phone together; erasing it splits them.
	dry, _ := g.PreviewForget(identity.Email, "anna@mail.ru")
	fmt.Println("dry run: splits", len(dry.Splits), "into", len(dry.Splits[0].Into))
	if _, err := g.Resolve(identity.Email, "anna@mail.ru"); err == nil {
		fmt.Println("a dry run changes nothing")
	}
	g.Forget(context.Background(), identity.Email, "anna@mail.ru")
	_, err := g.Resolve(identity.Email, "anna@mail.ru")
	fmt.Println(err != nil)
	// A replayed form cannot bring it back.
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	_, err = g.Resolve(identity.Email, "anna@mail.ru")
	fmt.Println(err != nil)
	// Output:
	// dry run: splits 1 into 2
	// a dry run changes nothing
	// true
	// true
}

func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "graph")
	defer os.RemoveAll(dir)
	g, _ := identity.Open(context.Background(), dir, nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}, {Kind: identity.Phone, Value: "+79161234567"}}})
	p, _ := g.Resolve(identity.Email, "anna@mail.ru")
	g.Close()

	// After a restart the journal is replayed.
	g, _ = identity.Open(context.Background(), dir, nil)
	defer g.Close()
	q, _ := g.Resolve(identity.Phone, "8 916 123-45-67")
	fmt.Println(p == q, g.Recovery().Records)
	// Output:
	// true 1
}

// A CRM record imported by mistake glued two people; retracting it splits
// them again, and the change names the profiles for the stores that follow.
func ExampleGraph_Retract() {
	g, _ := identity.New(nil)
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.1.1"}, {Kind: identity.Email, Value: "anna@mail.ru"}}})
	g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.2.2"}, {Kind: identity.Phone, Value: "+79160000002"}}})
	wrong, _ := g.Observe(identity.Observation{Source: "crm_import", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}, {Kind: identity.Phone, Value: "+79160000002"}}})
	fmt.Println("merged:", len(wrong.Merges))

	dry, _ := g.PreviewRetract(wrong.Observation)
	fmt.Println("a dry run would split into", len(dry.Splits[0].Into))
	ch, _ := g.Retract(wrong.Observation)
	a, _ := g.Resolve(identity.Email, "anna@mail.ru")
	b, _ := g.Resolve(identity.Phone, "+79160000002")
	fmt.Println("split into", len(ch.Splits[0].Into), "; together:", a == b)
	// Output:
	// merged: 1
	// a dry run would split into 2
	// split into 2 ; together: false
}

// ExampleBridge shows the merge decision's score: a second phone typed once
// on the person's laptop stays apart (it could be anyone's who sat there);
// typed again on another of the person's browsers, it merges.
func ExampleBridge() {
	day := func(d int) time.Time { return time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	form := func(d int, ids ...identity.ID) identity.Observation {
		return identity.Observation{Time: day(d), Source: "web_form", IDs: ids}
	}
	cookie := func(v string) identity.ID { return identity.ID{Kind: identity.Cookie, Value: v} }
	ivan, second := identity.MustParseID(identity.Email, "ivan@mail.ru"), identity.MustParseID(identity.Phone, "+79037654321")
	first := identity.ID{Kind: identity.Phone, Value: "+79161234567"}
	g, _ := identity.New(nil)
	g.Observe(form(0, cookie("GA1.2.111.222"), ivan, first))
	g.Observe(form(3, cookie("GA1.2.111.222"), second))
	refusals, _ := g.WhyNot(ivan, second)
	for _, r := range refusals {
		fmt.Println(r)
	}
	g.Observe(form(5, cookie("GA1.2.333.444"), ivan))
	g.Observe(form(6, cookie("GA1.2.333.444"), second))
	g.Observe(identity.Observation{Time: day(7), Source: "call", IDs: []identity.ID{second, cookie("GA1.2.111.222")}})
	a, _ := g.ResolveID(ivan)
	b, _ := g.ResolveID(second)
	fmt.Println("after two browsers and a call, one profile:", a == b)
	// Output:
	// bridge refused: email:ivan@mail.ru / phone:+79037654321 (score +0 < 1: shared 1, typed on 1; clash -6; typed +3; covered +3)
	// shared: cookie:111.222 / email:ivan@mail.ru
	// after two browsers and a call, one profile: true
}

// ExampleGraph_Calibration shows the threshold learned from the graph's
// own bridges: a second phone typed once on its owner's browser scores 0
// and waits while the graph is new; once hundreds of people's bridges show
// no household typing on shared browsers, bridges like it merge.
func ExampleGraph_Calibration() {
	day := func(d int) time.Time { return time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	form := func(d int, ids ...string) identity.Observation {
		o := identity.Observation{Time: day(d), Source: "web_form"}
		for i := 0; i < len(ids); i += 2 {
			o.IDs = append(o.IDs, identity.ID{Kind: identity.Kind(ids[i]), Value: ids[i+1]})
		}
		return o
	}
	g, _ := identity.New(nil)
	g.Observe(form(0, "cookie", "GA1.2.111.222", "email", "ivan@mail.ru", "phone", "+79161234567"))
	g.Observe(form(3, "cookie", "GA1.2.111.222", "phone", "+79037654321"))
	together := func() bool {
		a, _ := g.Resolve(identity.Phone, "+79161234567")
		b, _ := g.Resolve(identity.Phone, "+79037654321")
		return a == b
	}
	fmt.Printf("new graph: %+v, second phone joined: %v\n", g.Calibration(), together())
	// People who sent an email in one form and a phone in another from
	// their one browser: bridges of one person each.
	for i := range 300 {
		cookie := fmt.Sprintf("GA1.2.%d.1700000000", 1000+i)
		g.Observe(form(0, "cookie", cookie, "email", fmt.Sprintf("client%d@mail.ru", i)))
		g.Observe(form(1, "cookie", cookie, "phone", fmt.Sprintf("+7916%07d", 2000000+i)))
	}
	c := g.Calibration()
	fmt.Printf("%d bridges, %d plainly two people's: rate %.4f, threshold %g, second phone joined: %v\n", c.Pairs, c.Shared, c.Rate, c.Threshold, together())
	// Output:
	// new graph: {Pairs:1 Shared:0 Rate:0.01996007984031936 Threshold:1}, second phone joined: false
	// 301 bridges, 0 plainly two people's: rate 0.0125, threshold 0, second phone joined: true
}
