package channel

import (
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
)

func reasonOf(r *Reacher, p identity.ProfileID, ch string, now time.Time) Reason {
	for _, x := range r.Reach(p, "marketing", now) {
		if x.Channel == ch {
			return x.Reason
		}
	}
	return 255
}

func TestReacherFollowsMergesAndSplits(t *testing.T) {
	g, err := identity.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := NewReacher(&ReachOptions{Preference: []string{"email", "sms"}, Caps: map[string]Cap{"*": {Day: 1}}})
	noon := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	obs := func(src string, ids ...identity.ID) identity.Change {
		ch, err := g.Observe(identity.Observation{Time: noon, Source: src, IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		r.Follow(g, ch)
		return ch
	}
	email := identity.ID{Kind: identity.Email, Value: "anna@mail.ru"}
	phone := identity.ID{Kind: identity.Phone, Value: "+79161234567"}
	a := obs("web_form", email).Profile
	b := obs("web_form", phone).Profile
	r.SetContact(a, "email", "anna@mail.ru")
	r.RecordConsent(a, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: noon})
	r.SetContact(b, "sms", "+79161234567")
	r.RecordConsent(b, Consent{Channel: "sms", Purpose: "marketing", Status: ConsentGranted, At: noon})
	r.RecordConsent(b, Consent{Channel: "email", Purpose: "marketing", Status: ConsentDenied, At: noon.Add(time.Hour)})
	r.RecordSend(b, "sms", noon)

	// The CRM proves they are one person: consents, contacts and sends join.
	crm := obs("crm_import", email, phone)
	p := crm.Profile
	if len(crm.Merges) != 1 {
		t.Fatalf("%+v", crm)
	}
	now := noon.Add(2 * time.Hour)
	if got := reasonOf(r, p, "email", now); got != NoConsent {
		t.Errorf("email after merge: %v, want the later denial to win", got)
	}
	if got := reasonOf(r, p, "sms", now); got != Capped {
		t.Errorf("sms after merge: %v, want capped by the send made to the other profile", got)
	}
	if _, ok := r.people[a]; ok && a != p {
		t.Error("the retired profile's state stayed behind")
	}
	if _, ok := r.people[b]; ok && b != p {
		t.Error("the retired profile's state stayed behind")
	}

	// The import was a mistake: the split keeps refusals everywhere and the
	// grant only where the original ID stays.
	split, err := g.Retract(crm.Observation)
	if err != nil || len(split.Splits) == 0 {
		t.Fatal(split, err)
	}
	r.Follow(g, split)
	pa, _ := g.ResolveID(identity.MustParseID(identity.Email, "anna@mail.ru"))
	pb, _ := g.ResolveID(identity.MustParseID(identity.Phone, "+79161234567"))
	later := noon.Add(48 * time.Hour)
	for _, q := range []identity.ProfileID{pa, pb} {
		if got := reasonOf(r, q, "email", later); got == Reachable {
			t.Errorf("%v: email reachable after the split though one of them refused", q)
		}
		if q != p && r.people[q] != nil && len(r.people[q].contacts) != 0 {
			t.Errorf("%v: contacts copied to a split-off profile", q)
		}
	}
	kept := 0
	for _, q := range []identity.ProfileID{pa, pb} {
		if x := r.people[q]; x != nil && x.consents[consentKey{"", "sms", "marketing"}].Status == ConsentGranted {
			kept++
		}
	}
	if kept > 1 {
		t.Error("a grant was extended to both profiles of the split")
	}
}

func TestReacherFollowsRetiredAnchor(t *testing.T) {
	g, _ := identity.New(nil)
	r, _ := NewReacher(&ReachOptions{Preference: []string{"email"}})
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ch, _ := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.1.1"}}})
	old := ch.Profile
	r.SetContact(old, "email", "anna@mail.ru")
	r.RecordConsent(old, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: at})
	// An email joins: the profile's ID moves to the better anchor.
	ch, _ = g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.1.1"}, {Kind: identity.Email, Value: "anna@mail.ru"}}})
	if ch.Profile == old || len(ch.Retired) == 0 {
		t.Fatalf("no retirement: %+v", ch)
	}
	r.Follow(g, ch)
	if got := reasonOf(r, ch.Profile, "email", at.Add(time.Hour)); got != Reachable {
		t.Fatalf("consent did not follow the new ID: %v", got)
	}
}
