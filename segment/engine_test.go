package segment

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

var t0 = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

func at(days float64) time.Time { return t0.Add(time.Duration(days * float64(day))) }

// world is a graph, a store and an engine over them.
type world struct {
	t     *testing.T
	g     *identity.Graph
	s     *journey.Store
	e     *Engine
	props map[identity.ProfileID]map[string]string
	r     *channel.Reacher
	n     int
}

func newWorld(t *testing.T, set Set) *world {
	t.Helper()
	g, err := identity.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := channel.NewReacher(&channel.ReachOptions{Preference: []string{"email", "sms"}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := journey.New(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, g: g, s: s, r: r, props: map[identity.ProfileID]map[string]string{}}
	w.e, err = NewEngine(&set, &Options{Store: w.s, Graph: g, Reacher: r, Props: func(p identity.ProfileID) map[string]string { return w.props[p] }})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// person observes identifiers together ("cookie:c1", "email:a@b.ru") and
// returns the profile and the engine's changes.
func (w *world) observe(now time.Time, ids ...string) (identity.ProfileID, []Transition) {
	w.t.Helper()
	o := identity.Observation{Time: now, Source: "app_login"}
	for _, s := range ids {
		k, v, _ := strings.Cut(s, ":")
		o.IDs = append(o.IDs, identity.ID{Kind: identity.Kind(k), Value: v})
	}
	ch, err := w.g.Observe(o)
	if err != nil {
		w.t.Fatal(err)
	}
	return ch.Profile, w.e.Follow(ch, now)
}

func (w *world) add(who string, when time.Time, typ string, props map[string]string, now time.Time) []Transition {
	w.t.Helper()
	w.n++
	k, v, _ := strings.Cut(who, ":")
	ev := journey.Event{ID: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%d", w.n)), Time: when, Type: journey.EventType(typ), Props: props,
		IDs: []identity.ID{{Kind: identity.Kind(k), Value: v}}}
	chs, err := w.e.Add(ev, now)
	if err != nil {
		w.t.Fatal(err)
	}
	return chs
}

func names(chs []Transition) []string {
	var out []string
	for _, c := range chs {
		sign := "-"
		if c.Entered {
			sign = "+"
		}
		out = append(out, sign+c.Segment)
	}
	return out
}

func warmSet() Set {
	return Set{Segments: []Segment{{Name: "warm", When: And{
		Count{Event: Filter{Type: "car_view"}, Min: 10, Window: Window{Last: 30 * day}},
		Count{Event: Filter{Type: "lead"}, Min: 1},
		None{Event: Filter{Type: "contract"}},
	}}}}
}

func TestWarmCustomers(t *testing.T) {
	w := newWorld(t, warmSet())
	p, _ := w.observe(at(0), "cookie:c1", "email:anna@mail.ru")
	for i := range 10 {
		if chs := w.add("cookie:c1", at(float64(i)), "car_view", nil, at(float64(i))); len(chs) != 0 {
			t.Fatalf("view %d: %v", i, chs)
		}
	}
	chs := w.add("email:anna@mail.ru", at(10), "lead", nil, at(10))
	if len(chs) != 1 || !chs[0].Entered || chs[0].Segment != "warm" || chs[0].Profile != p || chs[0].Cause != CauseEvent || !chs[0].At.Equal(at(10)) {
		t.Fatalf("lead: %+v", chs)
	}
	if !w.e.Is(p, "warm") || !slices.Equal(w.e.Members("warm"), []identity.ProfileID{p}) {
		t.Fatal("membership not kept")
	}
	// Nothing happens until time moves the first view out of the window.
	if chs := refresh(w.e, at(29.5)); len(chs) != 0 {
		t.Fatalf("refresh at 29.5: %v", chs)
	}
	chs = refresh(w.e, at(30.5))
	if len(chs) != 1 || chs[0].Entered || chs[0].Cause != CauseTime {
		t.Fatalf("refresh at 30.5: %+v", chs)
	}
	// A new view brings her back; a contract takes her out for good.
	if chs := w.add("cookie:c1", at(30.6), "car_view", nil, at(30.6)); !slices.Equal(names(chs), []string{"+warm"}) {
		t.Fatalf("%v", names(chs))
	}
	if chs := w.add("cookie:c1", at(31), "contract", nil, at(31)); !slices.Equal(names(chs), []string{"-warm"}) {
		t.Fatalf("%v", names(chs))
	}
	// A duplicate event changes nothing; an unresolvable one is an error.
	if chs, err := w.e.Add(journey.Event{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte("1")), Time: at(0), Type: "lead", IDs: []identity.ID{{Kind: identity.Cookie, Value: "c1"}}}, at(32)); len(chs) != 0 || err != nil {
		t.Fatal(chs, err)
	}
	if _, err := w.e.Add(journey.Event{Time: at(0), Type: "lead", IDs: []identity.ID{{Kind: identity.Cookie, Value: "nobody"}}}, at(32)); !errors.Is(err, journey.ErrNoProfile) {
		t.Fatal(err)
	}
	if got := w.e.Evaluate(p, at(31)); len(got) != 0 {
		t.Fatal(got)
	}
}

// TestCorrelatedCount is Mautic's bug: the filter and the count must be of
// the same events.
func TestCorrelatedCount(t *testing.T) {
	set := Set{Segments: []Segment{{Name: "kia fan", When: Count{
		Event: Filter{Type: "car_view", Where: []Prop{{Name: "brand", Op: Equals, Value: "Kia"}}}, Min: 3, Window: Window{Last: 30 * day}}}}}
	w := newWorld(t, set)
	w.observe(at(0), "cookie:mixed")
	w.observe(at(0), "cookie:fan")
	w.add("cookie:mixed", at(1), "car_view", map[string]string{"brand": "Kia"}, at(1))
	for i := range 5 {
		w.add("cookie:mixed", at(1), "car_view", map[string]string{"brand": "Lada"}, at(1+float64(i)/10))
		w.add("cookie:mixed", at(1), "page_view", map[string]string{"brand": "Kia"}, at(1+float64(i)/10))
	}
	for i := range 3 {
		w.add("cookie:fan", at(float64(i)), "car_view", map[string]string{"brand": "Kia"}, at(2))
	}
	fan, _ := w.g.Resolve(identity.Cookie, "fan")
	if got := w.e.Members("kia fan"); !slices.Equal(got, []identity.ProfileID{fan}) {
		t.Fatalf("members %v, want only the fan", got)
	}
}

func TestBehaviourNodes(t *testing.T) {
	set := Set{Segments: []Segment{
		{Name: "no contract", When: None{Event: Filter{Type: "contract"}}},
		{Name: "stale lead", When: Last{Event: Filter{Type: "lead"}, OlderThan: 14 * day}},
		{Name: "new", When: First{Event: Filter{}, NewerThan: 7 * day}},
		{Name: "drove", When: Sequence{Steps: []SequenceStep{{Event: Filter{Type: "lead"}}, {Event: Filter{Type: "test_drive"}, Within: 7 * day}}}},
		{Name: "lead then drive then contract", When: Sequence{Steps: []SequenceStep{
			{Event: Filter{Type: "lead"}}, {Event: Filter{Type: "test_drive"}, Within: 7 * day}, {Event: Filter{Type: "contract"}, Within: 2 * day}}}},
		{Name: "spring", When: Count{Event: Filter{Type: "lead"}, Min: 1, Window: Window{From: at(0), To: at(5)}}},
		{Name: "two or three leads", When: Count{Event: Filter{Type: "lead"}, Min: 2, Max: 3}},
	}}
	w := newWorld(t, set)
	p, chs := w.observe(at(0), "cookie:c")
	if !slices.Equal(names(chs), []string{"+no contract"}) {
		t.Fatalf("a profile without events has no contract: %v", names(chs))
	}
	w.add("cookie:c", at(0), "lead", nil, at(0))
	w.add("cookie:c", at(8), "test_drive", nil, at(8)) // 8 days: too late
	is := func(now time.Time, want ...string) {
		t.Helper()
		if got := w.e.Evaluate(p, now); !slices.Equal(got, want) {
			t.Fatalf("at %v: %q, want %q", now.Sub(t0), got, want)
		}
	}
	is(at(5), "no contract", "new", "spring")
	is(at(8), "no contract", "spring") // her first event is 8 days old
	is(at(14.5), "no contract", "stale lead", "spring")
	w.add("cookie:c", at(10), "lead", nil, at(10))
	is(at(10), "no contract", "spring", "two or three leads")
	w.add("cookie:c", at(12), "test_drive", nil, at(12))
	is(at(12), "no contract", "drove", "spring", "two or three leads")
	w.add("cookie:c", at(15), "contract", nil, at(15))
	is(at(15), "drove", "spring", "two or three leads") // contract 3 days after the drive
	w.add("cookie:c", at(13), "contract", nil, at(15))  // arrives late, lands in place
	is(at(15), "drove", "lead then drive then contract", "spring", "two or three leads")
	w.add("cookie:c", at(16), "lead", nil, at(16))
	w.add("cookie:c", at(17), "lead", nil, at(17))
	is(at(17), "drove", "lead then drive then contract", "spring")
	is(at(31.5), "stale lead", "drove", "lead then drive then contract", "spring")
	// An event dated in the future is not seen before its time.
	w2 := newWorld(t, Set{Segments: []Segment{{Name: "buyer", When: Count{Event: Filter{Type: "contract"}, Min: 1}}}})
	q, _ := w2.observe(at(0), "cookie:d")
	if chs := w2.add("cookie:d", at(2), "contract", nil, at(1)); len(chs) != 0 {
		t.Fatalf("a future contract counted: %v", chs)
	}
	if chs := refresh(w2.e, at(2)); len(chs) != 1 || chs[0].Profile != q || !chs[0].Entered {
		t.Fatalf("%+v", chs)
	}
}

func TestSegmentationTabs(t *testing.T) {
	set := Set{
		Segments: []Segment{{Name: "lead", When: Count{Event: Filter{Type: "lead"}, Min: 1}}},
		Segmentations: []Segmentation{{Name: "stage", Tabs: []Segment{
			{Name: "buyer", When: Count{Event: Filter{Type: "contract"}, Min: 1}},
			{Name: "hot", When: InSegment{Name: "lead"}},
			{Name: "browsing", When: Count{Event: Filter{Type: "car_view"}, Min: 1}},
		}}},
	}
	w := newWorld(t, set)
	w.observe(at(0), "cookie:a")
	p, _ := w.g.Resolve(identity.Cookie, "a")
	if !w.e.Is(p, "stage/other") {
		t.Fatal("a profile matching no tab belongs to other")
	}
	if chs := w.add("cookie:a", at(1), "car_view", nil, at(1)); !slices.Equal(names(chs), []string{"-stage/other", "+stage/browsing"}) {
		t.Fatalf("%v", names(chs))
	}
	// A lead matches hot and browsing; only the first tab takes her.
	if chs := w.add("cookie:a", at(2), "lead", nil, at(2)); !slices.Equal(names(chs), []string{"-stage/browsing", "+lead", "+stage/hot"}) {
		t.Fatalf("%v", names(chs))
	}
	if chs := w.add("cookie:a", at(3), "contract", nil, at(3)); !slices.Equal(names(chs), []string{"-stage/hot", "+stage/buyer"}) {
		t.Fatalf("%v", names(chs))
	}
	for _, id := range []string{"b", "c", "d"} {
		w.observe(at(0), "cookie:"+id)
	}
	w.add("cookie:b", at(1), "car_view", nil, at(4))
	w.add("cookie:c", at(1), "lead", nil, at(4))
	// Exactly one tab each.
	for _, p := range slices.Collect(w.e.Profiles()) {
		n := 0
		for _, tab := range []string{"stage/buyer", "stage/hot", "stage/browsing", "stage/other"} {
			if w.e.Is(p, tab) {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%v is in %d tabs", p, n)
		}
	}
	if n := len(w.e.Members("stage/other")); n != 1 {
		t.Fatalf("other has %d", n)
	}
	if got := w.e.Names(); !slices.Equal(got, []string{"lead", "stage/buyer", "stage/hot", "stage/browsing", "stage/other"}) {
		t.Fatal(got)
	}
}

func TestProfileConditions(t *testing.T) {
	set := Set{Segments: []Segment{
		{Name: "emailable", When: And{HasID{Kind: identity.Email}, ReachableOn{Channel: "email"}}},
		{Name: "moscow", When: Prop{Name: "city", Op: Equals, Value: "москва", Fold: true}},
		{Name: "service due", When: Prop{Name: "last_service", Op: Less, Value: "now-365d"}},
		{Name: "outside moscow", When: And{HasID{Kind: identity.Email}, Not{Cond: InSegment{Name: "moscow"}}}},
	}}
	w := newWorld(t, set)
	_, chs := w.observe(at(0), "cookie:c")
	if len(chs) != 0 {
		t.Fatal(names(chs))
	}
	// An identifier arriving changes HasID through Follow (and, being a
	// better anchor, the profile's ID).
	p, chs := w.observe(at(1), "cookie:c", "email:olga@yandex.ru")
	if !slices.Equal(names(chs), []string{"+outside moscow"}) {
		t.Fatalf("%v (no consent yet; not known to be in Moscow)", names(chs))
	}
	w.r.SetContact(p, "email", "olga@yandex.ru")
	if err := w.r.RecordConsent(p, channel.Consent{Channel: "email", Purpose: "marketing", Status: channel.ConsentGranted, At: at(1)}); err != nil {
		t.Fatal(err)
	}
	if chs := w.e.Touch(p, at(1)); !slices.Equal(names(chs), []string{"+emailable"}) || chs[0].Cause != CauseTouch {
		t.Fatalf("%v", chs)
	}
	w.r.Suppress("email", "olga@yandex.ru", channel.Unsubscribed, at(2))
	if chs := w.e.Touch(p, at(2)); !slices.Equal(names(chs), []string{"-emailable"}) {
		t.Fatalf("%v", names(chs))
	}
	w.props[p] = map[string]string{"city": "Москва", "last_service": "2025-06-15"}
	if chs := w.e.Touch(p, at(2)); !slices.Equal(names(chs), []string{"-outside moscow", "+moscow"}) {
		t.Fatalf("%v", names(chs))
	}
	// A year after the service, time alone moves her.
	if chs := refresh(w.e, time.Date(2026, 6, 16, 0, 0, 0, 0, time.UTC)); !slices.Equal(names(chs), []string{"+service due"}) {
		t.Fatalf("%v", names(chs))
	}
}

func TestEngineConfig(t *testing.T) {
	if _, err := NewEngine(&Set{}, &Options{}); !errors.Is(err, ErrConfig) {
		t.Fatal(err)
	}
	g, _ := identity.New(nil)
	s, _ := journey.New(g, nil)
	_, err := NewEngine(&Set{Segments: []Segment{{Name: "x", When: Or{HasID{Kind: "loyalty"}, ReachableOn{Channel: "sms"}}}}}, &Options{Store: s, Graph: g})
	if got := errorPaths(err); !equalSets(got, []string{"segments[0].when.or[0].has", "segments[0].when.or[1].reach"}) {
		t.Fatalf("%q %v", got, err)
	}
	_, err = NewEngine(&Set{Segments: []Segment{{Name: "x", When: HasID{Kind: "email"}}}}, &Options{Store: s})
	if got := errorPaths(err); !equalSets(got, []string{"segments[0].when.has"}) {
		t.Fatalf("%q %v", got, err)
	}
}

func TestMergeAndSplit(t *testing.T) {
	set := Set{Segments: []Segment{
		{Name: "viewer", When: Count{Event: Filter{Type: "car_view"}, Min: 2}},
		{Name: "lead", When: Count{Event: Filter{Type: "lead"}, Min: 1}},
	}}
	w := newWorld(t, set)
	a, _ := w.observe(at(0), "cookie:phone-browser")
	b, _ := w.observe(at(0), "email:ivan@mail.ru")
	w.add("cookie:phone-browser", at(1), "car_view", nil, at(1))
	w.add("cookie:phone-browser", at(1.1), "lead", nil, at(1.1))
	w.add("email:ivan@mail.ru", at(2), "car_view", nil, at(2))
	// He logs in on the phone: the profiles merge; two views now.
	o := identity.Observation{Time: at(3), Source: "app_login", IDs: []identity.ID{{Kind: identity.Cookie, Value: "phone-browser"}, {Kind: identity.Email, Value: "ivan@mail.ru"}}}
	ch, err := w.g.Observe(o)
	if err != nil || len(ch.Merges) != 1 {
		t.Fatal(ch, err)
	}
	chs := w.e.Follow(ch, at(3))
	into := ch.Merges[0].Into
	retired := a
	if into == a {
		retired = b
	}
	var got []string
	for _, c := range chs {
		who := "into"
		if c.Profile == retired {
			who = "retired"
		}
		s := fmt.Sprintf("%s %v %s carried=%d", who, c.Entered, c.Segment, len(c.Carried))
		got = append(got, s)
		if c.Cause != CauseIdentity {
			t.Fatal(c)
		}
	}
	want := []string{"retired false lead carried=0", "into true viewer carried=0", "into true lead carried=1"}
	if into == a { // the cookie's profile survived: its lead is not an entry
		want = []string{"into true viewer carried=0"}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("merge changes %q, want %q", got, want)
	}
	if !w.e.Is(into, "viewer") || !w.e.Is(into, "lead") || w.e.Is(retired, "lead") {
		t.Fatal("memberships after merge")
	}
	// Retracting the login splits them again.
	ch, err = w.g.Retract(ch.Observation)
	if err != nil || len(ch.Splits) == 0 {
		t.Fatal(ch, err)
	}
	w.e.Follow(ch, at(4))
	ca, _ := w.g.Resolve(identity.Cookie, "phone-browser")
	cb, _ := w.g.Resolve(identity.Email, "ivan@mail.ru")
	if got := w.e.Evaluate(ca, at(4)); !slices.Equal(got, []string{"lead"}) || !w.e.Is(ca, "lead") || w.e.Is(ca, "viewer") {
		t.Fatalf("cookie side: %v", got)
	}
	if w.e.Is(cb, "lead") || w.e.Is(cb, "viewer") {
		t.Fatal("email side")
	}
}

// TestEngineConcurrent runs ingest, identity changes, refreshes and reads
// at once; -race checks the engine's locking.
func TestEngineConcurrent(t *testing.T) {
	w := newWorld(t, propertySet())
	for i := range 20 {
		w.observe(at(0), fmt.Sprintf("cookie:k%d", i))
	}
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := range 300 {
				ev := journey.Event{ID: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%d/%d", g, i)), Time: at(float64(i) / 100), Type: []journey.EventType{"car_view", "lead", "contract"}[i%3],
					IDs: []identity.ID{{Kind: identity.Cookie, Value: fmt.Sprintf("k%d", i%20)}}}
				if _, err := w.e.Add(ev, at(float64(i)/100)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			ch, err := w.g.Observe(identity.Observation{Source: "app_login", IDs: []identity.ID{{Kind: identity.Cookie, Value: fmt.Sprintf("k%d", i)}, {Kind: identity.Email, Value: fmt.Sprintf("u%d@mail.ru", i/2)}}})
			if err != nil {
				t.Error(err)
				return
			}
			w.e.Follow(ch, at(1))
		}
	})
	wg.Go(func() {
		for i := range 20 {
			refresh(w.e, at(float64(i)/5))
			w.e.Members("warm")
			for p := range w.e.Profiles() {
				_ = p
			}
		}
	})
	wg.Wait()
	// After the dust settles, incremental equals a rebuild.
	refresh(w.e, at(4))
	full, err := NewEngine(&Set{Segments: propertySet().Segments, Segmentations: propertySet().Segmentations}, &Options{Store: w.s, Graph: w.g, Reacher: w.r, Props: w.e.cfg.Props})
	if err != nil {
		t.Fatal(err)
	}
	full.Rebuild(context.Background(), at(4))
	for _, n := range w.e.Names() {
		if !slices.Equal(w.e.Members(n), full.Members(n)) {
			t.Fatalf("%s differs after concurrent use", n)
		}
	}
}

// TestWriteInsideProfilesLoop: the body of a loop over Engine.Profiles may
// add events and follow merges (the iterator holds no lock while it
// yields); a timeout catches the deadlock the old iterator had.
func TestWriteInsideProfilesLoop(t *testing.T) {
	w := newWorld(t, warmSet())
	w.observe(t0, "cookie:c1", "email:a@mail.ru")
	w.add("cookie:c1", at(0), "car_view", nil, at(0))
	done := make(chan int, 1)
	go func() {
		n := 0
		for range w.e.Profiles() {
			n++
			w.add("email:a@mail.ru", at(1), "lead", nil, at(1))
			w.observe(at(1), "email:a@mail.ru", "phone:+79161234567")
		}
		done <- n
	}()
	select {
	case n := <-done:
		if n == 0 {
			t.Fatal("no profile")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("writing from inside the loop deadlocked")
	}
}

// TestRebuildCancelled: a Rebuild whose context is done returns its error
// and leaves the engine as it was; the same Rebuild with a live context
// then applies the history the engine had not seen.
func TestRebuildCancelled(t *testing.T) {
	w := newWorld(t, Set{Segments: []Segment{{Name: "lead", When: Count{Event: Filter{Type: "lead"}, Min: 1}}}})
	p, _ := w.observe(t0, "cookie:c1", "email:a@mail.ru")
	// An event the engine never saw: only a rebuild brings it in.
	if _, _, err := w.s.Add(journey.Event{ID: uuid.New(), Time: at(1), Type: "lead", IDs: []identity.ID{{Kind: identity.Cookie, Value: "c1"}}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.e.Rebuild(ctx, at(2)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Rebuild: %v", err)
	}
	if w.e.Is(p, "lead") || w.e.Evaluate(p, at(2)) == nil {
		t.Fatalf("after a cancelled Rebuild: member %v, evaluates to %v", w.e.Is(p, "lead"), w.e.Evaluate(p, at(2)))
	}
	var log bytes.Buffer
	w.e.cfg.Logger = slog.New(slog.NewTextHandler(&log, nil))
	chs, err := w.e.Rebuild(context.Background(), at(2))
	if err != nil || !w.e.Is(p, "lead") || len(chs) != 1 {
		t.Fatalf("Rebuild: %v %v", chs, err)
	}
	if !strings.Contains(log.String(), "segment: rebuilt") || !strings.Contains(log.String(), "changes=1") {
		t.Errorf("log %q", log.String())
	}
}

// refresh is Refresh for tests, with a live context: its error would be a
// test bug.
func refresh(e *Engine, now time.Time) []Transition {
	out, err := e.Refresh(context.Background(), now)
	if err != nil {
		panic(err)
	}
	return out
}

// TestRefreshCancelled: a cancelled Refresh returns the context's error
// and changes no membership.
func TestRefreshCancelled(t *testing.T) {
	w := newWorld(t, warmSet())
	p, _ := w.observe(t0, "cookie:c1", "email:a@mail.ru")
	for i := range 10 {
		w.add("cookie:c1", at(float64(i)/10), "car_view", nil, at(1))
	}
	w.add("cookie:c1", at(1), "lead", nil, at(1))
	if !w.e.Is(p, "warm") {
		t.Fatal("not warm")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := w.e.Refresh(ctx, at(40)); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Refresh: %v", err)
	}
	if !w.e.Is(p, "warm") {
		t.Fatal("a cancelled Refresh changed a membership")
	}
	if chs := refresh(w.e, at(40)); len(chs) != 1 || w.e.Is(p, "warm") {
		t.Fatalf("Refresh: %v", chs)
	}
}
