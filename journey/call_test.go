package journey

import (
	"testing"
	"time"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
)

func TestCallEvent(t *testing.T) {
	pool, err := channel.NewCallPool(&channel.CallPoolOptions{Numbers: []string{"+74951000001"}, Default: "+74951999999"})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	num, _ := pool.Assign(channel.SessionRef{Session: "s1", Cookie: "GA1.2.1.1"}, at)
	m, err := pool.Match(num, "+79161234567", at.Add(time.Minute))
	if err != nil || !m.Matched {
		t.Fatalf("match %+v %v", m, err)
	}
	e := CallEvent(m)
	if e.Type != Call || e.Touch.Channel != "Call" || len(e.IDs) != 2 || e.IDs[0].Value != "GA1.2.1.1" || e.Props["session"] != "s1" {
		t.Fatalf("event %+v", e)
	}
	if e2 := CallEvent(m); e2.ID != e.ID {
		t.Error("call event IDs are not deterministic")
	}
	// The call joins the visitor's timeline through the cookie.
	g, _ := identity.New(nil)
	if _, err := g.Observe(identity.Observation{Time: at, Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.1.1"}, {Kind: identity.Email, Value: "a@mail.ru"}}}); err != nil {
		t.Fatal(err)
	}
	o, _ := m.Observation()
	if _, err := g.Observe(o); err != nil {
		t.Fatal(err)
	}
	s, _ := New(g, nil)
	if _, _, err := s.Add(e); err != nil {
		t.Fatal(err)
	}
	p, _ := g.Resolve(identity.Email, "a@mail.ru")
	n := 0
	for _, ev := range s.Timeline(p) {
		if ev.Type == Call {
			n++
		}
	}
	if n != 1 {
		t.Errorf("call events on the visitor's timeline: %d", n)
	}
	// Ambiguous or default-number calls carry the phone alone.
	md, _ := pool.Match("+74951999999", "+79161234567", at)
	if e := CallEvent(md); len(e.IDs) != 1 || e.IDs[0].Kind != identity.Phone {
		t.Errorf("default-number call event %+v", e)
	}
}
