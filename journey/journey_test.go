package journey

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
)

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func day(d float64) time.Time { return t0.Add(time.Duration(d * float64(24*time.Hour))) }

func graphWith(t *testing.T, obs ...identity.Observation) *identity.Graph {
	t.Helper()
	g, err := identity.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		if _, err := g.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

func ids(kv ...string) []identity.ID {
	var out []identity.ID
	for i := 0; i < len(kv); i += 2 {
		out = append(out, identity.ID{Kind: identity.Kind(kv[i]), Value: kv[i+1]})
	}
	return out
}

func ev(id string, at time.Time, typ EventType, touch Touch, who ...string) Event {
	return Event{ID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(id)), Time: at, Type: typ, Touch: touch, IDs: ids(who...)}
}

func TestOrderingAndIdempotence(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("email", "anna@mail.ru", "cookie", "c1")})
	s, _ := New(g, nil)
	for _, e := range []Event{
		ev("3", day(3), Lead, Touch{}, "email", "anna@mail.ru"),
		ev("1", day(1), PageView, Touch{Source: "yandex", Medium: "cpc"}, "cookie", "c1"),
		ev("2", day(2), CarView, Touch{}, "cookie", "c1"),
	} {
		if _, ok, err := s.Add(e); !ok || err != nil {
			t.Fatal(ok, err)
		}
	}
	if _, ok, err := s.Add(ev("2", day(2), CarView, Touch{}, "cookie", "c1")); ok || err != nil {
		t.Fatalf("duplicate added: %v %v", ok, err)
	}
	p, _ := g.Resolve(identity.Cookie, "c1")
	tl := s.Timeline(p)
	if len(tl) != 3 || tl[0].Type != PageView || tl[2].Type != Lead || s.Len() != 3 {
		t.Fatalf("timeline %v", tl)
	}
	if _, _, err := s.Add(ev("x", day(1), PageView, Touch{}, "cookie", "unknown")); !errors.Is(err, ErrNoProfile) {
		t.Fatalf("unresolved event: %v", err)
	}
	if _, _, err := s.Add(Event{Type: Lead, IDs: ids("cookie", "c1")}); err == nil {
		t.Fatal("an event without time was accepted")
	}
	_, added, err := s.Add(Event{Time: day(4), Type: Call, IDs: ids("cookie", "c1")})
	if !added || err != nil || s.Len() != 4 {
		t.Fatal("an event without ID must get one")
	}
	if n := s.CountSince(p, CarView, day(1.5), nil); n != 1 {
		t.Fatalf("CountSince = %d", n)
	}
	var seen []Event
	for e := range s.Events(p) {
		seen = append(seen, e)
	}
	if len(seen) != len(s.Timeline(p)) || seen[0].ID != s.Timeline(p)[0].ID || seen[len(seen)-1].Type != Call {
		t.Fatalf("Events = %v", seen)
	}
	for range s.Events(p) {
		break // stopping early releases the lock
	}
	if q, added, err := s.Add(ev("5", day(5), Contract, Touch{}, "email", "anna@mail.ru")); q != p || !added || err != nil {
		t.Fatalf("File = %v %v %v, want %v", q, added, err, p)
	}
	if q, added, err := s.Add(ev("5", day(5), Contract, Touch{}, "email", "anna@mail.ru")); q != p || added || err != nil {
		t.Fatalf("File of a duplicate = %v %v %v", q, added, err)
	}
}

func TestFollowMergeAndSplit(t *testing.T) {
	g := graphWith(t,
		identity.Observation{Source: "web_form", IDs: ids("cookie", "home", "email", "anna@mail.ru")},
		identity.Observation{Source: "web_form", IDs: ids("cookie", "work", "phone", "+79160000001")},
	)
	s, _ := New(g, nil)
	s.Add(ev("a", day(1), PageView, Touch{Source: "google", Medium: "cpc"}, "cookie", "home"))
	s.Add(ev("b", day(2), PageView, Touch{Source: "vk", Medium: "social"}, "cookie", "work"))
	s.Add(ev("c", day(3), Lead, Touch{}, "phone", "+79160000001"))
	if len(s.Profiles()) != 2 {
		t.Fatalf("%d profiles", len(s.Profiles()))
	}
	// A CRM import proves the email and the phone are one person.
	ch, err := g.Observe(identity.Observation{Source: "crm_import", IDs: ids("email", "anna@mail.ru", "phone", "+79160000001")})
	if err != nil || len(ch.Merges) == 0 {
		t.Fatalf("no merge: %+v %v", ch, err)
	}
	if d := s.Follow(ch).Dropped; d != 0 {
		t.Fatalf("dropped %d", d)
	}
	if len(s.Profiles()) != 1 || len(s.Timeline(ch.Profile)) != 3 {
		t.Fatalf("after merge: %d profiles, %d events", len(s.Profiles()), len(s.Timeline(ch.Profile)))
	}
	// Retracting the CRM record splits them again.
	split, err := g.Retract(ch.Observation)
	if err != nil || len(split.Splits) == 0 {
		t.Fatalf("no split: %+v %v", split, err)
	}
	r := s.Follow(split)
	profiles := s.Profiles()
	if r.Moved != 3 || r.Dropped != 0 || !slices.Equal(r.Profiles, profiles) {
		t.Fatalf("Follow = %+v, profiles %v", r, profiles)
	}
	if len(profiles) != 2 {
		t.Fatalf("after split: %d profiles", len(profiles))
	}
	total := 0
	for _, p := range profiles {
		total += len(s.Timeline(p))
	}
	home, _ := g.Resolve(identity.Cookie, "home")
	if total != 3 || len(s.Timeline(home)) != 1 || s.Len() != 3 {
		t.Fatalf("events after split: %d (home %d)", total, len(s.Timeline(home)))
	}
}

func TestSessionPolicies(t *testing.T) {
	min := func(m float64) time.Time {
		return time.Date(2026, 3, 1, 23, 40, 0, 0, time.UTC).Add(time.Duration(m * float64(time.Minute)))
	}
	ad := Touch{Source: "yandex", Medium: "cpc", YCLID: "1"}
	other := Touch{Source: "vk", Medium: "social", Campaign: "spring"}
	events := []Event{
		{Time: min(0), Type: PageView, Touch: ad},
		{Time: min(10), Type: CarView},
		{Time: min(25), Type: PageView, Touch: ad},    // another ad click, within 30 min
		{Time: min(35), Type: CarView},                // after midnight
		{Time: min(45), Type: PageView, Touch: other}, // a new campaign
		{Time: min(120), Type: CarView},               // after a long pause
	}
	for _, c := range []struct {
		name string
		pol  SessionPolicy
		want int
	}{{"GA4", GA4Sessions, 2}, {"UA", UniversalAnalyticsSessions, 4}, {"Metrica", MetricaSessions, 3}} {
		got := Sessions(events, c.pol)
		if len(got) != c.want {
			t.Errorf("%s: %d sessions, want %d", c.name, len(got), c.want)
		}
		n := 0
		for _, s := range got {
			n += len(s.Events)
		}
		if n != len(events) {
			t.Errorf("%s: %d events in sessions", c.name, n)
		}
	}
	if s := Sessions(events, GA4Sessions); s[0].Touch != ad || !s[1].Touch.IsZero() {
		t.Errorf("session sources %v / %v", s[0].Touch, s[1].Touch)
	}
	moscow, _ := time.LoadLocation("Europe/Moscow")
	if moscow != nil {
		// 23:40 UTC is 02:40 in Moscow: no midnight between 23:40 and 00:15 UTC there.
		pol := UniversalAnalyticsSessions
		pol.Location = moscow
		if got := Sessions(events[:4], pol); len(got) != 1 {
			t.Errorf("Moscow midnight: %d sessions", len(got))
		}
	}
}

func TestPathsLookbackAndRepeats(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1", "phone", "+79160000001")})
	s, _ := New(g, nil)
	search := Touch{Channel: "search"}
	display := Touch{Channel: "display"}
	retarget := Touch{Channel: "retargeting"}
	s.Add(ev("1", day(0), PageView, display, "cookie", "c1"))
	s.Add(ev("2", day(50), PageView, search, "cookie", "c1"))
	s.Add(ev("3", day(95), PageView, retarget, "cookie", "c1"))
	lead := ev("4", day(96), Lead, Touch{}, "phone", "+79160000001")
	lead.Value = Money{Minor: 0, Currency: "RUB"}
	s.Add(lead)
	s.Add(ev("5", day(120), PageView, search, "cookie", "c1"))
	contract := ev("6", day(130), Contract, Touch{}, "phone", "+79160000001")
	contract.Value = Money{Minor: 250_000_000, Currency: "RUB"}
	s.Add(contract)
	s.Add(ev("7", day(140), PageView, display, "cookie", "c1"))
	p, _ := g.Resolve(identity.Cookie, "c1")
	paths := s.Paths(p, PathOptions{})
	if len(paths) != 3 {
		t.Fatalf("%d paths", len(paths))
	}
	chs := func(i int) []string { return paths[i].Channels() }
	// The display touch on day 0 is 96 days before the lead: outside.
	if !slices.Equal(chs(0), []string{"search", "retargeting"}) {
		t.Errorf("lead path %v", chs(0))
	}
	// Since the previous conversion by default.
	if !slices.Equal(chs(1), []string{"search"}) || paths[1].Value != 250_000_000 || !paths[1].ConvertedAt.Equal(day(130)) {
		t.Errorf("contract path %v %+v", chs(1), paths[1])
	}
	if !slices.Equal(chs(2), []string{"display"}) || paths[2].Nulls != 1 || paths[2].Conversions != 0 {
		t.Errorf("open path %+v", paths[2])
	}
	whole := s.Paths(p, PathOptions{WholeWindow: true, Lookback: 200 * 24 * time.Hour})
	if !slices.Equal(whole[1].Channels(), []string{"display", "search", "retargeting", "search"}) {
		t.Errorf("whole-window contract path %v", whole[1].Channels())
	}
}

func TestMoney(t *testing.T) {
	a, err := ParseMoney("1500000.5", "rub")
	if err != nil || a.Minor != 150000050 || a.Currency != "RUB" || a.String() != "1500000.50 RUB" {
		t.Fatalf("%+v %v %s", a, err, a)
	}
	b, _ := ParseMoney("-0.05", "RUB")
	sum, err := a.Add(b)
	if err != nil || sum.Minor != 150000045 {
		t.Fatalf("%v %v", sum, err)
	}
	if _, err := a.Add(Money{Minor: 1, Currency: "USD"}); !errors.Is(err, ErrCurrency) {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "1.234", "abc", "1.", "99999999999999999999"} {
		if _, err := ParseMoney(bad, "RUB"); err == nil {
			t.Errorf("ParseMoney(%q) accepted", bad)
		}
	}
	if _, err := (Money{Minor: 1<<63 - 1}).Add(Money{Minor: 1}); err == nil {
		t.Fatal("overflow accepted")
	}
}

func TestTouch(t *testing.T) {
	if !(Touch{Medium: "CPC"}).AdClick() || !(Touch{GCLID: "x"}).AdClick() || (Touch{Medium: "email"}).AdClick() {
		t.Fatal("AdClick")
	}
	if (Touch{Source: "Yandex", Medium: "CPC"}).ChannelName() != "yandex / cpc" || (Touch{}).ChannelName() != "(direct)" || (Touch{Channel: "x"}).ChannelName() != "x" {
		t.Fatal("ChannelName")
	}
}

func TestConcurrentStore(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1", "email", "a@mail.ru")},
		identity.Observation{Source: "web_form", IDs: ids("cookie", "c2", "phone", "+79160000001")})
	s, _ := New(g, nil)
	p1, _ := g.Resolve(identity.Cookie, "c1")
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := range 500 {
				c := []string{"c1", "c2"}[i%2]
				s.Add(ev(fmt.Sprintf("%d-%d", w, i), day(float64(i)/10), []EventType{PageView, Lead, Contract}[i%3], Touch{Channel: "search"}, "cookie", c))
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			s.Timeline(p1)
			s.Funnel(context.Background(), Funnel{Steps: []FunnelStep{{Type: Lead}, {Type: Contract}}})
			s.Paths(p1, PathOptions{})
			s.CountSince(p1, Lead, day(0), nil)
		}
	})
	wg.Go(func() {
		ch, _ := g.Observe(identity.Observation{Source: "crm_import", IDs: ids("email", "a@mail.ru", "phone", "+79160000001")})
		s.Follow(ch)
	})
	wg.Wait()
	if s.Len() != 1000 {
		t.Fatalf("%d events", s.Len())
	}
	// Every event sits under the merged profile: none was filed under a
	// retired ID while the merge was followed.
	if n := len(s.Timeline(p1)); n != 1000 || len(s.Profiles()) != 1 {
		t.Fatalf("%d events under the merged profile, %d profiles", n, len(s.Profiles()))
	}
}

func TestStats(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	s, _ := New(g, nil)
	for i := range 100 {
		s.Add(ev(fmt.Sprint(i), day(float64(i)), PageView, Touch{}, "cookie", "c1"))
	}
	st := s.Stats()
	if st.Profiles != 1 || st.Events != 100 || st.Bytes < 100*56 || st.Bytes > 100*200 {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestAllPaths(t *testing.T) {
	var obs []identity.Observation
	for i := range 3000 {
		obs = append(obs, identity.Observation{Source: "web_form", IDs: ids("crm", fmt.Sprint(i))})
	}
	g := graphWith(t, obs...)
	s, _ := New(g, nil)
	for i := range 3000 {
		s.Add(ev(fmt.Sprint("t", i), day(1), PageView, Touch{Channel: "search"}, "crm", fmt.Sprint(i)))
		if i%3 == 0 {
			s.Add(ev(fmt.Sprint("c", i), day(2), Contract, Touch{}, "crm", fmt.Sprint(i)))
		}
	}
	all, _ := s.AllPaths(context.Background(), PathOptions{})
	conv, nulls := 0.0, 0.0
	for _, p := range all {
		conv += p.Conversions
		nulls += p.Nulls
	}
	if len(all) != 3000 || conv != 1000 || nulls != 2000 {
		t.Fatalf("%d paths, %v conversions, %v nulls", len(all), conv, nulls)
	}
}

// TestFollowVanishedIdentifier: when an identifier leaves a profile for
// none (its only evidence retracted, or erased), the events that carried
// only it leave the timeline; the rest stay.
func TestFollowVanishedIdentifier(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "home", "email", "anna@mail.ru")})
	ch, err := g.Observe(identity.Observation{Source: "web_form", IDs: ids("cookie", "borrowed", "email", "anna@mail.ru")})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := New(g, nil)
	s.Add(ev("1", day(1), PageView, Touch{}, "cookie", "home"))
	s.Add(ev("2", day(2), CarView, Touch{}, "cookie", "borrowed"))
	s.Add(ev("3", day(3), Lead, Touch{}, "email", "anna@mail.ru"))
	p, _ := g.Resolve(identity.Email, "anna@mail.ru")
	if n := len(s.Timeline(p)); n != 3 {
		t.Fatalf("%d events", n)
	}
	// The form from the borrowed browser was someone else's: retracted.
	back, err := g.Retract(ch.Observation)
	if err != nil || len(back.Splits) != 1 || back.Splits[0].From != p {
		t.Fatalf("retraction reported as %+v, %v", back, err)
	}
	if dropped := s.Follow(back).Dropped; dropped != 1 {
		t.Fatalf("dropped %d, want the borrowed browser's event", dropped)
	}
	if tl := s.Timeline(p); len(tl) != 2 || tl[0].Type != PageView || tl[1].Type != Lead {
		t.Fatalf("timeline after retraction: %v", tl)
	}
	// Erasing the home cookie takes its event too.
	fg, err := g.Forget(context.Background(), identity.Cookie, "home")
	if err != nil {
		t.Fatal(err)
	}
	if dropped := s.Follow(fg).Dropped; dropped != 1 || len(s.Timeline(p)) != 1 {
		t.Fatalf("after Forget: dropped %d, %d events left (%+v)", dropped, len(s.Timeline(p)), fg)
	}
}

// TestWriteInsideEventsLoop: the body of a loop over Store.Events may add
// events and follow changes (the iterator holds no lock while it yields);
// a timeout catches the deadlock the old iterator had.
func TestWriteInsideEventsLoop(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("email", "anna@mail.ru", "cookie", "c1")})
	s, _ := New(g, nil)
	s.Add(ev("1", day(1), PageView, Touch{}, "cookie", "c1"))
	p, _ := g.Resolve(identity.Cookie, "c1")
	done := make(chan int, 1)
	go func() {
		n := 0
		for range s.Events(p) {
			n++
			s.Add(ev(fmt.Sprint(n+1), day(2), Lead, Touch{}, "email", "anna@mail.ru"))
			ch, _ := g.Observe(identity.Observation{Source: "web_form", IDs: ids("email", "anna@mail.ru", "phone", "+79161234567")})
			s.Follow(ch)
		}
		done <- n
	}()
	select {
	case n := <-done:
		if n != 1 {
			t.Fatalf("%d events in the snapshot, want 1", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("writing from inside the loop deadlocked")
	}
	if len(s.Timeline(p)) != 2 {
		t.Fatalf("timeline %v", s.Timeline(p))
	}
}

// TestTouchConversions: an arrival classified by package channel becomes a
// Touch that classifies the same again, and a path touch with its channel.
func TestTouchConversions(t *testing.T) {
	c := channel.Default()
	a := channel.Arrival{Landing: "https://dealer.ru/x5?utm_source=yandex&utm_medium=cpc&utm_campaign=spring&placement=context&yclid=123&utm_term=x5", Referrer: "https://yandex.ru/"}
	cl := c.Classify(a)
	touch := TouchFrom(a, cl)
	if touch.Channel != cl.Channel || touch.Source != "yandex" || touch.Campaign != "spring" || touch.YCLID != "123" || touch.Term != "x5" || !touch.AdClick() {
		t.Fatalf("TouchFrom = %+v", touch)
	}
	if again := c.Classify(touch.Arrival()); again.Channel != cl.Channel {
		t.Fatalf("classified again: %q, first %q", again.Channel, cl.Channel)
	}
	at := day(1)
	if pt := touch.PathTouch(at); pt.Channel != cl.Channel || !pt.Time.Equal(at) || pt.Attrs["campaign"] != "spring" {
		t.Fatalf("PathTouch = %+v", pt)
	}
	if pt := (Touch{Source: "Google", Medium: "organic"}).PathTouch(at); pt.Channel != "google / organic" || pt.Attrs != nil {
		t.Fatalf("PathTouch of an unclassified touch = %+v", pt)
	}
}

// TestAdClickIsGA4Paid: a touch is an ad click by channel.PaidMedium's one
// definition of paid (retargeting included), or by a click ID.
func TestAdClickIsGA4Paid(t *testing.T) {
	for medium, want := range map[string]bool{"cpc": true, "CPM": true, "retargeting": true, "paid_social": true, "organic": false, "email": false, "": false} {
		if got := (Touch{Medium: medium}).AdClick(); got != want || got != channel.PaidMedium(medium) {
			t.Errorf("AdClick of medium %q = %v, want %v", medium, got, want)
		}
	}
	if !(Touch{Medium: "organic", YCLID: "1"}).AdClick() {
		t.Error("a click ID is an ad click")
	}
}

func TestNewOptions(t *testing.T) {
	g := graphWith(t)
	for _, c := range []struct {
		name string
		g    *identity.Graph
		opts *Options
	}{
		{"no graph", nil, nil},
		{"negative size hint", g, &Options{SizeHint: -1}},
		{"empty conversion type", g, &Options{Conversions: []EventType{"contract", ""}}},
	} {
		if _, err := New(c.g, c.opts); !errors.Is(err, ErrOptions) {
			t.Errorf("%s: %v, want ErrOptions", c.name, err)
		}
	}
	if s, err := New(g, nil); err != nil || !s.IsConversion(Contract) {
		t.Fatalf("defaults: %v", err)
	}
}
