package pglog_test

import (
	"context"
	"log"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/pglog"
)

// Each replica of a backend opens its graph over the shared log, keeps
// its snapshot and cursor locally, and follows what the others append.
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
	go db.Follow(ctx, time.Second, g.Pull)
	if _, err := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Email, Value: "anna@example.ru"}}}); err != nil {
		log.Fatal(err)
	}
}
