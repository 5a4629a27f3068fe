package identity

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/throughline/throughline/internal/killtest"
)

var killModes = map[string]SyncMode{"always": SyncAlways, "interval": SyncInterval, "never": SyncNever}

// killObservation is the child's record seq: a new person with a cookie
// and an email.
func killObservation(seq int) Observation {
	return Observation{
		Time:   time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Second),
		Source: "web_form",
		IDs:    []ID{{Cookie, fmt.Sprintf("k%d", seq)}, {Email, fmt.Sprintf("p%d@kill.test", seq)}},
	}
}

// TestKill9 kills a child process with SIGKILL while it observes at full
// speed into Open(context.Background(), dir), in each sync mode, snapshotting every 1,000
// observations (internal/killtest). After every kill the reopened graph
// holds every acknowledged observation, each once, and nothing after the
// ones written.
func TestKill9(t *testing.T) {
	if c, ok := killtest.AsChild(); ok {
		g, err := Open(context.Background(), c.Dir, &Options{Sync: killModes[c.Mode], SyncInterval: 50 * time.Millisecond})
		if err != nil {
			c.Fail(err)
		}
		c.Run(g.Stats().Observations, func(i int) error {
			_, err := g.Observe(killObservation(i))
			return err
		}, func() error { return g.Snapshot(context.Background()) })
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for i, mode := range killtest.Modes {
		dir := t.TempDir()
		f, err := killtest.Campaign("identity", "TestKill9", dir, mode, killtest.Rounds(3), uint64(i+1), func() ([]int, bool, error) {
			return killedGraph(dir)
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Log(f)
	}
}

// killedGraph reopens a child's directory and lists the observations it
// holds: seq 0, 1, ... while cookie k<seq> is present, checking that the
// graph holds nothing else and no observation twice.
func killedGraph(dir string) ([]int, bool, error) {
	g, err := Open(context.Background(), dir, nil)
	if err != nil {
		return nil, false, err
	}
	defer g.Close()
	var seqs []int
	for i := 0; ; i++ {
		p, err := g.Resolve(Cookie, fmt.Sprintf("k%d", i))
		if errors.Is(err, ErrNotFound) {
			break
		}
		if q, err2 := g.Resolve(Email, fmt.Sprintf("p%d@kill.test", i)); err != nil || err2 != nil || q != p {
			return nil, false, fmt.Errorf("observation %d is not whole: %v %v", i, err, err2)
		}
		seqs = append(seqs, i)
	}
	st := g.Stats()
	if st.Observations != len(seqs) || st.Identifiers != 2*len(seqs) || st.Profiles != len(seqs) {
		return nil, false, fmt.Errorf("%d observations in sequence, but the graph holds %+v", len(seqs), st)
	}
	return seqs, g.Recovery().DroppedBytes > 0, nil
}
