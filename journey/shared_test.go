package journey

import (
	"context"
	"testing"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// TestSharedFiling: on a backend (here the local one), an event whose
// first identifier does not resolve yet is filed by a later one and moves
// when the first comes to resolve; one none of whose identifiers resolves
// waits, and is filed once one does. The timelines end as those of a store
// fed the events after the observations.
func TestSharedFiling(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "b-12345678")})
	s, err := OpenBackend(context.Background(), journal.LocalBackend(t.TempDir(), "journey", nil), g, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first := ev("1", day(1), PageView, Touch{}, "email", "anna@mail.ru", "cookie", "b-12345678")
	if _, _, err := s.Add(first); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.wait(ev("2", day(2), Lead, Touch{}, "phone", "+79161234567"))
	s.mu.Unlock()
	if st := s.Stats(); st.Events != 1 || st.Pending != 1 {
		t.Fatalf("stats %+v", st)
	}
	for _, o := range []identity.Observation{
		{Source: "web_form", IDs: ids("email", "anna@mail.ru")},
		{Source: "web_form", IDs: ids("phone", "+79161234567", "email", "anna@mail.ru")},
	} {
		ch, err := g.Observe(o)
		if err != nil {
			t.Fatal(err)
		}
		s.Follow(ch)
	}
	ref, _ := New(g, nil)
	for _, e := range []Event{first, ev("2", day(2), Lead, Touch{}, "phone", "+79161234567")} {
		if _, _, err := ref.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	anna, _ := g.Resolve(identity.Email, "anna@mail.ru")
	if got, want := len(s.Timeline(anna)), len(ref.Timeline(anna)); got != want || got != 2 {
		t.Fatalf("anna's timeline holds %d events, the reference %d (want 2)", got, want)
	}
	if st := s.Stats(); st.Pending != 0 || st.Events != 2 {
		t.Fatalf("stats %+v", st)
	}
}
