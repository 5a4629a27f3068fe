package identity

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// noRules turns the merge rules off: profiles are connected components.
var noRules = &Options{Policy: Policy{Disabled: true}}

func mustGraph(t testing.TB, opts *Options) *Graph {
	t.Helper()
	g, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func obs(ids ...string) Observation {
	o := Observation{Time: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC), Source: "web_form"}
	for _, s := range ids {
		k, v, _ := strings.Cut(s, ":")
		o.IDs = append(o.IDs, ID{Kind(k), v})
	}
	return o
}

func TestObserveResolve(t *testing.T) {
	g := mustGraph(t, nil)
	ch, err := g.Observe(obs("email:Ivan.Petrov@Gmail.com", "phone:8 (916) 123-45-67", "cookie:GA1.2.512900830.1700083068"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ch.Created) != 1 || ch.Created[0] != ch.Profile || ch.Added != 3 || len(ch.Retired) != 0 || ch.Profile.IsZero() {
		t.Fatalf("first change = %+v", ch)
	}
	for _, q := range []struct {
		kind Kind
		raw  string
	}{
		{Email, "ivanpetrov@gmail.com"}, {Phone, "+79161234567"}, {Cookie, "512900830.1700083068"}, {Phone, "89161234567"},
	} {
		p, err := g.Resolve(q.kind, q.raw)
		if err != nil || p != ch.Profile {
			t.Errorf("Resolve(%s, %q) = %v, %v; want %v", q.kind, q.raw, p, err, ch.Profile)
		}
	}
	if _, err := g.Resolve(Email, "nobody@mail.ru"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown identifier: %v", err)
	}
	if _, err := g.Resolve(Email, "not an email"); !errors.Is(err, ErrMalformed) {
		t.Errorf("malformed query: %v", err)
	}
	if _, err := g.Resolve("loyalty", "1"); !errors.Is(err, ErrUnknownKind) {
		t.Errorf("unknown kind: %v", err)
	}
	keys := slices.Collect(g.Keys(ch.Profile))
	want := []ID{{Email, "ivanpetrov@gmail.com"}, {Phone, "+79161234567"}, {Cookie, "512900830.1700083068"}}
	if !slices.Equal(keys, want) {
		t.Fatalf("Keys = %v; want %v", keys, want)
	}
	st := g.Stats()
	if st.Identifiers != 3 || st.Profiles != 1 || st.Observations != 1 {
		t.Fatalf("Stats = %+v", st)
	}
}

// TestResolveAll checks ResolveAll against Resolve one by one: canonical
// and raw values, unknown identifiers and kinds, malformed and empty
// values, forgotten and merged ones.
// TestResolveAll checks ResolveAll against Resolve, in a small graph and
// in one whose index is large enough to be read ahead, over more
// identifiers than one group.
func TestResolveAll(t *testing.T) {
	for _, hint := range []int{0, touchFrom} {
		g := mustGraph(t, &Options{SizeHint: hint})
		g.Observe(obs("email:Ivan.Petrov@Gmail.com", "phone:8 (916) 123-45-67"))
		g.Observe(obs("cookie:c1", "email:anna@mail.ru"))
		g.Observe(obs("cookie:c2", "email:olga@mail.ru"))
		g.Observe(obs("cookie:c2", "phone:+79031112233")) // joins olga's
		if _, err := g.Forget(context.Background(), Email, "anna@mail.ru"); err != nil {
			t.Fatal(err)
		}
		one := []ID{
			{Email, "ivanpetrov@gmail.com"}, {Phone, "8 (916) 123-45-67"}, {Phone, "+79161234567"},
			{Email, "nobody@mail.ru"}, {Email, "not an email"}, {"loyalty", "1"}, {Email, ""},
			{Email, "anna@mail.ru"}, {Cookie, "c1"}, {Cookie, "c2"}, {Phone, "+79031112233"}, {Email, "Olga@Mail.ru"},
		}
		var ids []ID
		for range 3 * resolveGroup / len(one) {
			ids = append(ids, one...)
		}
		got := g.ResolveAll([]ProfileID{{hi: 1}}, ids)
		if len(got) != len(ids)+1 || got[0] != (ProfileID{hi: 1}) {
			t.Fatalf("ResolveAll appended %d to a dst of 1, want %d after it", len(got), len(ids))
		}
		resolved := 0
		for i, id := range ids {
			want, err := g.Resolve(id.Kind, id.Value)
			if err != nil {
				want = ProfileID{}
			} else if i < len(one) {
				resolved++
			}
			if got[1+i] != want {
				t.Errorf("size hint %d: ResolveAll: %v gives %v, Resolve %v (%v)", hint, id, got[1+i], want, err)
			}
		}
		if resolved != 7 {
			t.Fatalf("%d of the identifiers resolve, want 7", resolved)
		}
	}
}

func TestMergeRetiresIDs(t *testing.T) {
	g := mustGraph(t, nil)
	a, _ := g.Observe(obs("cookie:c1", "email:a@mail.ru"))
	b, _ := g.Observe(obs("cookie:c2", "phone:+79161234567"))
	if a.Profile == b.Profile {
		t.Fatal("two profiles expected")
	}
	// Seen again: no change.
	again, err := g.Observe(obs("cookie:c1"))
	if err != nil || len(again.Created) != 0 || again.Added != 0 || len(again.Retired) != 0 || again.Profile != a.Profile {
		t.Fatalf("repeat = %+v, %v", again, err)
	}
	m, err := g.Observe(obs("cookie:c1", "cookie:c2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Created) != 0 || m.Added != 0 || len(m.Retired) != 1 {
		t.Fatalf("merge = %+v", m)
	}
	// The email anchors (rank 20 beats phone's 30), so a's ID survives.
	if m.Profile != a.Profile || m.Retired[0] != b.Profile {
		t.Fatalf("merge kept %v retired %v; want %v and %v", m.Profile, m.Retired, a.Profile, b.Profile)
	}
	if cur, ok := g.Current(b.Profile); !ok || cur != a.Profile {
		t.Fatalf("Current(retired) = %v, %v", cur, ok)
	}
	if cur, ok := g.Current(a.Profile); !ok || cur != a.Profile {
		t.Fatalf("Current(live) = %v, %v", cur, ok)
	}
	if n := len(slices.Collect(g.Keys(b.Profile))); n != 4 {
		t.Fatalf("Keys(retired) has %d keys", n)
	}
	if _, ok := g.Current(ProfileID{1, 2}); ok {
		t.Fatal("Current of an unknown ID")
	}
	if got := slices.Collect(g.Profiles()); !slices.Equal(got, []ProfileID{a.Profile}) {
		t.Fatalf("Profiles = %v", got)
	}
}

func TestBetterAnchorRetiresID(t *testing.T) {
	g := mustGraph(t, nil)
	c, _ := g.Observe(obs("cookie:c1"))
	crm, _ := g.Observe(obs("cookie:c1", "crm:CRM-7"))
	if len(crm.Created) != 0 || crm.Profile == c.Profile || !slices.Equal(crm.Retired, []ProfileID{c.Profile}) {
		t.Fatalf("change = %+v (cookie profile %v)", crm, c.Profile)
	}
}

func TestObserveBadIdentifiers(t *testing.T) {
	g := mustGraph(t, nil)
	ch, err := g.Observe(obs("email:bad", "phone:8 916 123 45 67", "device:00000000-0000-0000-0000-000000000000", "telegram:@ivan"))
	if err != nil || ch.Profile.IsZero() || ch.Added != 1 {
		t.Fatalf("valid identifier not applied: %+v, %v (an error means nothing was applied)", ch, err)
	}
	skipped := errors.Join(ch.Skipped...)
	for _, want := range []error{ErrMalformed, ErrRefused, ErrUnknownKind} {
		if !errors.Is(skipped, want) {
			t.Errorf("skipped %v does not report %v", ch.Skipped, want)
		}
	}
	if len(ch.Skipped) != 3 {
		t.Errorf("skipped %d identifiers, want 3: %v", len(ch.Skipped), ch.Skipped)
	}
	if _, err := g.Resolve(Email, "bad"); err == nil {
		t.Error("a malformed value was joined")
	}
	_, err = g.Observe(obs("email:bad"))
	if !errors.Is(err, ErrNoIdentifiers) || !errors.Is(err, ErrMalformed) {
		t.Errorf("no valid identifiers: %v", err)
	}
	if g.Stats().Observations != 1 {
		t.Errorf("an empty observation was stored")
	}
	other := mustGraph(t, nil)
	p, _ := other.Prepare(obs("email:a@mail.ru"))
	if _, err := g.ObserveBatch([]Prepared{p}); err == nil {
		t.Error("foreign Prepared accepted")
	}
}

func TestDuplicateIdentifiersInOneObservation(t *testing.T) {
	g := mustGraph(t, nil)
	ch, err := g.Observe(obs("phone:89161234567", "phone:+7 916 123-45-67", "phone:9161234567"))
	if err != nil || ch.Added != 1 {
		t.Fatalf("%+v, %v", ch, err)
	}
}

type upperNormalizer struct{}

func (upperNormalizer) Normalize(raw string) (string, error) {
	s := strings.ToUpper(strings.TrimSpace(raw))
	if s == "" {
		return "", errors.New("empty card")
	}
	return s, nil
}

func TestHostKinds(t *testing.T) {
	g := mustGraph(t, &Options{Kinds: []KindSpec{{Kind: "loyalty", Class: Hard, Normalizer: upperNormalizer{}, Rank: 5}}})
	a, err := g.Observe(obs("loyalty: ab-12 ", "cookie:c1"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := g.Resolve("loyalty", "AB-12")
	if err != nil || p != a.Profile {
		t.Fatalf("Resolve = %v, %v", p, err)
	}
	_, err = g.Observe(obs("loyalty:  "))
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("a plain error from a host normalizer must wrap ErrMalformed: %v", err)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Kind != "loyalty" {
		t.Fatalf("error does not name the kind: %v", err)
	}
	for _, bad := range []Options{
		{Kinds: []KindSpec{{Kind: "Bad Name", Normalizer: upperNormalizer{}}}},
		{Kinds: []KindSpec{{Kind: "card"}}},
		{PhoneRegion: "XX"},
	} {
		if _, err := New(&bad); !errors.Is(err, ErrBadOptions) {
			t.Errorf("New(%+v) = %v", bad, err)
		}
	}
	// A replaced built-in: phones of Germany by default.
	de := mustGraph(t, &Options{PhoneRegion: "DE"})
	id, err := de.Normalize(Phone, "030 1234567")
	if err != nil || id.Value != "+49301234567" {
		t.Fatalf("DE phone = %v, %v", id, err)
	}
}

func TestProfileIDText(t *testing.T) {
	g := mustGraph(t, nil)
	ch, _ := g.Observe(obs("email:a@mail.ru"))
	s := ch.Profile.String()
	if len(s) != 36 || s[14] != '8' || !strings.ContainsRune("89ab", rune(s[19])) {
		t.Fatalf("not a UUIDv8: %s", s)
	}
	back, err := ParseProfileID(s)
	if err != nil || back != ch.Profile {
		t.Fatalf("ParseProfileID(%s) = %v, %v", s, back, err)
	}
	var u ProfileID
	if err := u.UnmarshalText([]byte(s)); err != nil || u != ch.Profile {
		t.Fatal(err)
	}
	bin, _ := ch.Profile.MarshalBinary()
	if len(bin) != 16 || hex.EncodeToString(bin) != strings.ReplaceAll(s, "-", "") {
		t.Fatalf("MarshalBinary = %x, want the UUID's bytes %s", bin, s)
	}
	if b16 := ch.Profile.As16(); string(b16[:]) != string(bin) {
		t.Fatalf("As16 = %x, want MarshalBinary's %x", b16, bin)
	}
	var v ProfileID
	if err := v.UnmarshalBinary(bin); err != nil || v != ch.Profile {
		t.Fatalf("UnmarshalBinary = %v, %v", v, err)
	}
	if err := v.UnmarshalBinary(bin[:15]); !errors.Is(err, ErrMalformed) {
		t.Errorf("UnmarshalBinary(15 bytes) = %v", err)
	}
	for _, bad := range []string{"", "xyz", strings.Repeat("g", 36), "01234567-89ab-cdef-0123-456789abcdeX"} {
		if _, err := ParseProfileID(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseProfileID(%q) = %v", bad, err)
		}
	}
}

// randomObservations builds observations over n identifiers of mixed kinds:
// each joins 1 to 4 random identifiers, a few with a near-neighbour so that
// components of all sizes form.
func randomObservations(rng *rand.Rand, n, m int) []Observation {
	kinds := []Kind{Cookie, Device, CRM, Email}
	val := func(i int) ID {
		k := kinds[i%len(kinds)]
		switch k {
		case Email:
			return ID{k, fmt.Sprintf("user%d@example.com", i)}
		case Device:
			return ID{k, fmt.Sprintf("dev-%d", i)}
		case CRM:
			return ID{k, fmt.Sprintf("CRM-%d", i)}
		}
		return ID{k, fmt.Sprintf("%d.%d", i, 1700000000+i)}
	}
	out := make([]Observation, m)
	for j := range out {
		k := 1 + rng.IntN(4)
		o := Observation{Time: time.Unix(int64(1700000000+j), 0), Source: "test"}
		first := rng.IntN(n)
		o.IDs = append(o.IDs, val(first))
		for range k - 1 {
			if rng.IntN(2) == 0 {
				o.IDs = append(o.IDs, val((first+1+rng.IntN(8))%n))
			} else {
				o.IDs = append(o.IDs, val(rng.IntN(n)))
			}
		}
		out[j] = o
	}
	return out
}

// components is the plain reference: BFS over an adjacency list.
func components(t testing.TB, obs []Observation) map[ID]int {
	t.Helper()
	adj := map[ID][]ID{}
	for _, o := range obs {
		ids := make([]ID, len(o.IDs))
		for i, raw := range o.IDs {
			id, err := ParseID(raw.Kind, raw.Value)
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = id
		}
		for _, a := range ids {
			if _, ok := adj[a]; !ok {
				adj[a] = nil
			}
			for _, b := range ids {
				if a != b {
					adj[a] = append(adj[a], b)
				}
			}
		}
	}
	comp := map[ID]int{}
	next := 0
	for start := range adj {
		if _, seen := comp[start]; seen {
			continue
		}
		queue := []ID{start}
		comp[start] = next
		for len(queue) > 0 {
			a := queue[0]
			queue = queue[1:]
			for _, b := range adj[a] {
				if _, seen := comp[b]; !seen {
					comp[b] = next
					queue = append(queue, b)
				}
			}
		}
		next++
	}
	return comp
}

// TestPartitionIsConnectedComponents: with no rules in play the profiles are
// exactly the connected components of the observations.
func TestPartitionIsConnectedComponents(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	os := randomObservations(rng, n, n*6/10)
	g := mustGraph(t, noRules)
	for _, o := range os {
		if _, err := g.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	ref := components(t, os)
	// Same partition: a bijection between reference components and profiles.
	compToProfile := map[int]ProfileID{}
	profileToComp := map[ProfileID]int{}
	for id, c := range ref {
		p, err := g.ResolveID(id)
		if err != nil {
			t.Fatalf("ResolveID(%v): %v", id, err)
		}
		if q, ok := compToProfile[c]; ok && q != p {
			t.Fatalf("component %d split into %v and %v", c, p, q)
		}
		if d, ok := profileToComp[p]; ok && d != c {
			t.Fatalf("profile %v joins components %d and %d", p, c, d)
		}
		compToProfile[c], profileToComp[p] = p, c
	}
	st := g.Stats()
	if st.Identifiers != len(ref) || st.Profiles != len(compToProfile) {
		t.Fatalf("stats %+v; reference has %d identifiers in %d components", st, len(ref), len(compToProfile))
	}
	t.Logf("%d identifiers, %d profiles", st.Identifiers, st.Profiles)
}

// TestOrderIndependence: shuffled observations give the same profiles with
// the same IDs.
func TestOrderIndependence(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	os := randomObservations(rng, 20_000, 12_000)
	answer := func(os []Observation) map[ID]ProfileID {
		g := mustGraph(t, noRules)
		for _, o := range os {
			if _, err := g.Observe(o); err != nil {
				t.Fatal(err)
			}
		}
		out := map[ID]ProfileID{}
		for p := range g.Profiles() {
			for id := range g.Keys(p) {
				out[id] = p
			}
		}
		return out
	}
	want := answer(os)
	for round := range 3 {
		shuffled := slices.Clone(os)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for i := range shuffled { // identifiers within an observation too
			ids := slices.Clone(shuffled[i].IDs)
			rng.Shuffle(len(ids), func(a, b int) { ids[a], ids[b] = ids[b], ids[a] })
			shuffled[i].IDs = ids
		}
		got := answer(shuffled)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d identifiers, want %d", round, len(got), len(want))
		}
		for id, p := range want {
			if got[id] != p {
				t.Fatalf("round %d: %v in %v, want %v", round, id, got[id], p)
			}
		}
	}
}

// TestChangesTrackProfiles replays Changes into a set of live profile IDs
// and checks it always matches the graph. Random graphs exercise the plain
// union; the rules run in accuracy_test.go on a realistic population, as
// random joins make one giant component that rules recompute on every call.
func TestChangesTrackProfiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	checkChangesTrackProfiles(t, mustGraph(t, noRules), randomObservations(rng, 3000, 2500))
}

func checkChangesTrackProfiles(t *testing.T, g *Graph, os []Observation) {
	t.Helper()
	chs := make([]Change, len(os))
	for i, o := range os {
		ch, err := g.Observe(o)
		if err != nil {
			t.Fatal(err)
		}
		chs[i] = ch
	}
	checkChangesReported(t, g, chs)
}

// checkChangesReported replays chs, every Change g made in order, into a
// set of live profile IDs and checks it against the graph's profiles.
func checkChangesReported(t *testing.T, g *Graph, chs []Change) {
	t.Helper()
	live := map[ProfileID]bool{}
	for _, ch := range chs {
		for _, r := range ch.Retired {
			if !live[r] {
				t.Fatalf("retired %v was not live", r)
			}
			delete(live, r)
		}
		for _, p := range ch.Created {
			if live[p] {
				t.Fatalf("created %v already live", p)
			}
			live[p] = true
		}
		live[ch.Profile] = true
		for _, m := range ch.Merges {
			live[m.Into] = true
		}
		for _, s := range ch.Splits {
			for _, p := range s.Into {
				live[p] = true
			}
		}
		for _, q := range ch.Quarantined {
			p, err := g.ResolveID(q)
			if err != nil {
				t.Fatal(err)
			}
			live[p] = true
		}
	}
	got := slices.Collect(g.Profiles())
	if len(got) != len(live) {
		t.Fatalf("%d profiles, changes say %d", len(got), len(live))
	}
	for _, p := range got {
		if !live[p] {
			t.Fatalf("profile %v never reported", p)
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	g := mustGraph(t, noRules)
	rng := rand.New(rand.NewPCG(7, 8))
	os := randomObservations(rng, 5000, 4000)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := w; i < len(os); i += 2 {
				if _, err := g.Observe(os[i]); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for range 2 {
		wg.Go(func() {
			for i := range 2000 {
				id := os[i].IDs[0]
				if p, err := g.Resolve(id.Kind, id.Value); err == nil {
					_, _ = g.Current(p)
					for range g.Keys(p) {
					}
				}
				_ = g.Stats()
			}
		})
	}
	wg.Wait()
	// Writers raced, yet the partition is the components.
	ref := components(t, os)
	if g.Stats().Identifiers != len(ref) {
		t.Fatalf("%d identifiers, want %d", g.Stats().Identifiers, len(ref))
	}
}

// TestObserveBatch checks ObserveBatch against Observe one by one, in a
// small graph and in one whose index is large enough to read ahead.
func TestObserveBatch(t *testing.T) {
	for _, hint := range []int{0, touchFrom} {
		t.Run(fmt.Sprint(hint), func(t *testing.T) { testObserveBatch(t, hint) })
	}
}

func testObserveBatch(t *testing.T, hint int) {
	rng := rand.New(rand.NewPCG(9, 10))
	os := randomObservations(rng, 2000, 1500)
	big := *noRules
	big.SizeHint = hint
	one, batch := mustGraph(t, noRules), mustGraph(t, &big)
	var want []Change
	for _, o := range os {
		c, err := one.Observe(o)
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, c)
	}
	ps := make([]Prepared, 0, len(os)+1)
	for _, o := range os {
		p, err := batch.Prepare(o)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	empty, _ := batch.Prepare(obs("email:bad"))
	ps = append(ps, empty)
	got, err := batch.ObserveBatch(ps)
	if !errors.Is(err, ErrNoIdentifiers) {
		t.Fatalf("empty observation not reported: %v", err)
	}
	for i := range want {
		if got[i].Profile != want[i].Profile || !slices.Equal(got[i].Created, want[i].Created) || !slices.Equal(got[i].Retired, want[i].Retired) {
			t.Fatalf("change %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
