package journey

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/disktest"
)

func TestOpenSnapshotReopen(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1", "phone", "+79161234567")})
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, g, &Options{Sync: identity.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		e := ev(fmt.Sprint(i), day(float64(i)), []EventType{PageView, Lead, Contract}[i%3], Touch{Channel: "search", Campaign: "spring"}, "cookie", "c1")
		e.Props = map[string]string{"model": "Camry"}
		e.Value = Money{Minor: int64(i * 100), Currency: "RUB"}
		if _, _, err := s.Add(e); err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			if err := s.Snapshot(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	p, _ := g.Resolve(identity.Cookie, "c1")
	want := s.Timeline(p)
	s.Close()
	back, err := Open(context.Background(), dir, g, &Options{Sync: identity.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if r := back.Recovery(); !r.Snapshot || r.Records != 4 || r.DroppedBytes != 0 {
		t.Fatalf("Recovery %+v", r)
	}
	if got := back.Timeline(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("restored timeline differs:\n%v\n%v", got, want)
	}
	if mem, _ := New(g, nil); mem.Snapshot(context.Background()) != ErrNotPersistent {
		t.Fatal(err)
	}
}

// TestTornEventJournal cuts the journal at every byte of its last records.
func TestTornEventJournal(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	dir := t.TempDir()
	s, _ := Open(context.Background(), dir, g, &Options{Sync: identity.SyncNever})
	var sizes []int64
	for i := range 6 {
		s.Add(ev(fmt.Sprint(i), day(float64(i)), PageView, Touch{}, "cookie", "c1"))
		s.Sync()
		st, _ := os.Stat(filepath.Join(dir, "journal-0.log"))
		sizes = append(sizes, st.Size())
	}
	s.Close()
	data, _ := os.ReadFile(filepath.Join(dir, "journal-0.log"))
	for cut := sizes[3]; cut <= int64(len(data)); cut++ {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, "journal-0.log"), data[:cut], 0o644)
		back, err := Open(context.Background(), d, g, &Options{Sync: identity.SyncNever})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		kept := 0
		for kept < len(sizes) && sizes[kept] <= cut {
			kept++
		}
		if back.Len() != kept || back.Recovery().Records != kept {
			t.Fatalf("cut at %d: %d events, want %d (%+v)", cut, back.Len(), kept, back.Recovery())
		}
		back.Close()
	}
}

// TestErasureLeavesTheDisk: after Forget, Follow and Snapshot, no file of
// the store holds the erased value.
func TestErasureLeavesTheDisk(t *testing.T) {
	dir := t.TempDir()
	g := graphWith(t,
		identity.Observation{Source: "web_form", IDs: ids("cookie", "home-1234567", "email", "anna@mail.ru")},
		identity.Observation{Source: "web_form", IDs: ids("cookie", "erase-me-987654", "email", "anna@mail.ru")})
	s, err := Open(context.Background(), dir, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Add(ev("1", day(1), PageView, Touch{}, "cookie", "erase-me-987654"))
	s.Add(ev("2", day(2), Lead, Touch{}, "email", "anna@mail.ru"))
	ch, err := g.Forget(context.Background(), identity.Cookie, "erase-me-987654")
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Follow(ch).Dropped; d != 1 {
		t.Fatalf("dropped %d", d)
	}
	if err := s.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if disktest.Holds(t, dir, "erase-me-987654") {
		t.Fatal("the directory still holds the erased cookie")
	}
	if s.Len() != 1 {
		t.Fatalf("%d events", s.Len())
	}
}

// TestCancelled: a cancelled Open or Snapshot returns context.Canceled and
// leaves the directory as it was; the store reopens whole.
func TestCancelled(t *testing.T) {
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")})
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, g, &Options{Sync: identity.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		s.Add(ev(fmt.Sprint(i), day(float64(i)/100), PageView, Touch{}, "cookie", "c1"))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	logs, _ := filepath.Glob(filepath.Join(dir, "*"))
	if err := s.Snapshot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Snapshot: %v", err)
	}
	s.Close()
	if _, err := Open(ctx, dir, g, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Open: %v", err)
	}
	if after, _ := filepath.Glob(filepath.Join(dir, "*")); !slices.Equal(after, logs) {
		t.Fatalf("files %v, before %v", after, logs)
	}
	back, err := Open(context.Background(), dir, g, nil)
	if err != nil || back.Len() != 5000 {
		t.Fatalf("reopened: %v, %d events", err, back.Len())
	}
	back.Close()
}

// TestRecoveryUnresolved: events whose identifiers no longer resolve when
// the store reopens are left out and counted.
func TestRecoveryUnresolved(t *testing.T) {
	dir := t.TempDir()
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")}, identity.Observation{Source: "web_form", IDs: ids("cookie", "c2")})
	s, err := Open(context.Background(), dir, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Add(ev("1", day(1), PageView, Touch{}, "cookie", "c1"))
	s.Add(ev("2", day(2), PageView, Touch{}, "cookie", "c2"))
	s.Add(ev("3", day(3), PageView, Touch{}, "cookie", "c2"))
	s.Close()
	only := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "c1")}) // c2 is gone
	back, err := Open(context.Background(), dir, only, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if r := back.Recovery(); r.Unresolved != 2 || r.Records != 3 || back.Len() != 1 {
		t.Fatalf("recovery %+v, %d events", r, back.Len())
	}
}

// TestErasureInsideEvents: an erased identifier leaves the events that
// carry it beside others (they stay, without it), Pull takes it off the
// disk, and a later event carrying it is journaled without it.
func TestErasureInsideEvents(t *testing.T) {
	dir := t.TempDir()
	g := graphWith(t, identity.Observation{Source: "web_form", IDs: ids("cookie", "home-1234567", "email", "anna@mail.ru")})
	s, err := Open(context.Background(), dir, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, _, err := s.Add(ev("1", day(1), Lead, Touch{}, "cookie", "home-1234567", "email", "anna@mail.ru")); err != nil {
		t.Fatal(err)
	}
	ch, err := g.Forget(context.Background(), identity.Email, "anna@mail.ru")
	if err != nil || len(ch.Erased) != 1 {
		t.Fatalf("forget: %+v, %v", ch, err)
	}
	s.Follow(ch)
	if _, err := s.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Add(ev("2", day(2), PageView, Touch{}, "email", "anna@mail.ru", "cookie", "home-1234567")); err != nil {
		t.Fatal(err)
	}
	p, _ := g.Resolve(identity.Cookie, "home-1234567")
	tl := s.Timeline(p)
	if len(tl) != 2 {
		t.Fatalf("timeline %v", tl)
	}
	for _, e := range tl {
		if slices.ContainsFunc(e.IDs, func(id identity.ID) bool { return id.Kind == identity.Email }) {
			t.Fatalf("event %s still carries the erased email: %v", e.ID, e.IDs)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if disktest.Holds(t, dir, "anna@mail.ru") {
		t.Fatal("the directory still holds the erased email")
	}
}
