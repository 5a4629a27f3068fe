package journey

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/identity"
)

// storeOf builds a store with one profile per person, events given as
// (person, day, type, channel).
type step4 struct {
	person  string
	day     float64
	typ     EventType
	channel string
}

func storeOf(t *testing.T, evs []step4) *Store {
	t.Helper()
	g, _ := identity.New(nil)
	seen := map[string]bool{}
	for _, e := range evs {
		if !seen[e.person] {
			seen[e.person] = true
			if _, err := g.Observe(identity.Observation{Source: "web_form", IDs: ids("crm", e.person)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s, _ := New(g, nil)
	for i, e := range evs {
		var touch Touch
		if e.channel != "" {
			touch.Channel = e.channel
		}
		if _, _, err := s.Add(ev(fmt.Sprint(i), day(e.day), e.typ, touch, "crm", e.person)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

var leadToContract = []FunnelStep{{Type: Lead}, {Type: TestDrive}, {Type: Contract}}

func TestFunnelModes(t *testing.T) {
	s := storeOf(t, []step4{
		{"A", 1, Lead, ""}, {"A", 2, PageView, ""}, {"A", 3, TestDrive, ""}, {"A", 10, Contract, ""},
		{"B", 1, Lead, ""}, {"B", 5, Contract, ""},
		{"C", 2, TestDrive, ""}, {"C", 4, Contract, ""},
		{"D", 1, Lead, ""}, {"D", 1.5, Lead, ""}, {"D", 2, TestDrive, ""}, {"D", 3, TestDrive, ""},
		{"E", 5, Contract, ""}, {"E", 6, TestDrive, ""}, {"E", 7, Lead, ""},
	})
	check := func(name string, f Funnel, want ...int) {
		t.Helper()
		r, _ := s.Funnel(context.Background(), f)
		for i, w := range want {
			if r.Reached[i] != w {
				t.Errorf("%s: step %d reached by %d, want %d (%v)", name, i, r.Reached[i], w, r.Reached)
			}
		}
	}
	check("loose closed", Funnel{Steps: leadToContract}, 4, 2, 1)
	check("strict", Funnel{Steps: leadToContract, Mode: Strict}, 4, 1, 0)      // D: lead, then directly a test drive
	check("open", Funnel{Steps: leadToContract, Open: true}, 4, 4, 4)          // B, C and E enter later
	check("any order", Funnel{Steps: leadToContract, Mode: AnyOrder}, 5, 5, 2) // k distinct steps in any order
	check("window 5 days", Funnel{Steps: leadToContract, Window: 5 * 24 * time.Hour}, 4, 2, 0)
	within := []FunnelStep{{Type: Lead}, {Type: TestDrive, Within: 24 * time.Hour}, {Type: Contract}}
	check("test drive within a day", Funnel{Steps: within}, 4, 1, 0)
	check("exclusion", Funnel{Steps: leadToContract, Exclude: []FunnelStep{{Type: PageView}}}, 4, 1, 0)
	filtered := []FunnelStep{{Type: Lead, Match: func(e Event) bool { return e.Time.Before(day(1.2)) }}, {Type: TestDrive}}
	check("filtered step", Funnel{Steps: filtered}, 3, 2)
	r, _ := s.Funnel(context.Background(), Funnel{Steps: leadToContract})
	if len(r.TimeToConvert) != 1 || r.TimeToConvert[0] != 9*24*time.Hour {
		t.Errorf("time to convert %v", r.TimeToConvert)
	}
	if got := r.Rate(0, 2); math.Abs(got-0.25) > 1e-12 {
		t.Errorf("rate %v", got)
	}
}

// TestLeadToContractByChannel reproduces the reference dealer's comparison:
// leads that came through retargeting signed a contract 27% of the time,
// leads from the display networks 13%.
func TestLeadToContractByChannel(t *testing.T) {
	var evs []step4
	for i := range 1000 {
		for _, c := range []struct {
			channel string
			conv    int
		}{{"retargeting", 270}, {"display", 130}} {
			p := fmt.Sprintf("%s-%d", c.channel, i)
			evs = append(evs, step4{p, 0, PageView, "search"}, step4{p, 1, PageView, c.channel}, step4{p, 1.01, Lead, ""})
			if i < c.conv {
				evs = append(evs, step4{p, 20, Contract, ""})
			}
		}
	}
	s := storeOf(t, evs)
	r, _ := s.Funnel(context.Background(), Funnel{Steps: []FunnelStep{{Type: Lead}, {Type: Contract}}, Breakdown: ByLastTouch})
	if got := r.ChannelRate("retargeting", 0, 1); math.Abs(got-0.27) > 1e-12 {
		t.Errorf("retargeting %v", got)
	}
	if got := r.ChannelRate("display", 0, 1); math.Abs(got-0.13) > 1e-12 {
		t.Errorf("display %v", got)
	}
	first, _ := s.Funnel(context.Background(), Funnel{Steps: []FunnelStep{{Type: Lead}, {Type: Contract}}, Breakdown: ByFirstTouch})
	if first.ByChannel["search"][0] != 2000 || first.ByChannel["search"][1] != 400 {
		t.Errorf("first-touch breakdown %v", first.ByChannel)
	}
	per, _ := s.Funnel(context.Background(), Funnel{Steps: []FunnelStep{{Type: Lead}, {Type: Contract}}, Breakdown: ByStepTouch})
	if per.ByChannel["retargeting"][1] != 270 {
		t.Errorf("per-step breakdown %v", per.ByChannel)
	}
}

// referenceFunnel counts a closed, loose funnel the plain way, profile by
// profile over its sorted events: each first-step event starts a greedy
// chain (the next step is the first matching event after the previous
// one, within the window of the entry); AnchorFirst takes the first entry,
// AnchorDeepest the deepest chain.
func referenceFunnel(timelines [][]Event, steps []EventType, window time.Duration, anchor FunnelAnchor) []int {
	reached := make([]int, len(steps))
	for _, tl := range timelines {
		best := 0
		for i, e := range tl {
			if e.Type != steps[0] {
				continue
			}
			depth, prev := 1, i
			for depth < len(steps) {
				next := -1
				for j := prev + 1; j < len(tl); j++ {
					if window > 0 && tl[j].Time.Sub(e.Time) > window {
						break
					}
					if tl[j].Type == steps[depth] {
						next = j
						break
					}
				}
				if next < 0 {
					break
				}
				depth, prev = depth+1, next
			}
			best = max(best, depth)
			if anchor == AnchorFirst {
				break
			}
		}
		for k := range best {
			reached[k]++
		}
	}
	return reached
}

// TestFunnelAgainstReference compares Funnel with referenceFunnel on
// random timelines, for both anchors, with and without a window.
func TestFunnelAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	types := []EventType{Lead, TestDrive, Contract, PageView}
	steps := []EventType{Lead, TestDrive, Contract}
	for round := range 20 {
		g := graphWith(t)
		s, _ := New(g, nil)
		var timelines [][]Event
		for p := range 300 {
			who := fmt.Sprintf("r%d-p%d", round, p)
			g.Observe(identity.Observation{Source: "crm_import", IDs: ids("crm", who)})
			n := rng.IntN(12)
			var tl []Event
			for i := range n {
				e := ev(fmt.Sprintf("%s-%d", who, i), day(float64(rng.IntN(120))+float64(i)/1000), types[rng.IntN(len(types))], Touch{}, "crm", who)
				s.Add(e)
				tl = append(tl, e)
			}
			slices.SortFunc(tl, func(a, b Event) int { return a.Time.Compare(b.Time) })
			timelines = append(timelines, tl)
		}
		for _, anchor := range []FunnelAnchor{AnchorDeepest, AnchorFirst} {
			for _, window := range []time.Duration{0, 30 * 24 * time.Hour} {
				var fs []FunnelStep
				for _, st := range steps {
					fs = append(fs, FunnelStep{Type: st})
				}
				got := mustFunnel(t, s, Funnel{Steps: fs, Window: window, Anchor: anchor}).Reached
				if want := referenceFunnel(timelines, steps, window, anchor); !slices.Equal(got, want) {
					t.Fatalf("round %d, anchor %d, window %v: Funnel %v, reference %v", round, anchor, window, got, want)
				}
			}
		}
	}
}

// TestFunnelAnchors: a first lead that stalls and a second that converts
// count as converted by default, and not when anchored on the first lead.
func TestFunnelAnchors(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "crm_import", IDs: ids("crm", "anna")})
	s, _ := New(g, nil)
	s.Add(ev("1", day(0), Lead, Touch{}, "crm", "anna"))
	s.Add(ev("2", day(60), Lead, Touch{}, "crm", "anna"))
	s.Add(ev("3", day(65), TestDrive, Touch{}, "crm", "anna"))
	f := Funnel{Steps: []FunnelStep{{Type: Lead}, {Type: TestDrive}}, Window: 30 * 24 * time.Hour}
	if got := mustFunnel(t, s, f).Reached; !slices.Equal(got, []int{1, 1}) {
		t.Errorf("AnchorDeepest: %v", got)
	}
	f.Anchor = AnchorFirst
	if got := mustFunnel(t, s, f).Reached; !slices.Equal(got, []int{1, 0}) {
		t.Errorf("AnchorFirst: %v", got)
	}
}

// mustFunnel is Funnel with a live context, for tests.
func mustFunnel(t testing.TB, s *Store, f Funnel) FunnelResult {
	t.Helper()
	r, err := s.Funnel(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// mustPaths is AllPaths with a live context, for tests.
func mustPaths(t testing.TB, s *Store, opts PathOptions) []attribution.Path {
	t.Helper()
	ps, err := s.AllPaths(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// TestQueriesCancelled: Funnel, AllPaths and ReadJSONL stop with the
// context's error when it is done.
func TestQueriesCancelled(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	s, _ := New(g, nil)
	s.Add(ev("1", day(1), Lead, Touch{}, "cookie", "c1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Funnel(ctx, Funnel{Steps: leadToContract}); !errors.Is(err, context.Canceled) {
		t.Errorf("Funnel: %v", err)
	}
	if _, err := s.AllPaths(ctx, PathOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("AllPaths: %v", err)
	}
	var in strings.Builder
	for i := range 5000 {
		e := ev(fmt.Sprint("x", i), day(2), PageView, Touch{}, "cookie", "c1")
		in.Write(e.AppendJSON(nil))
		in.WriteByte('\n')
	}
	if _, err := s.ReadJSONL(ctx, strings.NewReader(in.String())); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadJSONL: %v", err)
	}
}
