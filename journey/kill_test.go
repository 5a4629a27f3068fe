package journey

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/killtest"
)

var killModes = map[string]identity.SyncMode{"always": identity.SyncAlways, "interval": identity.SyncInterval, "never": identity.SyncNever}

// killGraph is the child's and the parent's identity graph: one person.
func killGraph() (*identity.Graph, identity.ProfileID, error) {
	g, err := identity.New(nil)
	if err != nil {
		return nil, identity.ProfileID{}, err
	}
	ch, err := g.Observe(identity.Observation{Source: "web_form", IDs: ids("cookie", "c1", "email", "anna@mail.ru")})
	return g, ch.Profile, err
}

func killEvent(seq int) Event {
	return Event{
		ID:    uuid.NewSHA1(uuid.NameSpaceOID, []byte(strconv.Itoa(seq))),
		Time:  t0.Add(time.Duration(seq) * time.Second),
		Type:  PageView,
		IDs:   ids("cookie", "c1"),
		Props: map[string]string{"seq": strconv.Itoa(seq)},
	}
}

// TestKill9 kills a child process with SIGKILL while it adds events at
// full speed into Open(context.Background(), dir), in each sync mode, snapshotting every 1,000
// events (internal/killtest). After every kill the reopened store holds
// every acknowledged event, in order, each once.
func TestKill9(t *testing.T) {
	if c, ok := killtest.AsChild(); ok {
		g, _, err := killGraph()
		if err != nil {
			c.Fail(err)
		}
		s, err := Open(context.Background(), c.Dir, g, &Options{Sync: killModes[c.Mode], SyncInterval: 50 * time.Millisecond})
		if err != nil {
			c.Fail(err)
		}
		c.Run(s.Len(), func(i int) error {
			_, _, err := s.Add(killEvent(i))
			return err
		}, func() error { return s.Snapshot(context.Background()) })
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	g, p, err := killGraph()
	if err != nil {
		t.Fatal(err)
	}
	for i, mode := range killtest.Modes {
		dir := t.TempDir()
		f, err := killtest.Campaign("journey", "TestKill9", dir, mode, killtest.Rounds(3), uint64(i+1), func() ([]int, bool, error) {
			s, err := Open(context.Background(), dir, g, nil)
			if err != nil {
				return nil, false, err
			}
			defer s.Close()
			var seqs []int
			for _, e := range s.Timeline(p) {
				n, err := strconv.Atoi(e.Props["seq"])
				if err != nil || e.ID != killEvent(n).ID {
					return nil, false, fmt.Errorf("event %v is not the child's", e)
				}
				seqs = append(seqs, n)
			}
			if s.Len() != len(seqs) {
				return nil, false, fmt.Errorf("%d events, %d on the timeline", s.Len(), len(seqs))
			}
			return seqs, s.Recovery().DroppedBytes > 0, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Log(f)
	}
}
