package journey

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
)

// TestAddBatchMatchesAdd files random batches, with duplicates (inside a
// batch and across), late events, events without an ID, without a time
// and with no identifier that resolves, by AddBatch into one store and by
// Add into another: the results and the timelines must be the same. The
// batched store is small, or sized to read ahead (touchSlots).
func TestAddBatchMatchesAdd(t *testing.T) {
	for _, hint := range []int{0, touchFrom} {
		t.Run(fmt.Sprint(hint), func(t *testing.T) { testAddBatchMatchesAdd(t, hint) })
	}
}

func testAddBatchMatchesAdd(t *testing.T, hint int) {
	var obs []identity.Observation
	for p := range 50 {
		obs = append(obs, identity.Observation{Source: "web_form", IDs: ids("cookie", fmt.Sprint("c", p), "email", fmt.Sprintf("p%d@mail.ru", p))})
	}
	g := graphWith(t, obs...)
	counter := func() func() (uuid.UUID, error) {
		n := 0
		return func() (uuid.UUID, error) { n++; return uuid.NewSHA1(uuid.NameSpaceURL, fmt.Append(nil, n)), nil }
	}
	batched, _ := New(g, &Options{NewID: counter(), SizeHint: hint})
	single, _ := New(g, &Options{NewID: counter()})
	rng := rand.New(rand.NewPCG(5, 5))
	var res []AddResult
	kinds := map[string]int{}
	for round := range 200 {
		n := rng.IntN(40)
		if round%50 == 0 {
			n = 2*readAheadGroup + 7 // read ahead in three groups
		}
		batch := make([]Event, n)
		for i := range batch {
			p := rng.IntN(60) // 50 to 59 resolve to nothing
			who := []string{"cookie", fmt.Sprint("c", p)}
			if rng.IntN(3) == 0 {
				who = append([]string{"phone", "+70000000000"}, "email", fmt.Sprintf("p%d@mail.ru", p))
			}
			e := ev(fmt.Sprint(rng.IntN(3000)), day(float64(round)+rng.Float64()*5-2.5), PageView, Touch{}, who...)
			switch rng.IntN(20) {
			case 0:
				e.ID = uuid.Nil // given one
			case 1:
				e.Time = time.Time{} // refused
			}
			batch[i] = e
		}
		before := slices.Clone(batch)
		res = batched.AddBatch(res[:0], batch)
		if !slices.EqualFunc(batch, before, func(a, b Event) bool { return a.ID == b.ID && a.Time.Equal(b.Time) }) {
			t.Fatalf("round %d: AddBatch changed the caller's events", round)
		}
		if len(res) != len(batch) {
			t.Fatalf("round %d: %d results for %d events", round, len(res), len(batch))
		}
		for i, e := range batch {
			p, added, err := single.Add(e)
			got := res[i]
			if got.Profile != p || got.Added != added || (got.Err == nil) != (err == nil) || (err != nil && got.Err.Error() != err.Error()) {
				t.Fatalf("round %d, event %d: AddBatch gives %+v, Add %v %v %v", round, i, got, p, added, err)
			}
			switch {
			case errors.Is(err, ErrNoProfile):
				kinds["no profile"]++
			case err != nil:
				kinds["error"]++
			case added:
				kinds["added"]++
			default:
				kinds["duplicate"]++
			}
		}
	}
	if kinds["no profile"] == 0 || kinds["added"] == 0 || kinds["duplicate"] == 0 {
		t.Fatalf("outcomes %v: the test does not cover them all", kinds)
	}
	for _, p := range single.Profiles() {
		if a, b := batched.Timeline(p), single.Timeline(p); !reflect.DeepEqual(a, b) {
			t.Fatalf("profile %v: AddBatch filed %d events, Add %d", p, len(a), len(b))
		}
	}
	if !slices.Equal(batched.Profiles(), single.Profiles()) || batched.Len() != single.Len() {
		t.Fatalf("AddBatch: %d profiles, %d events; Add: %d, %d", len(batched.Profiles()), batched.Len(), len(single.Profiles()), single.Len())
	}
}
