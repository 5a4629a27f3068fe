package identity

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// at builds an observation from a source and "kind:value" strings.
func at(day int, source string, ids ...string) Observation {
	o := obs(ids...)
	o.Time = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC).AddDate(0, 0, day)
	o.Source = source
	return o
}

func mustObserve(t *testing.T, g *Graph, o Observation) Change {
	t.Helper()
	ch, err := g.Observe(o)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

func profileOf(t *testing.T, g *Graph, s string) ProfileID {
	t.Helper()
	k, v, _ := strings.Cut(s, ":")
	p, err := g.Resolve(Kind(k), v)
	if err != nil {
		t.Fatalf("Resolve(%s): %v", s, err)
	}
	return p
}

func together(t *testing.T, g *Graph, a, b string) bool {
	return profileOf(t, g, a) == profileOf(t, g, b)
}

func TestJunkNeverLinks(t *testing.T) {
	g := mustGraph(t, &Options{Policy: Policy{Junk: []ID{{Phone, "+7 495 777-00-00"}}}})
	mustObserve(t, g, at(0, "web_form", "email:anna@mail.ru", "cookie:c1"))
	mustObserve(t, g, at(0, "web_form", "email:test@test.ru", "phone:89161234567", "cookie:c2"))
	ch := mustObserve(t, g, at(1, "web_form", "email:test@test.ru", "phone:89167654321", "cookie:c3"))
	if len(ch.Quarantined) != 0 {
		t.Fatalf("test@test.ru reported twice: %v", ch.Quarantined)
	}
	mustObserve(t, g, at(2, "web_form", "email:boris@mail.ru", "phone:+7 (495) 777-00-00"))
	mustObserve(t, g, at(2, "web_form", "email:vera@mail.ru", "phone:84957770000"))
	mustObserve(t, g, at(3, "web_form", "email:gleb@mail.ru", "phone:8 800 555 35 35"))
	mustObserve(t, g, at(3, "web_form", "email:dina@mail.ru", "phone:8 800 555 35 35"))
	mustObserve(t, g, at(3, "web_form", "email:egor@mail.ru", "phone:79999999999"))
	mustObserve(t, g, at(3, "web_form", "email:fima@mail.ru", "phone:79999999999"))
	for _, pair := range [][2]string{
		{"phone:+79161234567", "phone:+79167654321"},
		{"email:boris@mail.ru", "email:vera@mail.ru"},
		{"email:gleb@mail.ru", "email:dina@mail.ru"},
		{"email:egor@mail.ru", "email:fima@mail.ru"},
	} {
		if together(t, g, pair[0], pair[1]) {
			t.Errorf("%s and %s joined through junk", pair[0], pair[1])
		}
	}
	if !together(t, g, "phone:+79161234567", "cookie:c2") {
		t.Error("junk must not cut the real identifiers of an observation apart")
	}
	st, err := g.Status(Email, "test@test.ru")
	if err != nil || !st.Quarantined || !st.Junk || st.Reason == "" || st.Observations != 2 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	var q []string
	for id, reason := range g.Quarantined() {
		q = append(q, id.String()+" ("+reason+")")
	}
	if len(q) != 4 {
		t.Fatalf("Quarantined = %v", q)
	}
	rs, err := g.WhyNot(ID{Email, "boris@mail.ru"}, ID{Email, "vera@mail.ru"})
	if err != nil || len(rs) == 0 || rs[0].Reason != RefusedJunk {
		t.Fatalf("WhyNot = %v, %v", rs, err)
	}
}

func TestHubIsQuarantinedAndSplit(t *testing.T) {
	g := mustGraph(t, nil)
	var last Change
	for i := range 14 {
		// Survey answers on the showroom tablet, one customer each; the
		// 13th customer makes it a hub.
		ch := mustObserve(t, g, at(i, "csi_survey", "device:showroom-tablet-1", fmt.Sprintf("phone:+7916000%04d", i)))
		if i == 12 {
			last = ch
		}
	}
	if len(last.Quarantined) != 1 || last.Quarantined[0].Value != "showroom-tablet-1" {
		t.Fatalf("tablet not quarantined: %+v", last)
	}
	if len(last.Splits) != 0 {
		t.Fatalf("lone contacts on a shared tablet were glued before it became a hub: %+v", last.Splits)
	}
	for i := 1; i < 14; i++ {
		if together(t, g, "phone:+79160000000", fmt.Sprintf("phone:+7916000%04d", i)) {
			t.Fatalf("customers 0 and %d still joined", i)
		}
	}
	st, _ := g.Status(Device, "showroom-tablet-1")
	if !st.Hub || st.Reason == "" {
		t.Fatalf("Status = %+v", st)
	}
}

func TestInferredAndClicksAttachButDoNotMerge(t *testing.T) {
	g := mustGraph(t, nil)
	// Anna and her husband Boris, each with a browser of their own.
	mustObserve(t, g, at(0, "web_form", "cookie:anna-laptop", "email:anna@mail.ru", "phone:+79160000001"))
	mustObserve(t, g, at(0, "web_form", "cookie:boris-phone", "email:boris@mail.ru", "phone:+79160000002"))
	// Anna forwards a personal link to Boris, who opens it on his phone.
	mustObserve(t, g, at(3, "email_click", "cookie:boris-phone", "email:anna@mail.ru"))
	// A call from Anna's phone is matched to Boris's session.
	mustObserve(t, g, at(4, "call", "phone:+79160000001", "cookie:boris-phone"))
	if together(t, g, "email:anna@mail.ru", "email:boris@mail.ru") {
		t.Fatal("a forwarded link or a misattributed call merged two people")
	}
	if together(t, g, "cookie:boris-phone", "email:anna@mail.ru") {
		t.Fatal("Boris's browser went to Anna")
	}
	// Two foreign sightings against one form: the browser is kept apart
	// until Boris's own evidence dominates it.
	mustObserve(t, g, at(4, "web_form", "cookie:boris-phone", "email:boris@mail.ru", "phone:+79160000002"))
	mustObserve(t, g, at(5, "web_form", "cookie:boris-phone", "phone:+79160000002"))
	if !together(t, g, "cookie:boris-phone", "email:boris@mail.ru") {
		t.Fatal("Boris's browser must be his once his typing dominates it")
	}
	// A click from a new browser attaches it.
	mustObserve(t, g, at(5, "sms_click", "cookie:anna-work", "phone:+79160000001"))
	if !together(t, g, "cookie:anna-work", "email:anna@mail.ru") {
		t.Fatal("a click must attach a new browser")
	}
	rs, err := g.WhyNot(ID{Email, "anna@mail.ru"}, ID{Email, "boris@mail.ru"})
	if err != nil || len(rs) == 0 {
		t.Fatalf("WhyNot = %v, %v", rs, err)
	}
	// A verified call (the operator checked the caller) may merge.
	o := at(6, "call", "phone:+79160000003", "email:anna@mail.ru")
	o.Trust = TrustVerified
	mustObserve(t, g, o)
	if !together(t, g, "phone:+79160000003", "email:anna@mail.ru") {
		t.Fatal("a trust override must apply")
	}
}

func TestFamilyComputerAndSecondPhone(t *testing.T) {
	g := mustGraph(t, nil)
	mustObserve(t, g, at(0, "web_form", "cookie:anna-laptop", "email:anna@mail.ru", "phone:+79160000001"))
	mustObserve(t, g, at(0, "web_form", "cookie:boris-phone", "email:boris@mail.ru", "phone:+79160000002"))
	// Both fill forms on the family computer.
	mustObserve(t, g, at(1, "web_form", "cookie:family-pc", "email:anna@mail.ru", "phone:+79160000001"))
	mustObserve(t, g, at(2, "web_form", "cookie:family-pc", "phone:+79160000002"))
	if together(t, g, "email:anna@mail.ru", "email:boris@mail.ru") {
		t.Fatal("a shared computer merged two people")
	}
	if together(t, g, "cookie:family-pc", "email:anna@mail.ru") || together(t, g, "cookie:family-pc", "email:boris@mail.ru") {
		t.Fatal("the shared computer must stay apart from both")
	}
	rs, _ := g.WhyNot(ID{Email, "anna@mail.ru"}, ID{Email, "boris@mail.ru"})
	if !slices.ContainsFunc(rs, func(r Refusal) bool { return r.Reason == RefusedBridge && len(r.Bridge.Clash) > 0 }) {
		t.Fatalf("WhyNot does not name the refused bridge: %v", rs)
	}
	// Anna types her second phone on her own laptop once: it could be
	// anyone's who sat there, so it stays apart; typed again on her work
	// computer, which she also typed on, it is hers.
	mustObserve(t, g, at(3, "web_form", "cookie:anna-laptop", "phone:+79160000009"))
	if together(t, g, "phone:+79160000009", "email:anna@mail.ru") {
		t.Fatal("a second phone typed once merged")
	}
	mustObserve(t, g, at(4, "web_form", "cookie:anna-work", "email:anna@mail.ru"))
	mustObserve(t, g, at(5, "web_form", "cookie:anna-work", "phone:+79160000009"))
	mustObserve(t, g, at(6, "call", "phone:+79160000009", "cookie:anna-laptop"))
	if !together(t, g, "phone:+79160000009", "email:anna@mail.ru") {
		t.Fatal("a second phone typed on two of the person's browsers must merge")
	}
}

func TestExplain(t *testing.T) {
	g := mustGraph(t, nil)
	mustObserve(t, g, at(0, "web_form", "cookie:c1", "email:anna@mail.ru"))
	mustObserve(t, g, at(1, "web_form", "cookie:c1", "phone:+79160000001"))
	mustObserve(t, g, at(2, "crm_import", "phone:+79160000001", "crm:CRM-1"))
	steps, err := g.Explain(ID{Email, "Anna@Mail.ru"}, ID{CRM, "CRM-1"})
	if err != nil || len(steps) != 3 {
		t.Fatalf("Explain = %v, %v", steps, err)
	}
	want := []string{"email:anna@mail.ru", "cookie:c1", "phone:+79160000001", "crm:CRM-1"}
	for i, s := range steps {
		if s.From.String() != want[i] || s.To.String() != want[i+1] {
			t.Fatalf("step %d = %s", i, s)
		}
	}
	if steps[2].Source != "crm_import" || steps[2].Trust != TrustVerified || !steps[2].Time.Equal(time.Date(2026, 6, 3, 10, 0, 0, 0, time.UTC)) {
		t.Fatalf("step = %+v", steps[2])
	}
	mustObserve(t, g, at(3, "web_form", "email:boris@mail.ru"))
	if _, err := g.Explain(ID{Email, "anna@mail.ru"}, ID{Email, "boris@mail.ru"}); !errors.Is(err, ErrNotJoined) {
		t.Fatalf("Explain across profiles: %v", err)
	}
	if _, err := g.Explain(ID{Email, "anna@mail.ru"}, ID{Email, "nobody@mail.ru"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Explain of an unknown identifier: %v", err)
	}
	rs, err := g.WhyNot(ID{Email, "anna@mail.ru"}, ID{Email, "boris@mail.ru"})
	if err != nil || len(rs) != 1 || rs[0].Reason != RefusedNoEvidence {
		t.Fatalf("WhyNot = %v, %v", rs, err)
	}
	if rs, _ := g.WhyNot(ID{Email, "anna@mail.ru"}, ID{CRM, "CRM-1"}); rs != nil {
		t.Fatalf("WhyNot of one profile = %v", rs)
	}
}

// snapshot answers every identifier's profile, to compare graphs.
func snapshotProfiles(g *Graph) map[ID]ProfileID {
	out := map[ID]ProfileID{}
	for p := range g.Profiles() {
		for id := range g.Keys(p) {
			out[id] = p
		}
	}
	return out
}

func TestRetract(t *testing.T) {
	g := mustGraph(t, nil)
	mustObserve(t, g, at(0, "web_form", "cookie:c1", "email:anna@mail.ru"))
	bridge := mustObserve(t, g, at(1, "web_form", "email:anna@mail.ru", "phone:+79160000001"))
	mustObserve(t, g, at(2, "web_form", "phone:+79160000001", "cookie:c2"))
	before := snapshotProfiles(g)
	dry, err := g.PreviewRetract(bridge.Observation)
	if err != nil || len(dry.Splits) != 1 || len(dry.Splits[0].Into) != 2 {
		t.Fatalf("dry run = %+v, %v", dry, err)
	}
	if after := snapshotProfiles(g); !mapsEqual(before, after) || g.Stats().Profiles != 1 {
		t.Fatal("a dry run changed the graph")
	}
	ch, err := g.Retract(bridge.Observation)
	if err != nil || !slices.EqualFunc(ch.Splits, dry.Splits, func(a, b Split) bool { return a.From == b.From && slices.Equal(a.Into, b.Into) }) {
		t.Fatalf("retract = %+v, %v (dry run said %+v)", ch, err, dry)
	}
	if together(t, g, "email:anna@mail.ru", "phone:+79160000001") || g.Stats().Profiles != 2 {
		t.Fatal("retracting the bridge must split the profile")
	}
	if _, err := g.Retract(bridge.Observation); !errors.Is(err, ErrRetracted) {
		t.Fatalf("retract twice: %v", err)
	}
	if _, err := g.Retract(999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("retract unknown: %v", err)
	}
	// An identifier whose only evidence is retracted stops resolving.
	only := mustObserve(t, g, at(3, "web_form", "email:lonely@mail.ru"))
	if _, err := g.Retract(only.Observation); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Resolve(Email, "lonely@mail.ru"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("retracted identifier resolves: %v", err)
	}
	if g.Stats().Profiles != 2 {
		t.Fatalf("profiles = %d", g.Stats().Profiles)
	}
}

// TestRetractKeepsSharedValue: retracting one observation of a value the
// shared-value rule quarantined re-runs the whole hub decision, not only
// the count, so a line still typed beside two customers stays a hub.
func TestRetractKeepsSharedValue(t *testing.T) {
	g := mustGraph(t, nil)
	mustObserve(t, g, at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+74957770000"))
	mustObserve(t, g, at(1, "web_form", "cookie:b2", "email:anna@mail.ru", "phone:+74957770000"))
	third := mustObserve(t, g, at(2, "web_form", "cookie:b3", "email:petr@mail.ru", "phone:+74957770000"))
	if _, err := g.Retract(third.Observation); err != nil {
		t.Fatal(err)
	}
	if together(t, g, "email:ivan@mail.ru", "email:anna@mail.ru") {
		t.Fatal("retracting one form un-quarantined the dealer's line still typed for two customers")
	}
}

// TestSharedValueAfterRepeats: a value retyped many times with the same
// companions, in any order of the form's fields, is compared once per
// distinct group (sharedCheck), and still becomes shared the first time it
// is typed beside an unrelated value of its kind.
func TestSharedValueAfterRepeats(t *testing.T) {
	for _, line := range []string{"phone:+74957770000", "phone:+79167770000"} {
		g := mustGraph(t, nil)
		for i := range 40 {
			ids := []string{"email:ivan@mail.ru", "phone:+79161110000", line}
			if i%2 == 1 {
				ids[0], ids[2] = ids[2], ids[0]
			}
			mustObserve(t, g, at(i, "web_form", ids...))
		}
		if !together(t, g, line, "email:ivan@mail.ru") {
			t.Fatalf("%s: one customer's own line, retyped 40 times, was quarantined", line)
		}
		ch := mustObserve(t, g, at(41, "web_form", "email:anna@mail.ru", "phone:+79162220000", line))
		if len(ch.Quarantined) != 1 || together(t, g, "email:ivan@mail.ru", "email:anna@mail.ru") {
			t.Fatalf("%s: typed for a second customer after 40 repeats: quarantined %v, customers together %v",
				line, ch.Quarantined, together(t, g, "email:ivan@mail.ru", "email:anna@mail.ru"))
		}
	}
}

func mapsEqual(a, b map[ID]ProfileID) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestForget(t *testing.T) {
	g := mustGraph(t, nil)
	replay := []Observation{
		at(0, "web_form", "cookie:c1", "email:anna@mail.ru"),
		at(1, "web_form", "email:anna@mail.ru", "phone:+79160000001"),
		at(2, "web_form", "phone:+79160000001", "cookie:c2"),
	}
	for _, o := range replay {
		mustObserve(t, g, o)
	}
	before := snapshotProfiles(g)
	dry, err := g.PreviewForget(Phone, "8 916 000-00-01")
	if err != nil || len(dry.Splits) != 1 || dry.Forgotten != 1 {
		t.Fatalf("dry run = %+v, %v", dry, err)
	}
	if !mapsEqual(before, snapshotProfiles(g)) {
		t.Fatal("a dry run changed the graph")
	}
	ch, err := g.Forget(context.Background(), Phone, "+79160000001")
	if err != nil || len(ch.Splits) != 1 || ch.Forgotten != 1 || ch.Added != 0 {
		t.Fatalf("Forget = %+v, %v", ch, err)
	}
	// The bridging phone is gone: the cookies are apart.
	if together(t, g, "cookie:c1", "cookie:c2") {
		t.Fatal("forgetting the bridge must split the profile")
	}
	if _, err := g.Resolve(Phone, "+79160000001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("forgotten phone resolves: %v", err)
	}
	// Nothing of the value stays in memory: not in records, not in evidence.
	for n := range uint32(g.nodes.len()) {
		if strings.Contains(string(g.nodes.value(n)), "79160000001") {
			t.Fatal("the value survives in a record")
		}
	}
	for o := range uint32(g.ev.len()) {
		for _, m := range g.ev.at(o).members {
			if m != erasedMember && g.nodes.at(m).flags&flagErased != 0 {
				t.Fatal("an erased node survives in the evidence")
			}
		}
	}
	// Replaying the same observations cannot bring it back.
	for _, o := range replay {
		ch, err := g.Observe(o)
		if err != nil && !errors.Is(err, ErrNoIdentifiers) {
			t.Fatal(err)
		}
		if strings.Contains(fmt.Sprint(o.IDs), "79160000001") && ch.Forgotten != 1 {
			t.Fatalf("replay of %v: Forgotten = %d", o.IDs, ch.Forgotten)
		}
	}
	// What the observation holds beside it, before it or after, is kept.
	for _, o := range []Observation{at(3, "web_form", "phone:+79160000001", "cookie:c3"), at(4, "web_form", "cookie:c4", "phone:+79160000001", "email:anna@mail.ru")} {
		if ch := mustObserve(t, g, o); ch.Forgotten != 1 || ch.Added != 1 {
			t.Fatalf("%v: Forgotten %d, Added %d; want 1, 1", o.IDs, ch.Forgotten, ch.Added)
		}
	}
	if !together(t, g, "cookie:c4", "email:anna@mail.ru") {
		t.Fatal("the identifiers beside a forgotten one were dropped")
	}
	if _, err := g.Resolve(Phone, "+79160000001"); !errors.Is(err, ErrNotFound) {
		t.Fatal("a replay relinked a forgotten phone")
	}
	if together(t, g, "cookie:c1", "cookie:c2") {
		t.Fatal("a replay rejoined the profile through the forgotten phone")
	}
	if _, err := g.Forget(context.Background(), Phone, "+79160000001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("forget twice: %v", err)
	}
}

func TestSoftLimit(t *testing.T) {
	g := mustGraph(t, &Options{Policy: Policy{SoftLimit: map[Kind]int{Cookie: 3}}})
	for i := range 5 {
		o := at(i, "web_form", fmt.Sprintf("cookie:c%d", i), "email:anna@mail.ru")
		for range i { // later cookies carry more evidence
			mustObserve(t, g, o)
		}
		mustObserve(t, g, o)
	}
	p := profileOf(t, g, "email:anna@mail.ru")
	var cookies []string
	for id := range g.Keys(p) {
		if id.Kind == Cookie {
			cookies = append(cookies, id.Value)
		}
	}
	if !slices.Equal(cookies, []string{"c2", "c3", "c4"}) {
		t.Fatalf("kept cookies %v", cookies)
	}
	rs, _ := g.WhyNot(ID{Cookie, "c0"}, ID{Email, "anna@mail.ru"})
	if !slices.ContainsFunc(rs, func(r Refusal) bool { return r.Reason == RefusedLimit }) {
		t.Fatalf("WhyNot = %v", rs)
	}
}

// TestSplitIsNotReportedAsMerge: taking a profile apart names it in Splits
// only; Merges are for profiles that no longer stand.
func TestSplitIsNotReportedAsMerge(t *testing.T) {
	g := mustGraph(t, nil)
	mustObserve(t, g, at(0, "web_form", "cookie:a", "email:anna@mail.ru"))
	mustObserve(t, g, at(0, "web_form", "cookie:b", "phone:+79160000002"))
	glue := mustObserve(t, g, at(1, "crm_import", "email:anna@mail.ru", "phone:+79160000002"))
	if len(glue.Merges) != 1 || len(glue.Retired) != 1 || glue.Merges[0].From[0] != glue.Retired[0] {
		t.Fatalf("merge reported as %+v", glue)
	}
	ch, err := g.Retract(glue.Observation)
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Merges) != 0 || len(ch.Splits) != 1 || ch.Splits[0].From != glue.Profile || len(ch.Splits[0].Into) != 2 {
		t.Fatalf("split reported as %+v", ch)
	}
	if !slices.Contains(ch.Splits[0].Into, glue.Profile) {
		t.Fatalf("the profile that kept its anchor is not among Into: %+v", ch)
	}
}

// TestDefaultSources: the documented source table, an unknown source, and
// an observation's own trust overriding its source's.
func TestDefaultSources(t *testing.T) {
	g := mustGraph(t, nil)
	for _, c := range []struct {
		source     string
		override   Trust
		trust      Trust
		attachOnly bool
	}{
		{"web_form", TrustDefault, TrustAsserted, false},
		{"csi_survey", TrustDefault, TrustAsserted, false},
		{"chat", TrustDefault, TrustAsserted, false},
		{"app_login", TrustDefault, TrustVerified, false},
		{"payment", TrustDefault, TrustVerified, false},
		{"crm_import", TrustDefault, TrustVerified, false},
		{"email_click", TrustDefault, TrustAsserted, true},
		{"sms_click", TrustDefault, TrustAsserted, true},
		{"call", TrustDefault, TrustInferred, true},
		{"dealer_portal", TrustDefault, TrustAsserted, false},
		{"call", TrustVerified, TrustVerified, false},
		{"web_form", TrustInferred, TrustInferred, true},
	} {
		trust, flags := g.policy.sourceRule(c.source, c.override)
		if trust != c.trust || (flags&obsAttachOnly != 0) != c.attachOnly {
			t.Errorf("%s (trust %v): got %v, attach-only %v; want %v, %v", c.source, c.override, trust, flags&obsAttachOnly != 0, c.trust, c.attachOnly)
		}
	}
}

// TestCustomDecide: a host's decision function replaces the default one
// and sees what the rules saw.
func TestCustomDecide(t *testing.T) {
	shape := func(g *Graph) {
		mustObserve(t, g, at(0, "web_form", "cookie:laptop", "email:anna@mail.ru", "phone:+79160000001"))
		mustObserve(t, g, at(3, "web_form", "cookie:laptop", "email:anna@mail.ru"))
		mustObserve(t, g, at(5, "web_form", "cookie:laptop", "phone:+79160000009"))
	}
	g := mustGraph(t, nil)
	shape(g)
	if together(t, g, "email:anna@mail.ru", "phone:+79160000009") {
		t.Fatal("the default decision merged a second phone typed once")
	}
	always := mustGraph(t, &Options{Policy: Policy{Decide: func(b Bridge) bool { return b.Typed > 0 }}})
	shape(always)
	if !together(t, always, "email:anna@mail.ru", "phone:+79160000009") {
		t.Fatal("a host's Decide did not replace the default")
	}
	var seen []Bridge
	never := mustGraph(t, &Options{Policy: Policy{Decide: func(b Bridge) bool { seen = append(seen, b); return false }}})
	shape(never)
	if together(t, never, "email:anna@mail.ru", "phone:+79160000009") {
		t.Fatal("a Decide that refuses everything merged")
	}
	if len(seen) == 0 || !slices.Equal(seen[len(seen)-1].Clash, []Kind{Phone}) || !seen[len(seen)-1].Covered || !seen[len(seen)-1].Near {
		t.Fatalf("Decide saw %+v", seen)
	}
	rs, _ := never.WhyNot(ID{Email, "anna@mail.ru"}, ID{Phone, "+79160000009"})
	if !slices.ContainsFunc(rs, func(r Refusal) bool { return r.Reason == RefusedBridge }) {
		t.Fatalf("the host's refusal is not recorded: %v", rs)
	}
}

// TestForgetMatchesRebuild: after each Forget, the graph answers as one
// restored from its snapshot (which rebuilds every profile from the
// evidence) and, with the rules off, as a graph fed the same observations
// without the forgotten identifiers. A forgotten identifier's component
// falls apart into parts that need not hold it; every part is reclustered.
func TestForgetMatchesRebuild(t *testing.T) {
	for name, opts := range map[string]*Options{"rules": nil, "core": noRules} {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			obs := randomObservations(rng, 600, 420)
			g := mustGraph(t, opts)
			for _, o := range obs {
				if _, err := g.Observe(o); err != nil {
					t.Fatal(err)
				}
			}
			gone := map[ID]bool{}
			for range 25 {
				id := obs[rng.IntN(len(obs))].IDs[0]
				c, err := ParseID(id.Kind, id.Value)
				if err != nil || gone[c] {
					continue
				}
				if _, err := g.Forget(context.Background(), id.Kind, id.Value); err != nil {
					t.Fatal(err)
				}
				gone[c] = true
				restored := mustGraph(t, opts)
				if err := restored.decodeSnapshot(snapshotBody(t, g)); err != nil {
					t.Fatal(err)
				}
				if got, want := snapshotProfiles(g), snapshotProfiles(restored); !maps.Equal(got, want) {
					t.Fatalf("after forgetting %v: the graph differs from its own snapshot restored", c)
				}
				if opts == nil {
					continue
				}
				without := mustGraph(t, opts)
				for _, o := range obs {
					o.IDs = slices.DeleteFunc(slices.Clone(o.IDs), func(x ID) bool { p, _ := ParseID(x.Kind, x.Value); return gone[p] })
					if len(o.IDs) > 0 {
						if _, err := without.Observe(o); err != nil {
							t.Fatal(err)
						}
					}
				}
				if got, want := snapshotProfiles(g), snapshotProfiles(without); !maps.Equal(got, want) {
					t.Fatalf("after forgetting %v: the graph differs from one fed the observations without it", c)
				}
			}
		})
	}
}
