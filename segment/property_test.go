package segment

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// propertySet uses every kind of node whose answer depends on events,
// identity or time.
func propertySet() Set {
	kia := Filter{Type: "car_view", Where: []Prop{{Name: "brand", Op: Equals, Value: "Kia"}}}
	return Set{
		Segments: []Segment{
			{Name: "warm", When: And{
				Count{Event: Filter{Type: "car_view"}, Min: 4, Window: Window{Last: 7 * day}},
				Count{Event: Filter{Type: "lead"}, Min: 1},
				None{Event: Filter{Type: "contract"}},
			}},
			{Name: "kia", When: Count{Event: kia, Min: 2, Max: 5, Window: Window{Last: 3 * day}}},
			{Name: "stale", When: Last{Event: Filter{Type: "lead"}, OlderThan: 2 * day}},
			{Name: "fresh", When: First{Event: Filter{}, NewerThan: 4 * day}},
			{Name: "drove", When: Sequence{Steps: []SequenceStep{{Event: Filter{Type: "lead"}}, {Event: Filter{Type: "test_drive"}, Within: 2 * day}}, Window: Window{Last: 10 * day}}},
			{Name: "contactable", When: Or{HasID{Kind: identity.Email}, HasID{Kind: identity.Phone}}},
			{Name: "moscow warm", When: And{InSegment{Name: "warm"}, Prop{Name: "city", Op: Equals, Value: "Москва"}}},
		},
		Segmentations: []Segmentation{{Name: "stage", Tabs: []Segment{
			{Name: "buyer", When: Count{Event: Filter{Type: "contract"}, Min: 1}},
			{Name: "warm", When: InSegment{Name: "warm"}},
			{Name: "known", When: InSegment{Name: "contactable"}},
		}}},
	}
}

// TestIncrementalMatchesFull feeds random streams (late and future events,
// merges, splits by retraction, clock jumps) to an engine and checks, at
// checkpoints, that its memberships equal a fresh engine's full rebuild
// over the same store and graph, and that the changes it emitted replay to
// exactly those memberships.
func TestIncrementalMatchesFull(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { incrementalVsFull(t, seed) })
	}
}

func incrementalVsFull(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	set := propertySet()
	g, err := identity.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := journey.New(g, nil)
	props := func(p identity.ProfileID) map[string]string {
		if p.String()[0]%2 == 0 {
			return map[string]string{"city": "Москва"}
		}
		return map[string]string{"city": "Казань"}
	}
	e, err := NewEngine(&set, &Options{Store: s, Graph: g, Props: props})
	if err != nil {
		t.Fatal(err)
	}
	log := map[[2]string]bool{}
	apply := func(chs []Transition) {
		t.Helper()
		for _, c := range chs {
			k := [2]string{c.Segment, c.Profile.String()}
			if log[k] == c.Entered {
				t.Fatalf("change %+v repeats the state it reports", c)
			}
			if c.Entered {
				log[k] = true
			} else {
				delete(log, k)
			}
		}
	}
	const people = 40
	var known []identity.ID
	var obs []identity.ObservationID
	var sent []uuid.UUID
	idOf := func(person int, kind int) identity.ID {
		switch kind {
		case 0:
			return identity.ID{Kind: identity.Cookie, Value: fmt.Sprintf("c%d", person)}
		case 1:
			return identity.ID{Kind: identity.Cookie, Value: fmt.Sprintf("c%d-phone", person)}
		case 2:
			return identity.ID{Kind: identity.Email, Value: fmt.Sprintf("p%d@mail.ru", person)}
		}
		return identity.ID{Kind: identity.Phone, Value: fmt.Sprintf("+7916%07d", person)}
	}
	now := t0
	observe := func(ids ...identity.ID) {
		ch, err := g.Observe(identity.Observation{Time: now, Source: "app_login", IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		obs = append(obs, ch.Observation)
		for _, id := range ids {
			if !slices.Contains(known, id) {
				known = append(known, id)
			}
		}
		apply(e.Follow(ch, now))
	}
	check := func(step int) {
		t.Helper()
		apply(refresh(e, now))
		full, err := NewEngine(&set, &Options{Store: s, Graph: g, Props: props})
		if err != nil {
			t.Fatal(err)
		}
		full.Rebuild(context.Background(), now)
		// The kept hits are exactly what the timelines give.
		for i := range e.states {
			st := &e.states[i]
			if st.id.IsZero() {
				continue
			}
			x := pstate{id: st.id}
			e.load(&x)
			if !slices.Equal(x.hits, st.hits) || x.kinds != st.kinds {
				t.Fatalf("step %d: %v keeps %d hits (kinds %b), its timeline gives %d (%b)", step, st.id, len(st.hits), st.kinds, len(x.hits), x.kinds)
			}
		}
		for _, name := range e.Names() {
			inc, all := e.Members(name), full.Members(name)
			if !slices.Equal(inc, all) {
				t.Fatalf("step %d, %s: incremental %d members, full %d", step, name, len(inc), len(all))
			}
			for _, p := range inc {
				if !log[[2]string{name, p.String()}] {
					t.Fatalf("step %d: %s member %v never entered in the change log", step, name, p)
				}
			}
		}
		n := 0
		for _, name := range e.Names() {
			n += len(e.Members(name))
		}
		if n != len(log) {
			t.Fatalf("step %d: change log holds %d memberships, engine %d", step, len(log), n)
		}
	}
	types := []string{"car_view", "car_view", "car_view", "lead", "test_drive", "contract", "page_view"}
	for step := range 2500 {
		now = now.Add(time.Duration(rng.IntN(6*3600)) * time.Second)
		switch r := rng.IntN(100); {
		case r < 10 || len(known) == 0:
			p := rng.IntN(people)
			observe(idOf(p, rng.IntN(4)))
		case r < 22:
			// Mostly one person's identifiers together; sometimes two
			// people's (a shared computer), which the rules may merge.
			p, q := rng.IntN(people), rng.IntN(people)
			if rng.IntN(4) > 0 {
				q = p
			}
			observe(idOf(p, rng.IntN(4)), idOf(q, rng.IntN(4)))
		case r < 26 && len(obs) > 0:
			ch, err := g.Retract(obs[rng.IntN(len(obs))])
			if err != nil {
				continue // already retracted
			}
			apply(e.Follow(ch, now))
		case r < 29:
			apply(refresh(e, now))
		default:
			who := known[rng.IntN(len(known))]
			when := now.Add(-time.Duration(rng.IntN(3*86400)) * time.Second)
			if rng.IntN(20) == 0 {
				when = now.Add(time.Duration(rng.IntN(86400)) * time.Second) // clock skew
			}
			typ := types[rng.IntN(len(types))]
			var pr map[string]string
			if typ == "car_view" {
				pr = map[string]string{"brand": []string{"Kia", "Lada", "Haval"}[rng.IntN(3)]}
			}
			id := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%d/%d", seed, step))
			if rng.IntN(30) == 0 && len(sent) > 0 {
				id = sent[rng.IntN(len(sent))] // a duplicate delivery
			}
			sent = append(sent, id)
			chs, err := e.Add(journey.Event{ID: id, Time: when, Type: journey.EventType(typ), Props: pr, IDs: []identity.ID{who}}, now)
			if errors.Is(err, journey.ErrNoProfile) {
				continue // its only observation was retracted
			}
			if err != nil {
				t.Fatal(err)
			}
			apply(chs)
		}
		if step%500 == 499 {
			check(step)
		}
	}
	check(2500)
}
