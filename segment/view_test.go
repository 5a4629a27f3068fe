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
