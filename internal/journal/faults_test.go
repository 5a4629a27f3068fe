package journal

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestEveryFault runs a Dir through open, appends, compactions, a sync and
// close, failing each file-system operation of each kind in turn, in both
// sync modes, and checks after each run:
//   - the call the fault fired in returned an error (no failure reported
//     as success);
//   - the directory reopens (with no faults), and holds exactly the
//     records whose Append returned nil, in order, none doubled;
//   - after a failed Append or Compact, the Dir keeps working.
func TestEveryFault(t *testing.T) {
	for _, mode := range []Sync{SyncAlways, SyncNever} {
		t.Run(fmt.Sprintf("sync=%d", mode), func(t *testing.T) {
			runs := EachFault(func(f *Faults) { dirFaultRun(t, mode, f) })
			t.Logf("%d runs, each failing one operation", runs)
		})
	}
}

func dirFaultRun(t *testing.T, mode Sync, f *Faults) {
	t.Helper()
	dir := t.TempDir()
	restoreInto := func(acked *[]string) func([]byte) error {
		return func(body []byte) error {
			if len(body) > 0 {
				*acked = strings.Split(string(body), ",")
			}
			return nil
		}
	}
	var acked []string
	d, _, err := OpenDir(context.Background(), dir, "test", &Options{Sync: mode, FS: f}, restoreInto(new([]string)), nil)
	if f.Ok(t, "OpenDir", err) {
		for i := range 12 {
			p := fmt.Sprintf("r%d", i)
			err := d.Append(1, []byte(p))
			if f.Ok(t, "Append", err) {
				acked = append(acked, p)
			}
			switch i {
			case 4, 8:
				err := d.Compact(context.Background(), []byte(strings.Join(acked, ",")))
				f.Ok(t, "Compact", err)
			case 6:
				f.Ok(t, "Sync", d.Sync())
			}
		}
		f.Ok(t, "Close", d.Close())
	}
	var got []string
	d, _, err = OpenDir(context.Background(), dir, "test", nil, restoreInto(&got), func(r Record) error {
		got = append(got, string(r.Payload))
		return nil
	})
	if err != nil {
		t.Fatalf("mode %d, after %s: reopening: %v", mode, f.Fired(), err)
	}
	defer d.Close()
	if !slices.Equal(got, acked) {
		t.Fatalf("mode %d, after %s: reopened with %v, acknowledged %v", mode, f.Fired(), got, acked)
	}
	if f.N > 0 && f.Fired() == "" {
		t.Fatalf("mode %d: %v #%d never ran", mode, f.Op, f.N)
	}
}

// TestFaultsSwallowed checks the checker: a fault that fired in a call
// that returned nil is reported, once.
func TestFaultsSwallowed(t *testing.T) {
	f := &Faults{Op: OpRemove, N: 1}
	if f.Swallowed(nil) {
		t.Fatal("nothing fired yet")
	}
	err := f.Remove(t.TempDir() + "/x")
	if !errors.Is(err, ErrInjected) {
		t.Fatalf("Remove: %v", err)
	}
	if !f.Swallowed(nil) || f.Swallowed(nil) {
		t.Fatal("a swallowed fault is reported once")
	}
	if f.Count(OpRemove) != 1 || f.Fired() == "" {
		t.Fatalf("count %d fired %q", f.Count(OpRemove), f.Fired())
	}
}
