package identity

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"

	"github.com/throughline/throughline/internal/disktest"
	"github.com/throughline/throughline/internal/journal"
)

// TestEveryFault opens a graph on a file system that fails one operation
// (each kind, each N in turn), observes, snapshots, forgets and retracts,
// and closes; then reopens the directory without faults. Each run checks
// that the call the fault fired in returned an error, and that the
// reopened graph answers exactly as a graph made by New and fed only the
// calls that returned nil.
func TestEveryFault(t *testing.T) {
	for _, mode := range []SyncMode{SyncAlways, SyncNever} {
		t.Run(fmt.Sprintf("sync=%d", mode), func(t *testing.T) {
			runs := journal.EachFault(func(f *journal.Faults) { graphFaultRun(t, mode, f) })
			t.Logf("%d runs, each failing one operation", runs)
		})
	}
}

func graphFaultRun(t *testing.T, mode SyncMode, f *journal.Faults) {
	t.Helper()
	dir := t.TempDir()
	want := mustGraph(t, nil)
	g, err := Open(context.Background(), dir, &Options{Sync: mode, fs: f})
	if f.Ok(t, "Open", err) {
		for i := range 10 {
			o := at(i, "web_form", fmt.Sprintf("cookie:c%d", i), fmt.Sprintf("email:p%d@mail.ru", i/2))
			ch, err := g.Observe(o)
			if f.Ok(t, "Observe", err) {
				mustObserve(t, want, o)
			}
			switch i {
			case 3:
				f.Ok(t, "Snapshot", g.Snapshot(context.Background()))
			case 5:
				if _, err := g.Forget(context.Background(), Email, "p1@mail.ru"); f.Ok(t, "Forget", err) || errors.Is(err, ErrNotCompacted) {
					if _, err := want.Forget(context.Background(), Email, "p1@mail.ru"); err != nil {
						t.Fatal(err)
					}
				}
			case 7:
				if err == nil {
					if _, err := g.Retract(ch.Observation); f.Ok(t, "Retract", err) {
						if _, err := want.Retract(ch.Observation); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
		}
		f.Ok(t, "Close", g.Close())
	}
	g, err = Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatalf("mode %d, after %s: reopening: %v", mode, f.Fired(), err)
	}
	defer g.Close()
	if got, w := snapshotProfiles(g), snapshotProfiles(want); !maps.Equal(got, w) {
		t.Fatalf("mode %d, after %s: reopened graph %v, want %v", mode, f.Fired(), got, w)
	}
	// A forget acknowledged, or journaled with its compaction failed, is
	// off the disk once the directory is open again.
	if _, err := want.Resolve(Email, "p1@mail.ru"); errors.Is(err, ErrNotFound) && disktest.Holds(t, dir, "p1@mail.ru") {
		t.Fatalf("mode %d, after %s: the directory still holds the forgotten value", mode, f.Fired())
	}
}
