package channel

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
)

func mustPool(t testing.TB, cfg CallPoolOptions) *CallPool {
	t.Helper()
	p, err := NewCallPool(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func poolNumbers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("+7495100%04d", i)
	}
	return out
}

const defaultNumber = "+74951999999"

func TestCallPoolExhaustion(t *testing.T) {
	p := mustPool(t, CallPoolOptions{Numbers: poolNumbers(2), Default: defaultNumber})
	a, okA := p.Assign(SessionRef{"s1", "c1"}, t0)
	b, okB := p.Assign(SessionRef{"s2", "c2"}, t0)
	c, okC := p.Assign(SessionRef{"s3", "c3"}, t0)
	if !okA || !okB || a == b {
		t.Fatalf("first two sessions: %s %v, %s %v", a, okA, b, okB)
	}
	if okC || c != defaultNumber {
		t.Fatalf("exhausted pool gave %s %v, want the default", c, okC)
	}
	// The same session keeps its number on later page views.
	if again, _ := p.Assign(SessionRef{"s1", "c1"}, t0.Add(10*time.Minute)); again != a {
		t.Errorf("session changed number: %s → %s", a, again)
	}
	// s2 idles out after 30 min + 150 s; s1 was renewed at +10 min.
	if n := p.Free(t0.Add(32*time.Minute + 29*time.Second)); n != 0 {
		t.Errorf("free before s2's grace ended: %d", n)
	}
	if n := p.Free(t0.Add(32*time.Minute + 30*time.Second)); n != 1 {
		t.Errorf("free after s2 released: %d", n)
	}
	if got, ok := p.Assign(SessionRef{"s3", "c3"}, t0.Add(33*time.Minute)); !ok || got != b {
		t.Errorf("s3 after release: %s %v, want %s", got, ok, b)
	}
	// A call to the default number matches nobody.
	m, err := p.Match(defaultNumber, "+79161234567", t0.Add(time.Minute))
	if err != nil || len(m.Candidates) != 0 || m.Matched {
		t.Errorf("default-number call: %+v, %v", m, err)
	}
}

func TestCallPoolGrace(t *testing.T) {
	p := mustPool(t, CallPoolOptions{Numbers: poolNumbers(1), Default: defaultNumber})
	num, _ := p.Assign(SessionRef{"anna", "GA1.2.1.1"}, t0)
	p.Leave("anna", t0.Add(5*time.Minute))
	// Within the 2.5-minute grace the number is still Anna's.
	if got, ok := p.Assign(SessionRef{"boris", "GA1.2.2.2"}, t0.Add(7*time.Minute)); ok || got != defaultNumber {
		t.Fatalf("number reassigned during grace: %s %v", got, ok)
	}
	m, err := p.Match(num, "8 (916) 123-45-67", t0.Add(7*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := m.Session(); !ok || s.Session != "anna" || m.Candidates[0].Confidence != 1 {
		t.Fatalf("call in grace: %+v", m)
	}
	if m.Caller != "+79161234567" {
		t.Errorf("caller not canonical: %s", m.Caller)
	}
	o, ok := m.Observation()
	if !ok || o.Source != "call" || o.Trust != identity.TrustInferred ||
		!slices.Equal(o.IDs, []identity.ID{{Kind: identity.Phone, Value: "+79161234567"}, {Kind: identity.Cookie, Value: "GA1.2.1.1"}}) {
		t.Errorf("observation %+v", o)
	}
	// Coming back within the grace keeps the number.
	p.Leave("anna", t0.Add(8*time.Minute))
	if got, _ := p.Assign(SessionRef{"anna", ""}, t0.Add(9*time.Minute)); got != num {
		t.Errorf("returning visitor lost the number")
	}
	p.Leave("anna", t0.Add(10*time.Minute))
	if got, ok := p.Assign(SessionRef{"boris", "GA1.2.2.2"}, t0.Add(12*time.Minute+30*time.Second)); !ok || got != num {
		t.Fatalf("number not released after grace: %s %v", got, ok)
	}
}

func TestCallPoolAmbiguous(t *testing.T) {
	p := mustPool(t, CallPoolOptions{Numbers: poolNumbers(1), Default: defaultNumber})
	num, _ := p.Assign(SessionRef{"anna", "ca"}, t0)
	p.Leave("anna", t0.Add(time.Minute))
	release := t0.Add(time.Minute + 150*time.Second)
	p.Assign(SessionRef{"boris", "cb"}, release.Add(10*time.Second))
	// 20 s after Boris got the number: Anna may be calling from memory.
	m, err := p.Match(num, "+79160000001", release.Add(20*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if m.Matched || len(m.Candidates) != 2 {
		t.Fatalf("want an ambiguous match with two candidates, got %+v", m)
	}
	if m.Candidates[0].Session.Session != "boris" || m.Candidates[1].Session.Session != "anna" {
		t.Errorf("candidate order %+v", m.Candidates)
	}
	sum := m.Candidates[0].Confidence + m.Candidates[1].Confidence
	if sum < 0.999 || sum > 1.001 || m.Candidates[1].Confidence < 0.2 || m.Candidates[1].Released.IsZero() {
		t.Errorf("confidences %+v", m.Candidates)
	}
	if _, ok := m.Observation(); ok {
		t.Error("an ambiguous match must yield no identity evidence")
	}
	// 20 minutes later Anna's claim has decayed: Boris matches.
	p.Assign(SessionRef{"boris", "cb"}, release.Add(19*time.Minute))
	m, _ = p.Match(num, "+79160000001", release.Add(20*time.Minute))
	if s, ok := m.Session(); !ok || s.Session != "boris" {
		t.Errorf("late call: %+v", m)
	}
	// Before anyone held it, and long after: nobody.
	if m, _ := p.Match(num, "", t0.Add(-time.Hour)); len(m.Candidates) != 0 {
		t.Errorf("call before any hold: %+v", m)
	}
}

func TestCallPoolErrors(t *testing.T) {
	for _, cfg := range []CallPoolOptions{
		{Numbers: []string{"not a phone"}},
		{Numbers: []string{"+74951000001", "8 495 100-00-01"}},
		{Numbers: poolNumbers(2), Default: "+74951000000"},
		{Numbers: poolNumbers(2), Default: "12"},
		{Numbers: poolNumbers(2), Threshold: 1.5},
		{Numbers: poolNumbers(2), Grace: -time.Second},
	} {
		if _, err := NewCallPool(&cfg); !errors.Is(err, ErrPoolConfig) {
			t.Errorf("NewCallPool(%+v) = %v", cfg, err)
		}
	}
	p := mustPool(t, CallPoolOptions{Numbers: poolNumbers(2), Default: defaultNumber})
	if _, err := p.Match("+74957777777", "+79161234567", t0); !errors.Is(err, ErrUnknownNumber) {
		t.Errorf("unknown number: %v", err)
	}
	if _, err := p.Match(poolNumbers(1)[0], "garbage", t0); !errors.Is(err, identity.ErrMalformed) {
		t.Errorf("malformed caller: %v", err)
	}
	if _, err := p.Match("x", "+79161234567", t0); err == nil {
		t.Errorf("malformed called number accepted")
	}
}

// TestCallPoolNumbersAreJunk: a visitor who types the tracking number into
// a form (copying it from the page) does not get linked to every other
// visitor who did the same.
func TestCallPoolNumbersAreJunk(t *testing.T) {
	p := mustPool(t, CallPoolOptions{Numbers: poolNumbers(3), Default: defaultNumber})
	if len(p.Junk()) != 4 {
		t.Fatalf("Junk = %v", p.Junk())
	}
	g, err := identity.New(&identity.Options{Policy: identity.Policy{Junk: p.Junk()}})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []string{"c1", "c2"} {
		if _, err := g.Observe(identity.Observation{Time: t0, Source: "web_form", IDs: []identity.ID{
			{Kind: identity.Cookie, Value: c}, {Kind: identity.Phone, Value: "8 495 100 00 01"}, {Kind: identity.Email, Value: fmt.Sprintf("p%d@mail.ru", i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := g.Resolve(identity.Email, "p0@mail.ru")
	b, _ := g.Resolve(identity.Email, "p1@mail.ru")
	if a == b {
		t.Fatal("a tracking number linked two visitors")
	}
}

// simulateCalls runs a week of traffic through a pool of size n: 10,000
// sessions of several page views, 1,000 of which call, mostly while on the
// site, some just after leaving, a few much later from a noted number.
func simulateCalls(t testing.TB, n int, seed uint64) (correct, wrong, ambiguous, unmatchable int) {
	p := mustPool(t, CallPoolOptions{Numbers: poolNumbers(n), Default: defaultNumber})
	rng := rand.New(rand.NewPCG(seed, 1))
	type ev struct {
		at   time.Time
		kind int // 0 view, 1 leave, 2 call
		s    int
	}
	var evs []ev
	const sessions, calls = 10000, 1000
	caller := rng.Perm(sessions)[:calls]
	calls1 := map[int]bool{}
	for _, s := range caller {
		calls1[s] = true
	}
	for s := range sessions {
		// Arrivals over 7 days, denser in the daytime.
		day := rng.IntN(7)
		hour := 9 + rng.NormFloat64()*3 + 4
		start := t0.Add(time.Duration(day)*24*time.Hour + time.Duration(hour*float64(time.Hour)))
		views := 1 + rng.IntN(15)
		at := start
		for range views {
			evs = append(evs, ev{at, 0, s})
			at = at.Add(time.Duration(20+rng.IntN(120)) * time.Second)
		}
		last := at
		left := rng.IntN(2) == 0
		if left {
			evs = append(evs, ev{last, 1, s})
		}
		if calls1[s] {
			var callAt time.Time
			switch r := rng.Float64(); {
			case r < 0.6:
				callAt = start.Add(time.Duration(rng.Int64N(int64(last.Sub(start)) + 1)))
			case r < 0.9:
				callAt = last.Add(time.Duration(rng.IntN(120)) * time.Second)
			default:
				callAt = last.Add(time.Duration(5+rng.IntN(55)) * time.Minute)
			}
			evs = append(evs, ev{callAt, 2, s})
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return a.at.Compare(b.at) })
	shown := map[int]string{}
	for _, e := range evs {
		ref := SessionRef{Session: fmt.Sprint("s", e.s), Cookie: fmt.Sprint("c", e.s)}
		switch e.kind {
		case 0:
			num, _ := p.Assign(ref, e.at)
			if _, ok := shown[e.s]; !ok {
				shown[e.s] = num // the number the visitor noted first
			}
		case 1:
			p.Leave(ref.Session, e.at)
		case 2:
			m, err := p.Match(shown[e.s], "+79160000000", e.at)
			if err != nil {
				t.Fatal(err)
			}
			s, ok := m.Session()
			switch {
			case shown[e.s] == defaultNumber:
				unmatchable++
			case !ok:
				ambiguous++
			case s.Session == ref.Session:
				correct++
			default:
				wrong++
			}
		}
	}
	return
}

// TestCallTrackingSimulation reports, for pool sizes 10, 50 and 200, the
// share of 1,000 calls (from 10,000 sessions) matched to the right session.
// A small pool overflows to the default number; a large one matches almost
// all; the pool must rarely name a wrong session at any size.
func TestCallTrackingSimulation(t *testing.T) {
	var prev float64 = -1
	for _, n := range []int{10, 50, 200} {
		correct, wrong, amb, unm := simulateCalls(t, n, 42)
		total := correct + wrong + amb + unm
		share := float64(correct) / float64(total)
		t.Logf("pool %3d: matched correctly %.1f%%, wrong %.1f%%, ambiguous %.1f%%, default number %.1f%%",
			n, 100*share, 100*float64(wrong)/float64(total), 100*float64(amb)/float64(total), 100*float64(unm)/float64(total))
		if total != 1000 {
			t.Fatalf("%d calls simulated", total)
		}
		if share < prev {
			t.Errorf("pool %d matched fewer calls (%.3f) than a smaller pool (%.3f)", n, share, prev)
		}
		prev = share
		if matched := correct + wrong; matched > 0 && float64(wrong)/float64(matched) > 0.05 {
			t.Errorf("pool %d: %d of %d matches name the wrong session", n, wrong, matched)
		}
	}
	if prev < 0.85 {
		t.Errorf("a 200-number pool matched only %.1f%% of calls", 100*prev)
	}
}

func BenchmarkCallPoolAssign(b *testing.B) {
	p := mustPool(b, CallPoolOptions{Numbers: poolNumbers(200), Default: defaultNumber})
	refs := make([]SessionRef, 1000)
	for i := range refs {
		refs[i] = SessionRef{Session: fmt.Sprint("s", i), Cookie: fmt.Sprint("c", i)}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p.Assign(refs[i%len(refs)], t0.Add(time.Duration(i)*time.Second))
		i++
	}
}

// TestCallPoolRetention: history past the retention is dropped (a call
// that late cannot be matched), and dropping it waits for nothing else.
func TestCallPoolRetention(t *testing.T) {
	p := mustPool(t, CallPoolOptions{Numbers: poolNumbers(1), Default: defaultNumber, Retention: 24 * time.Hour})
	num, _ := p.Assign(SessionRef{"s1", "c1"}, t0)
	p.Leave("s1", t0.Add(time.Minute))
	if m, _ := p.Match(num, "", t0.Add(2*time.Minute)); !m.Matched {
		t.Fatalf("within grace: %+v", m)
	}
	p.Free(t0.Add(23 * time.Hour))
	if m, _ := p.Match(num, "", t0.Add(2*time.Minute)); !m.Matched {
		t.Fatalf("history dropped before the retention: %+v", m)
	}
	p.Free(t0.Add(25 * time.Hour))
	if m, _ := p.Match(num, "", t0.Add(2*time.Minute)); len(m.Candidates) != 0 {
		t.Fatalf("history kept past the retention: %+v", m)
	}
}
