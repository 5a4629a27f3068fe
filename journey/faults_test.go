package journey

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// TestEveryFault opens a store on a file system that fails one operation
// (each kind, each N in turn), adds events (one of them twice), snapshots,
// syncs and closes; then reopens the directory without faults. Each run
// checks that the call the fault fired in returned an error, and that the
// reopened store holds exactly the events whose Add returned nil, in order,
// none doubled.
func TestEveryFault(t *testing.T) {
	g := graphWith(t,
		identity.Observation{Source: "web_form", IDs: ids("cookie", "c1", "email", "anna@mail.ru")},
		identity.Observation{Source: "web_form", IDs: ids("cookie", "c2", "email", "oleg@mail.ru")})
	for _, mode := range []identity.SyncMode{identity.SyncAlways, identity.SyncNever} {
		t.Run(fmt.Sprintf("sync=%d", mode), func(t *testing.T) {
			runs := journal.EachFault(func(f *journal.Faults) { storeFaultRun(t, g, mode, f) })
			t.Logf("%d runs, each failing one operation", runs)
		})
	}
}

func storeFaultRun(t *testing.T, g *identity.Graph, mode identity.SyncMode, f *journal.Faults) {
	t.Helper()
	dir := t.TempDir()
	want, _ := New(g, nil)
	s, err := Open(context.Background(), dir, g, &Options{Sync: mode, fs: f})
	if f.Ok(t, "Open", err) {
		for i := range 10 {
			e := ev(fmt.Sprint(i%9), day(float64(9-i)), []EventType{PageView, Lead}[i%2], Touch{Channel: "search"}, "cookie", []string{"c1", "c2"}[i%2])
			if _, _, err := s.Add(e); f.Ok(t, "Add", err) {
				if _, _, err := want.Add(e); err != nil {
					t.Fatal(err)
				}
			}
			switch i {
			case 4:
				f.Ok(t, "Snapshot", s.Snapshot(context.Background()))
			case 6:
				f.Ok(t, "Sync", s.Sync())
			}
		}
		f.Ok(t, "Close", s.Close())
	}
	back, err := Open(context.Background(), dir, g, nil)
	if err != nil {
		t.Fatalf("mode %d, after %s: reopening: %v", mode, f.Fired(), err)
	}
	defer back.Close()
	for _, c := range []string{"c1", "c2"} {
		p, _ := g.Resolve(identity.Cookie, c)
		if got, w := back.Timeline(p), want.Timeline(p); !reflect.DeepEqual(got, w) {
			t.Fatalf("mode %d, after %s: reopened timeline %v, want %v", mode, f.Fired(), got, w)
		}
	}
	if back.Len() != want.Len() {
		t.Fatalf("mode %d, after %s: %d events, want %d", mode, f.Fired(), back.Len(), want.Len())
	}
}
