package channel

import (
	"errors"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zoneinfo

	"github.com/throughline/throughline/identity"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func profileN(t *testing.T, n byte) identity.ProfileID {
	var p identity.ProfileID
	b := make([]byte, 16)
	b[15] = n
	if err := p.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	return p
}

func newReacher(t *testing.T) *Reacher {
	t.Helper()
	r, err := NewReacher(&ReachOptions{
		Preference: []string{"push", "email", "sms"},
		Caps:       map[string]Cap{"sms": {Day: 1, Week: 3}, "*": {Day: 3}},
		Quiet:      map[string]DailyWindow{"sms": Hours(21, 0, 9, 0), "push": Hours(22, 0, 8, 0)},
		Location:   mustLoc(t, "Europe/Moscow"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// grant gives p every channel with marketing consent.
func grant(t *testing.T, r *Reacher, p identity.ProfileID, at time.Time) {
	for ch, addr := range map[string]string{"push": "tok-1", "email": "a@mail.ru", "sms": "+79161234567"} {
		r.SetContact(p, ch, addr)
		if err := r.RecordConsent(p, Consent{Channel: ch, Purpose: "marketing", Status: ConsentGranted, At: at}); err != nil {
			t.Fatal(err)
		}
	}
}

func reasons(rs []Reachability) map[string]string {
	m := map[string]string{}
	for _, x := range rs {
		m[x.Channel] = x.String()
	}
	return m
}

func TestReachQuietHoursAcrossZones(t *testing.T) {
	r := newReacher(t)
	vlad, kgd := profileN(t, 1), profileN(t, 2)
	grant(t, r, vlad, t0.Add(-time.Hour))
	grant(t, r, kgd, t0.Add(-time.Hour))
	r.SetLocation(vlad, mustLoc(t, "Asia/Vladivostok"))  // UTC+10
	r.SetLocation(kgd, mustLoc(t, "Europe/Kaliningrad")) // UTC+2
	for _, tc := range []struct {
		p    identity.ProfileID
		now  time.Time
		sms  string
		push string
	}{
		// 12:00 UTC: 22:00 in Vladivostok (both quiet), 14:00 in Kaliningrad.
		{vlad, t0, "sms: quiet until 09:00", "push: quiet until 08:00"},
		{kgd, t0, "sms: reachable", "push: reachable"},
		// 14:30 UTC = 00:30 Vladivostok next day: past midnight, same window.
		{vlad, t0.Add(150 * time.Minute), "sms: quiet until 09:00", "push: quiet until 08:00"},
		// 22:30 UTC = 08:30 Vladivostok: push open, sms still quiet.
		{vlad, t0.Add(630 * time.Minute), "sms: quiet until 09:00", "push: reachable"},
		// 23:00 UTC = 09:00 exactly: open.
		{vlad, t0.Add(11 * time.Hour), "sms: reachable", "push: reachable"},
		// 19:00 UTC = 21:00 Kaliningrad: sms quiet starts, push not yet.
		{kgd, t0.Add(7 * time.Hour), "sms: quiet until 09:00", "push: reachable"},
	} {
		got := reasons(r.Reach(tc.p, "marketing", tc.now))
		if got["sms"] != tc.sms || got["push"] != tc.push {
			t.Errorf("at %s: %v, want %q and %q", tc.now.Format(time.RFC3339), got, tc.sms, tc.push)
		}
		if got["email"] != "email: reachable" {
			t.Errorf("email has no quiet hours: %v", got)
		}
	}
	// The held message goes out when quiet hours end: 09:00 Vladivostok.
	rs := r.Reach(vlad, "marketing", t0)
	x, at, ok := Next(rs, t0)
	if !ok || x.Channel != "email" || !at.Equal(t0) {
		t.Errorf("Next = %v %v %v, want email now", x, at, ok)
	}
	x, at, ok = Next([]Reachability{rs[2], rs[0]}, t0) // sms, push only
	want := time.Date(2026, 11, 24, 8, 0, 0, 0, mustLoc(t, "Asia/Vladivostok"))
	if !ok || x.Channel != "push" || !at.Equal(want) {
		t.Errorf("Next without email = %v %v, want push held until %v", x.Channel, at, want)
	}
}

func TestReachCapsInLocalDays(t *testing.T) {
	r := newReacher(t)
	p := profileN(t, 3)
	grant(t, r, p, t0.Add(-24*time.Hour))
	vlad := mustLoc(t, "Asia/Vladivostok")
	r.SetLocation(p, vlad)
	// An SMS at 23:00 UTC Nov 22 = 09:00 Nov 23 in Vladivostok.
	r.RecordSend(p, "sms", t0.Add(-13*time.Hour))
	now := t0.Add(-12 * time.Hour) // 10:00 local, Nov 23
	got := reasons(r.Reach(p, "marketing", now))
	if got["sms"] != "sms: capped until 2026-11-24 00:00" {
		t.Errorf("day cap: %v", got)
	}
	// 14:30 UTC Nov 23 = 00:30 Nov 24 local: a new day for the recipient,
	// though the sender's UTC day has not changed.
	if got := reasons(r.Reach(p, "marketing", t0.Add(150*time.Minute))); got["sms"] != "sms: quiet until 09:00" {
		t.Errorf("new local day: %v", got)
	}
	if got := reasons(r.Reach(p, "marketing", t0.Add(11*time.Hour))); got["sms"] != "sms: reachable" {
		t.Errorf("09:00 next local day: %v", got)
	}
	// Week cap 3: sends on three local days; the fourth day is capped until
	// the first send is 7 days old.
	q := profileN(t, 4)
	grant(t, r, q, t0.Add(-30*24*time.Hour))
	first := time.Date(2026, 11, 16, 10, 0, 0, 0, r.cfg.Location)
	for d := range 3 {
		r.RecordSend(q, "sms", first.AddDate(0, 0, d))
	}
	now = time.Date(2026, 11, 22, 12, 0, 0, 0, r.cfg.Location)
	if got := r.Reach(q, "marketing", now)[2]; got.Reason != Capped || !got.Until.Equal(first.Add(7*24*time.Hour)) {
		t.Errorf("week cap: %v until %v", got, got.Until)
	}
	if got := r.Reach(q, "marketing", first.Add(7*24*time.Hour+time.Minute))[2]; got.Reason != Reachable {
		t.Errorf("after the oldest send aged out: %v", got)
	}
	// The all-channel cap: 3 messages today on any channel.
	w := profileN(t, 5)
	grant(t, r, w, t0.Add(-time.Hour))
	r.RecordSend(w, "email", t0.Add(-3*time.Hour))
	r.RecordSend(w, "push", t0.Add(-2*time.Hour))
	if got := reasons(r.Reach(w, "marketing", t0)); got["email"] != "email: reachable" {
		t.Errorf("two sends: %v", got)
	}
	r.RecordSend(w, "email", t0.Add(-time.Hour))
	for _, x := range r.Reach(w, "marketing", t0) {
		if x.Reason != Capped {
			t.Errorf("all-channel cap: %v", x)
		}
	}
	// Transactional messages ignore caps and quiet hours.
	for _, x := range r.Reach(w, "transactional", t0.Add(8*time.Hour)) {
		if x.Reason != Reachable {
			t.Errorf("transactional: %v", x)
		}
	}
}

func TestReachConsentAndSuppression(t *testing.T) {
	r := newReacher(t)
	p := profileN(t, 6)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, r.cfg.Location)
	if got := reasons(r.Reach(p, "marketing", now)); got["email"] != "email: no contact" || len(got) != 3 {
		t.Errorf("unknown person: %v", got)
	}
	r.SetContact(p, "email", "a@mail.ru")
	r.SetContact(p, "sms", "+79161234567")
	if got := reasons(r.Reach(p, "marketing", now)); got["email"] != "email: no consent" {
		t.Errorf("never asked: %v", got)
	}
	// Out of order: the revocation (later) arrives before the grant.
	must := func(c Consent) {
		if err := r.RecordConsent(p, c); err != nil {
			t.Fatal(err)
		}
	}
	must(Consent{Channel: "email", Purpose: "marketing", Status: ConsentRevoked, At: now.Add(-time.Hour)})
	must(Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-48 * time.Hour)})
	if got := reasons(r.Reach(p, "marketing", now)); got["email"] != "email: no consent" {
		t.Errorf("revoked later: %v", got)
	}
	must(Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-time.Minute)})
	if got := reasons(r.Reach(p, "marketing", now)); got["email"] != "email: reachable" {
		t.Errorf("granted again: %v", got)
	}
	// Same instant: the restrictive answer wins.
	must(Consent{Channel: "sms", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-time.Hour)})
	must(Consent{Channel: "sms", Purpose: "marketing", Status: ConsentDenied, At: now.Add(-time.Hour)})
	must(Consent{Channel: "sms", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-time.Hour)})
	if got := reasons(r.Reach(p, "marketing", now)); got["sms"] != "sms: no consent" {
		t.Errorf("tie: %v", got)
	}
	// "STOP" to all SMS purposes after a service grant.
	must(Consent{Channel: "sms", Purpose: "service", Status: ConsentGranted, At: now.Add(-time.Hour)})
	must(Consent{Channel: "sms", Purpose: "*", Status: ConsentRevoked, At: now.Add(-time.Minute)})
	if got := reasons(r.Reach(p, "service", now)); got["sms"] != "sms: no consent" {
		t.Errorf("revoke all: %v", got)
	}
	if err := r.RecordConsent(p, Consent{Channel: "sms", Status: ConsentGranted}); !errors.Is(err, ErrReachConfig) {
		t.Errorf("consent without purpose: %v", err)
	}
	// Suppressions.
	for _, tc := range []struct {
		reason          SuppressionReason
		marketing, tran string
	}{
		{Unsubscribed, "email: suppressed (unsubscribed)", "email: reachable"},
		{Complaint, "email: suppressed (complaint)", "email: reachable"},
		{Bounced, "email: suppressed (bounced)", "email: suppressed (bounced)"},
		{Manual, "email: suppressed (manual)", "email: suppressed (manual)"},
	} {
		r.Suppress("email", "a@mail.ru", tc.reason, now)
		if got := reasons(r.Reach(p, "marketing", now)); got["email"] != tc.marketing {
			t.Errorf("%v marketing: %v", tc.reason, got["email"])
		}
		if got := reasons(r.Reach(p, "transactional", now)); got["email"] != tc.tran {
			t.Errorf("%v transactional: %v", tc.reason, got["email"])
		}
	}
	r.Unsuppress("email", "a@mail.ru")
	if got := reasons(r.Reach(p, "marketing", now)); got["email"] != "email: reachable" {
		t.Errorf("unsuppressed: %v", got)
	}
	// A transactional purpose the person refused is not sent.
	must(Consent{Channel: "email", Purpose: "transactional", Status: ConsentDenied, At: now})
	if got := reasons(r.Reach(p, "transactional", now)); got["email"] != "email: no consent" {
		t.Errorf("refused transactional: %v", got)
	}
	// Preference order is kept.
	rs := r.Reach(p, "marketing", now)
	if rs[0].Channel != "push" || rs[1].Channel != "email" || rs[2].Channel != "sms" || rs[1].Contact != "a@mail.ru" {
		t.Errorf("order/contact: %v", rs)
	}
	if _, _, ok := Next([]Reachability{{Channel: "sms", Reason: NoConsent}}, now); ok {
		t.Error("Next found a channel where none can reach")
	}
}

func TestReachConfigErrors(t *testing.T) {
	for _, cfg := range []ReachOptions{
		{},
		{Preference: []string{"sms"}, Quiet: map[string]DailyWindow{"sms": {Start: -1, End: 60}}},
		{Preference: []string{"sms"}, Quiet: map[string]DailyWindow{"sms": {Start: 0, End: 25 * 60}}},
		{Preference: []string{"sms"}, Caps: map[string]Cap{"sms": {Day: -1}}},
	} {
		if _, err := NewReacher(&cfg); !errors.Is(err, ErrReachConfig) {
			t.Errorf("NewReacher(%+v) = %v", cfg, err)
		}
	}
	for _, tc := range []struct {
		w    DailyWindow
		min  int
		want bool
	}{
		{Hours(21, 0, 9, 0), 21 * 60, true}, {Hours(21, 0, 9, 0), 0, true}, {Hours(21, 0, 9, 0), 9 * 60, false},
		{Hours(21, 0, 9, 0), 12 * 60, false}, {Hours(13, 0, 14, 0), 13*60 + 30, true}, {Hours(13, 0, 14, 0), 14 * 60, false},
		{Hours(0, 0, 0, 0), 0, false}, {Hours(0, 0, 24, 0), 23*60 + 59, true},
	} {
		if got := tc.w.contains(tc.min); got != tc.want {
			t.Errorf("%+v.contains(%d) = %v", tc.w, tc.min, got)
		}
	}
}

func BenchmarkReach(b *testing.B) {
	r, _ := NewReacher(&ReachOptions{Preference: []string{"push", "email", "sms"},
		Caps: map[string]Cap{"sms": {Day: 1, Week: 3}, "*": {Day: 3}}, Quiet: map[string]DailyWindow{"*": Hours(21, 0, 9, 0)}})
	var p identity.ProfileID
	for _, ch := range []string{"push", "email", "sms"} {
		r.SetContact(p, ch, ch+"-addr")
		r.RecordConsent(p, Consent{Channel: ch, Purpose: "marketing", Status: ConsentGranted, At: t0})
		r.RecordSend(p, ch, t0.Add(-time.Hour))
	}
	b.ReportAllocs()
	for b.Loop() {
		r.Reach(p, "marketing", t0)
	}
}

// TestConsentPerCompany: a group's companies reach a person only on their
// own consent (or one naming them a recipient); an opt-out given to any
// of them holds for all; consent expires; the reasons name the company;
// and it all survives a merge and a split.
func TestConsentPerCompany(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	g, _ := identity.New(nil)
	r, err := NewReacher(&ReachOptions{Preference: []string{"sms", "email"}})
	if err != nil {
		t.Fatal(err)
	}
	obs := func(ids ...identity.ID) identity.Change {
		ch, err := g.Observe(identity.Observation{Source: "web_form", IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Follow(g, ch); err != nil {
			t.Fatal(err)
		}
		return ch
	}
	phone := identity.ID{Kind: identity.Phone, Value: "+79161234567"}
	email := identity.ID{Kind: identity.Email, Value: "anna@mail.ru"}
	a := obs(phone).Profile
	b := obs(email).Profile
	r.SetContact(a, "sms", "+79161234567")
	r.SetContact(b, "email", "anna@mail.ru")
	grant := func(p identity.ProfileID, c Consent) {
		t.Helper()
		if err := r.RecordConsent(p, c); err != nil {
			t.Fatal(err)
		}
	}
	grant(a, Consent{Channel: "sms", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-72 * time.Hour), Company: "North Motors LLC",
		Recipients: []string{"East Motors LLC"}, Document: "v3", TextHash: "sha256:ab12", Source: "web_form"})
	grant(b, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-72 * time.Hour), Company: "South Auto LLC",
		ValidUntil: now.Add(24 * time.Hour)})
	reach := func(p identity.ProfileID, company string, at time.Time) string {
		var out []string
		for _, x := range r.ReachFor(p, company, "marketing", at) {
			out = append(out, x.String())
		}
		return strings.Join(out, "; ")
	}
	for _, c := range []struct {
		p       identity.ProfileID
		company string
		at      time.Time
		want    string
	}{
		{a, "North Motors LLC", now, "sms: reachable; email: no contact"},
		{a, "East Motors LLC", now, "sms: reachable; email: no contact"}, // named a recipient
		{a, "South Auto LLC", now, "sms: no marketing consent given to South Auto LLC; email: no contact"},
		{b, "South Auto LLC", now, "sms: no contact; email: reachable"},
		{b, "South Auto LLC", now.Add(48 * time.Hour), "sms: no contact; email: no marketing consent given to South Auto LLC"}, // expired
		{b, "North Motors LLC", now, "sms: no contact; email: no marketing consent given to North Motors LLC"},
	} {
		if got := reach(c.p, c.company, c.at); got != c.want {
			t.Errorf("%s at %s: %q, want %q", c.company, c.at.Format(time.DateOnly), got, c.want)
		}
	}
	// A CRM record joins the two profiles: each company keeps its own
	// consent on the merged profile.
	merged := obs(phone, email)
	m := merged.Profile
	if got := reach(m, "North Motors LLC", now); got != "sms: reachable; email: no marketing consent given to North Motors LLC" {
		t.Errorf("North after the merge: %q", got)
	}
	if got := reach(m, "South Auto LLC", now); got != "sms: no marketing consent given to South Auto LLC; email: reachable" {
		t.Errorf("South after the merge: %q", got)
	}
	// An opt-out given to South holds for the whole group.
	grant(m, Consent{Channel: "sms", Purpose: "*", Status: ConsentRevoked, At: now.Add(-time.Hour), Company: "South Auto LLC"})
	if got := reach(m, "North Motors LLC", now); !strings.HasPrefix(got, "sms: no marketing consent given to North Motors LLC") {
		t.Errorf("an opt-out to South did not hold for North: %q", got)
	}
	// The record is withdrawn: the profiles split. The profile that keeps
	// the merged ID keeps the grants and contacts; the other gets the
	// refusals, so the opt-out reaches both.
	split, err := g.Retract(merged.Observation)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Follow(g, split); err != nil {
		t.Fatal(err)
	}
	pa, _ := g.ResolveID(phone)
	pb, _ := g.ResolveID(email)
	keeper, other := pb, pa
	if pa == m {
		keeper, other = pa, pb
	}
	if got := reach(keeper, "South Auto LLC", now); got != "sms: no marketing consent given to South Auto LLC; email: reachable" {
		t.Errorf("South after the split: %q", got)
	}
	if got := reach(keeper, "North Motors LLC", now); !strings.HasPrefix(got, "sms: no marketing consent given to North Motors LLC") {
		t.Errorf("North after the split, past the opt-out: %q", got)
	}
	if c := r.people[other].consents[consentKey{"South Auto LLC", "sms", "*"}]; c.Status != ConsentRevoked {
		t.Errorf("the opt-out did not reach the other profile: %+v", c)
	}
}
