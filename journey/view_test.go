package journey

import (
	"strings"
	"testing"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
)

// TestTimelineFor shows one profile through two companies' views: each
// sees its own events and the unnamed ones, and the other's only under a
// consent naming it a recipient for the purpose (a Reacher as the basis);
// a revocation takes the shared events out of the view again.
func TestTimelineFor(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("email", "anna@mail.ru")})
	s, _ := New(g, nil)
	by := func(id string, d float64, typ EventType, company string) {
		e := ev(id, day(d), typ, Touch{}, "email", "anna@mail.ru")
		e.Company = company
		if _, _, err := s.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	by("1", 1, PageView, "")
	by("2", 2, Lead, "North Motors LLC")
	by("3", 3, TestDrive, "South Auto LLC")
	by("4", 4, Contract, "South Auto LLC")
	p, _ := g.Resolve(identity.Email, "anna@mail.ru")
	r, _ := channel.NewReacher(&channel.ReachOptions{Preference: []string{"email"}})
	now := day(10)
	north := identity.Viewer{Company: "North Motors LLC", Purpose: "service"}
	south := identity.Viewer{Company: "South Auto LLC", Purpose: "service"}
	view := func(v identity.Viewer) string {
		var out []string
		for _, e := range s.TimelineFor(p, v, r, now) {
			out = append(out, string(e.Type))
		}
		return strings.Join(out, " ")
	}
	if got := view(north); got != "page_view lead" {
		t.Errorf("North sees %q", got)
	}
	if got := view(south); got != "page_view test_drive contract" {
		t.Errorf("South sees %q", got)
	}
	// Anna lets South share her service history with North.
	if err := r.RecordConsent(p, channel.Consent{Channel: "email", Purpose: "service", Status: channel.ConsentGranted, At: day(5),
		Company: "South Auto LLC", Recipients: []string{"North Motors LLC"}}); err != nil {
		t.Fatal(err)
	}
	if got := view(north); got != "page_view lead test_drive contract" {
		t.Errorf("North, under South's basis, sees %q", got)
	}
	if got := view(identity.Viewer{Company: "North Motors LLC", Purpose: "marketing"}); got != "page_view lead" {
		t.Errorf("North, for another purpose, sees %q", got)
	}
	if err := r.RecordConsent(p, channel.Consent{Channel: "email", Purpose: "service", Status: channel.ConsentRevoked, At: day(6),
		Company: "South Auto LLC"}); err != nil {
		t.Fatal(err)
	}
	if got := view(north); got != "page_view lead" {
		t.Errorf("North, after the revocation, sees %q", got)
	}
	if len(s.Timeline(p)) != 4 {
		t.Fatal("the unfiltered timeline lost events")
	}
}
