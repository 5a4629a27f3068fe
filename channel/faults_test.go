package channel

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// TestEveryFault opens a Reacher on a file system that fails one operation
// (each kind, each N in turn), records contacts, consents, sends and
// suppressions, snapshots and closes; then reopens the directory without
// faults. Each run checks that the call the fault fired in returned an
// error, and that the reopened Reacher's state is exactly that of an
// in-memory Reacher given only the calls that returned nil.
func TestEveryFault(t *testing.T) {
	g, _ := identity.New(nil)
	var ps []identity.ProfileID
	for i := range 3 {
		ch, err := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Email, Value: fmt.Sprintf("p%d@mail.ru", i)}}})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, ch.Profile)
	}
	noon := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ops := []func(r *Reacher) error{
		func(r *Reacher) error { return r.SetContact(ps[0], "email", "p0@mail.ru") },
		func(r *Reacher) error { return r.SetContact(ps[1], "sms", "+79161234567") },
		func(r *Reacher) error {
			return r.RecordConsent(ps[0], Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: noon})
		},
		func(r *Reacher) error { return r.RecordSend(ps[0], "email", noon) },
		func(r *Reacher) error { return r.Suppress("email", "p2@mail.ru", Complaint, noon) },
		func(r *Reacher) error {
			return r.RecordConsent(ps[1], Consent{Channel: "sms", Purpose: "*", Status: ConsentRevoked, At: noon})
		},
		func(r *Reacher) error { return r.RecordSend(ps[1], "sms", noon.Add(time.Hour)) },
		func(r *Reacher) error { return r.Unsuppress("email", "p2@mail.ru") },
	}
	for _, mode := range []identity.SyncMode{identity.SyncAlways, identity.SyncNever} {
		t.Run(fmt.Sprintf("sync=%d", mode), func(t *testing.T) {
			runs := journal.EachFault(func(f *journal.Faults) { reacherFaultRun(t, mode, ops, f) })
			t.Logf("%d runs, each failing one operation", runs)
		})
	}
}

func reacherFaultRun(t *testing.T, mode identity.SyncMode, ops []func(*Reacher) error, f *journal.Faults) {
	t.Helper()
	dir := t.TempDir()
	cfg := persistCfg
	cfg.Sync = mode
	want, err := NewReacher(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.fs = f
	r, err := OpenReacher(context.Background(), dir, &cfg)
	if f.Ok(t, "OpenReacher", err) {
		for i, op := range ops {
			if f.Ok(t, fmt.Sprintf("change %d", i), op(r)) {
				if err := op(want); err != nil {
					t.Fatal(err)
				}
			}
			if i == 3 {
				f.Ok(t, "Snapshot", r.Snapshot(context.Background()))
			}
		}
		f.Ok(t, "Close", r.Close())
	}
	cfg.fs = nil
	back, err := OpenReacher(context.Background(), dir, &cfg)
	if err != nil {
		t.Fatalf("mode %d, after %s: reopening: %v", mode, f.Fired(), err)
	}
	defer back.Close()
	if !bytes.Equal(state(back), state(want)) {
		t.Fatalf("mode %d, after %s: the reopened state differs from the acknowledged changes'", mode, f.Fired())
	}
}
