package channel

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/disktest"
)

func keyedObserve(t *testing.T, g *identity.Graph, day int, ids ...string) identity.Change {
	t.Helper()
	o := identity.Observation{Time: time.Date(2026, 5, 1+day, 10, 0, 0, 0, time.UTC), Source: "crm_import"}
	for i := 0; i+1 < len(ids); i += 2 {
		o.IDs = append(o.IDs, identity.ID{Kind: identity.Kind(ids[i]), Value: ids[i+1]})
	}
	ch, err := g.Observe(o)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func resolve(t *testing.T, g *identity.Graph, kind identity.Kind, v string) identity.ProfileID {
	t.Helper()
	p, err := g.Resolve(kind, v)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func answer(rs []Reachability) string { return fmt.Sprint(rs) }

// TestKeyedOrderIndependent: a keyed Reacher told things while the graph
// merges answers as one told the same things after the merges, with no
// Follow: merged profiles pool their records.
func TestKeyedOrderIndependent(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	opts := func(g *identity.Graph) *ReachOptions {
		return &ReachOptions{Preference: []string{"email", "sms"}, Caps: map[string]Cap{"email": {Day: 1}}, Graph: g}
	}
	g := mustGraphT(t)
	early, _ := NewReacher(opts(g))
	keyedObserve(t, g, 0, "cookie", "c1", "email", "anna@mail.ru")
	keyedObserve(t, g, 0, "cookie", "c2", "phone", "+79161234567")
	a, b := resolve(t, g, identity.Email, "anna@mail.ru"), resolve(t, g, identity.Phone, "+79161234567")
	tell := func(r *Reacher, a, b identity.ProfileID) {
		must(t, r.SetContact(a, "email", "anna@mail.ru"))
		must(t, r.SetContact(b, "sms", "+79161234567"))
		must(t, r.RecordConsent(a, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-48 * time.Hour)}))
		must(t, r.RecordConsent(b, Consent{Channel: "sms", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-48 * time.Hour)}))
		must(t, r.RecordSend(b, "email", now.Add(-time.Hour)))
	}
	tell(early, a, b)
	keyedObserve(t, g, 1, "email", "anna@mail.ru", "phone", "+79161234567") // one person
	p := resolve(t, g, identity.Email, "anna@mail.ru")
	late, _ := NewReacher(opts(g))
	tell(late, p, p)
	got, want := answer(early.Reach(p, "marketing", now)), answer(late.Reach(p, "marketing", now))
	if got != want || got != "[email: capped until 2026-05-21 00:00 sms: reachable]" {
		t.Fatalf("told before the merge: %s; after: %s", got, want)
	}
	if err := early.SetContact(identity.ProfileID{}, "email", "x@y.ru"); !errors.Is(err, ErrUnknownProfile) {
		t.Fatalf("a profile the graph does not hold: %v", err)
	}
}

// TestKeyedSplit: after a split, refusals and sends reach every side,
// grants and contacts only the side holding the identifier they are
// anchored on.
func TestKeyedSplit(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	g := mustGraphT(t)
	r, _ := NewReacher(&ReachOptions{Preference: []string{"email"}, Graph: g})
	keyedObserve(t, g, 0, "cookie", "c1", "email", "anna@mail.ru")
	bridge := keyedObserve(t, g, 0, "email", "anna@mail.ru", "email", "boris@mail.ru")
	keyedObserve(t, g, 0, "email", "boris@mail.ru", "cookie", "c2")
	p := resolve(t, g, identity.Email, "anna@mail.ru")
	must(t, r.SetContact(p, "email", "anna@mail.ru"))
	must(t, r.RecordConsent(p, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-72 * time.Hour)}))
	must(t, r.RecordConsent(p, Consent{Channel: "email", Purpose: "news", Status: ConsentDenied, At: now.Add(-72 * time.Hour)}))
	if _, err := g.Retract(bridge.Observation); err != nil {
		t.Fatal(err)
	}
	anna, boris := resolve(t, g, identity.Email, "anna@mail.ru"), resolve(t, g, identity.Email, "boris@mail.ru")
	if anna == boris {
		t.Fatal("no split")
	}
	// The subject was anchored on the first identifier in order: the
	// anna side's cookie c1 sorts first.
	if got := answer(r.Reach(anna, "marketing", now)); got != "[email: reachable]" {
		t.Errorf("anchor's side: %s", got)
	}
	if got := answer(r.Reach(boris, "marketing", now)); got != "[email: no contact]" {
		t.Errorf("other side keeps no contact or grant: %s", got)
	}
	must(t, r.SetContact(boris, "email", "boris@mail.ru"))
	for _, q := range []identity.ProfileID{anna, boris} {
		if got := answer(r.Reach(q, "news", now)); got != "[email: no consent]" {
			t.Errorf("a refusal reaches every side: %v %s", q, got)
		}
	}
}

// TestKeyedErasure: Follow of a Forget takes the identifier out of the
// keyed records (a contact holding it loses its address), and Pull takes
// it off a directory.
func TestKeyedErasure(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	g := mustGraphT(t)
	keyedObserve(t, g, 0, "cookie", "c1", "email", "anna@mail.ru")
	r, err := OpenReacher(context.Background(), dir, &ReachOptions{Preference: []string{"email"}, Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := resolve(t, g, identity.Email, "anna@mail.ru")
	must(t, r.SetContact(p, "email", "anna@mail.ru"))
	must(t, r.RecordConsent(p, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: now.Add(-time.Hour)}))
	ch, err := g.Forget(context.Background(), identity.Email, "anna@mail.ru")
	if err != nil {
		t.Fatal(err)
	}
	must(t, r.Follow(g, ch))
	if _, err := r.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	p = resolve(t, g, identity.Cookie, "c1")
	if got := answer(r.Reach(p, "marketing", now)); got != "[email: no contact]" {
		t.Errorf("after the erasure: %s", got)
	}
	// Told again, the erased address is not kept.
	must(t, r.SetContact(p, "email", "anna@mail.ru"))
	if got := answer(r.Reach(p, "marketing", now)); got != "[email: no contact]" {
		t.Errorf("the erased address told again: %s", got)
	}
	must(t, r.Snapshot(context.Background()))
	if disktest.Holds(t, dir, "anna@mail.ru") {
		t.Error("the directory still holds the erased email")
	}
	r.Close()
	r, err = OpenReacher(context.Background(), dir, &ReachOptions{Preference: []string{"email"}, Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	if got := answer(r.Reach(p, "marketing", now)); got != "[email: no contact]" {
		t.Errorf("reopened: %s", got)
	}
}

// TestKeyedShuffled: random records told at random moments of a random
// graph's growth (merges only: the rules are off, so nothing splits)
// answer as the same records told at the end, for every profile.
func TestKeyedShuffled(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(7, 8))
	g, err := identity.New(&identity.Options{Policy: identity.Policy{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	opts := &ReachOptions{Preference: []string{"email", "sms"}, Caps: map[string]Cap{"sms": {Day: 2}}, Graph: g}
	early, _ := NewReacher(opts)
	type told struct {
		id   identity.ID
		fn   func(r *Reacher, p identity.ProfileID) error
		name string
	}
	var all []told
	for i := range 300 {
		person := rng.IntN(60) // two cookies and two emails each
		a := identity.ID{Kind: identity.Cookie, Value: fmt.Sprintf("c%d", 2*person+rng.IntN(2))}
		b := identity.ID{Kind: identity.Email, Value: fmt.Sprintf("u%d@mail.ru", 2*person+rng.IntN(2))}
		keyedObserve(t, g, i/20, string(a.Kind), a.Value, string(b.Kind), b.Value)
		at := now.Add(-time.Duration(rng.IntN(200)) * time.Hour)
		var tl told
		switch rng.IntN(4) {
		case 0:
			tl = told{b, func(r *Reacher, p identity.ProfileID) error { return r.SetContact(p, "email", b.Value) }, "contact"}
		case 1:
			st := []ConsentStatus{ConsentGranted, ConsentDenied}[rng.IntN(2)]
			tl = told{a, func(r *Reacher, p identity.ProfileID) error {
				return r.RecordConsent(p, Consent{Channel: "email", Purpose: "marketing", Status: st, At: at})
			}, "consent"}
		case 2:
			tl = told{a, func(r *Reacher, p identity.ProfileID) error { return r.RecordSend(p, "sms", at) }, "send"}
		default:
			tl = told{b, func(r *Reacher, p identity.ProfileID) error { return r.SetContact(p, "sms", "+7916"+b.Value[1:4]) }, "sms"}
		}
		must(t, tl.fn(early, resolve(t, g, tl.id.Kind, tl.id.Value)))
		all = append(all, tl)
	}
	late, _ := NewReacher(opts)
	for _, tl := range all {
		must(t, tl.fn(late, resolve(t, g, tl.id.Kind, tl.id.Value)))
	}
	n := 0
	for p := range g.Profiles() {
		if got, want := answer(early.Reach(p, "marketing", now)), answer(late.Reach(p, "marketing", now)); got != want {
			t.Fatalf("profile %v: told along the way %s, at the end %s", p, got, want)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("%d profiles: the graph merged too much to test anything", n)
	}
}

func mustGraphT(t *testing.T) *identity.Graph {
	t.Helper()
	g, err := identity.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestConsented: a consent with no address to reach (paid media), per
// company, in both modes: a company's own grant, one naming it a
// recipient, and a refusal of any company.
func TestConsented(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	g := mustGraphT(t)
	keyedObserve(t, g, 0, "email", "anna@mail.ru")
	p := resolve(t, g, identity.Email, "anna@mail.ru")
	for name, opts := range map[string]*ReachOptions{"plain": {Preference: []string{"email"}}, "keyed": {Preference: []string{"email"}, Graph: g}} {
		r, _ := NewReacher(opts)
		must(t, r.RecordConsent(p, Consent{Channel: "ads", Purpose: "paid_media", Status: ConsentGranted, At: now.Add(-time.Hour), Company: "South", Recipients: []string{"North"}}))
		if !r.Consented(p, "South", "ads", "paid_media", now) || !r.Consented(p, "North", "ads", "paid_media", now) || r.Consented(p, "East", "ads", "paid_media", now) {
			t.Errorf("%s: grants misread", name)
		}
		must(t, r.RecordConsent(p, Consent{Channel: "ads", Purpose: "paid_media", Status: ConsentRevoked, At: now.Add(-time.Minute), Company: "East"}))
		if r.Consented(p, "South", "ads", "paid_media", now) {
			t.Errorf("%s: another company's revocation did not tighten", name)
		}
		if r.Consented(identity.ProfileID{}, "South", "ads", "paid_media", now) {
			t.Errorf("%s: a profile never told about consented", name)
		}
	}
}

// TestShares: a basis to share holds while the collector's grant naming
// the viewer is the latest answer and has not expired, for its purpose or
// any ("*").
func TestShares(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	g := mustGraphT(t)
	keyedObserve(t, g, 0, "email", "anna@mail.ru")
	p := resolve(t, g, identity.Email, "anna@mail.ru")
	r, _ := NewReacher(&ReachOptions{Preference: []string{"email"}})
	must(t, r.RecordConsent(p, Consent{Channel: "email", Purpose: "service", Status: ConsentGranted, At: now.Add(-48 * time.Hour), Company: "South", Recipients: []string{"North"}, ValidUntil: now.Add(24 * time.Hour)}))
	must(t, r.RecordConsent(p, Consent{Channel: "sms", Purpose: "*", Status: ConsentGranted, At: now.Add(-48 * time.Hour), Company: "East", Recipients: []string{"North"}}))
	for _, c := range []struct {
		collector, viewer, purpose string
		at                         time.Time
		want                       bool
	}{
		{"South", "North", "service", now, true},
		{"South", "North", "marketing", now, false},
		{"South", "West", "service", now, false},
		{"South", "North", "service", now.Add(48 * time.Hour), false},  // expired
		{"South", "North", "service", now.Add(-72 * time.Hour), false}, // not given yet
		{"East", "North", "marketing", now, true},                      // any purpose
	} {
		if got := r.Shares(p, c.collector, c.viewer, c.purpose, c.at); got != c.want {
			t.Errorf("%+v: %v", c, got)
		}
	}
	must(t, r.RecordConsent(p, Consent{Channel: "email", Purpose: "service", Status: ConsentRevoked, At: now.Add(-time.Hour), Company: "South"}))
	if r.Shares(p, "South", "North", "service", now) {
		t.Error("a revoked basis still shares")
	}
}
