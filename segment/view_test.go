package segment

import (
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// TestEvaluateFor: one profile's segments through two companies' views:
// a test drive South recorded puts the person in "test_driven" for South,
// for North only under South's consent naming North, and never changes
// the group's memberships.
func TestEvaluateFor(t *testing.T) {
	g, _ := identity.New(nil)
	ids := []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}}
	if _, err := g.Observe(identity.Observation{Source: "web_form", IDs: ids}); err != nil {
		t.Fatal(err)
	}
	js, _ := journey.New(g, nil)
	set, err := ParseSet([]byte(`{"segments": [
		{"name": "test_driven", "when": {"count": {"event": {"type": "test_drive"}, "min": 1}}},
		{"name": "lead", "when": {"count": {"event": {"type": "lead"}, "min": 1}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(set, &Options{Store: js, Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for _, ev := range []journey.Event{
		{Time: now.Add(-72 * time.Hour), Type: journey.Lead, IDs: ids, Company: "North"},
		{Time: now.Add(-48 * time.Hour), Type: journey.TestDrive, IDs: ids, Company: "South"},
	} {
		if _, err := e.Add(ev, now); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := g.Resolve(identity.Email, "anna@mail.ru")
	r, _ := channel.NewReacher(&channel.ReachOptions{Preference: []string{"email"}})
	north, south := identity.Viewer{Company: "North", Purpose: "service"}, identity.Viewer{Company: "South", Purpose: "service"}
	view := func(v identity.Viewer) string { return strings.Join(e.EvaluateFor(p, v, r, now), " ") }
	if got := view(north); got != "lead" {
		t.Errorf("North: %q", got)
	}
	if got := view(south); got != "test_driven" {
		t.Errorf("South: %q", got)
	}
	if err := r.RecordConsent(p, channel.Consent{Channel: "email", Purpose: "service", Status: channel.ConsentGranted, At: now.Add(-time.Hour), Company: "South", Recipients: []string{"North"}}); err != nil {
		t.Fatal(err)
	}
	if got := view(north); got != "test_driven lead" {
		t.Errorf("North under South's basis: %q", got)
	}
	if got := strings.Join(e.Evaluate(p, now), " "); got != "test_driven lead" || !e.Is(p, "test_driven") {
		t.Errorf("the group's memberships changed: %q", got)
	}
}

// TestAudienceForViewer: an audience file built for one company from
// ContactFor holds only the addresses that company's evidence carries.
func TestAudienceForViewer(t *testing.T) {
	g, _ := identity.New(nil)
	for _, o := range []identity.Observation{
		{Source: "web_form", Company: "North", IDs: []identity.ID{{Kind: identity.Cookie, Value: "c1"}, {Kind: identity.Email, Value: "anna@mail.ru"}}},
		{Source: "web_form", Company: "South", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@mail.ru"}, {Kind: identity.Phone, Value: "+79161234567"}}},
	} {
		if _, err := g.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := g.Resolve(identity.Email, "anna@mail.ru")
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	north := ContactFor(g, p, identity.Viewer{Company: "North", Purpose: "paid_media"}, nil, now)
	if len(north.Emails) != 1 || len(north.Phones) != 0 {
		t.Fatalf("North's contact %+v holds South's phone, or lost its email", north)
	}
	a, _, err := BuildAudience(ExportConfig{Platform: GoogleCustomerMatch, PaidMedia: func(identity.ProfileID) bool { return true }}, []Contact{north})
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range a.Rows {
		if row.Phone != "" {
			t.Fatalf("North's audience holds a phone only South collected: %+v", row)
		}
	}
}
