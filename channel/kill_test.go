package channel

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/killtest"
)

var killModes = map[string]identity.SyncMode{"always": identity.SyncAlways, "interval": identity.SyncInterval, "never": identity.SyncNever}

// killProfile is the profile the child's record seq is about.
func killProfile(seq int) identity.ProfileID {
	p, err := identity.ParseProfileID(fmt.Sprintf("00000000-0000-4000-8000-%012x", seq))
	if err != nil {
		panic(err) // a test bug: the form is fixed
	}
	return p
}

func killContact(seq int) string { return fmt.Sprintf("u%d@kill.test", seq) }

// TestKill9 kills a child process with SIGKILL while it records contacts
// at full speed into OpenReacher(context.Background(), dir), in each sync mode, snapshotting
// every 1,000 (internal/killtest). After every kill the reopened Reacher
// holds every acknowledged contact, each once.
func TestKill9(t *testing.T) {
	if c, ok := killtest.AsChild(); ok {
		cfg := persistCfg
		cfg.Sync, cfg.SyncInterval = killModes[c.Mode], 50*time.Millisecond
		r, err := OpenReacher(context.Background(), c.Dir, &cfg)
		if err != nil {
			c.Fail(err)
		}
		c.Run(len(r.people), func(i int) error {
			return r.SetContact(killProfile(i), "email", killContact(i))
		}, func() error { return r.Snapshot(context.Background()) })
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for i, mode := range killtest.Modes {
		dir := t.TempDir()
		f, err := killtest.Campaign("reacher", "TestKill9", dir, mode, killtest.Rounds(3), uint64(i+1), func() ([]int, bool, error) {
			r, err := OpenReacher(context.Background(), dir, &persistCfg)
			if err != nil {
				return nil, false, err
			}
			defer r.Close()
			var seqs []int
			for i := 0; ; i++ {
				x, ok := r.people[killProfile(i)]
				if !ok {
					break
				}
				if len(x.contacts) != 1 || x.contacts["email"] != killContact(i) {
					return nil, false, fmt.Errorf("profile %d holds %v", i, x.contacts)
				}
				seqs = append(seqs, i)
			}
			if len(r.people) != len(seqs) {
				return nil, false, fmt.Errorf("%d people, %d in sequence", len(r.people), len(seqs))
			}
			return seqs, r.Recovery().DroppedBytes > 0, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Log(f)
	}
}
