package pglog_test

import (
	"context"
	"log"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/pglog"
)

// Each replica of a backend opens its graph and its journey store over the
// shared log, keeps their snapshots and cursors locally, and follows what
// the others append: the graph's Changes first (journey refiles under
// them), then the journey's own records.
func Example() {
	ctx := context.Background()
	db, err := pglog.Open(ctx, "postgres://dealer@127.0.0.1:5432/dealer?sslmode=disable", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	key := []byte("the group's erase key, 32 bytes.") // the same in every replica
	g, err := identity.OpenBackend(ctx, db.Stream("identity", "/var/lib/dealer/replica"), &identity.Options{EraseKey: key})
	if err != nil {
		log.Fatal(err)
	}
	js, err := journey.OpenBackend(ctx, db.Stream("journey", "/var/lib/dealer/replica"), g, nil)
	if err != nil {
		log.Fatal(err)
	}
	go db.Follow(ctx, time.Second, func(ctx context.Context) (int, error) {
		chs, err := g.PullChanges(ctx)
		for _, ch := range chs {
			js.Follow(ch)
		}
		if err != nil {
			return len(chs), err
		}
		return js.Pull(ctx)
	})
	o := identity.Observation{Time: time.Now(), Source: "web_form", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@example.ru"}}}
	ch, err := g.Observe(o)
	if err != nil {
		log.Fatal(err)
	}
	js.Follow(ch)
	if _, _, err := js.Add(journey.Event{Time: o.Time, Type: journey.Lead, IDs: o.IDs}); err != nil {
		log.Fatal(err)
	}
}
