package pglog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Follow calls each pull (a store's Pull: identity.Graph.Pull and the
// like) whenever a record is appended, and every poll in any case (one
// second when zero), until ctx is done; it returns ctx's error, or the
// first error a pull returns. NOTIFY only wakes it: a notification lost
// (no listener at that moment, a dropped connection, PgBouncer) costs at
// most one poll of delay, never a record. Run it on its own goroutine.
func (db *DB) Follow(ctx context.Context, poll time.Duration, pulls ...func(context.Context) (int, error)) error {
	if poll <= 0 {
		poll = time.Second
	}
	wake := make(chan struct{}, 1)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	go db.listen(lctx, wake)
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		for _, pull := range pulls {
			if _, err := pull(ctx); err != nil {
				return fmt.Errorf("pglog: follow: %w", err)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-t.C:
		}
	}
}

// listen LISTENs on a dedicated connection and signals wake on every
// notification, reconnecting after an error, until ctx is done.
func (db *DB) listen(ctx context.Context, wake chan<- struct{}) {
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, wake)
		if ctx.Err() != nil {
			return
		}
		db.opts.Logger.Warn("pglog: listen connection lost; polling until it is back", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

func (db *DB) listenOnce(ctx context.Context, wake chan<- struct{}) error {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := c.Hijack() // a listening connection must not go back to the pool
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{db.channel()}.Sanitize()); err != nil {
		return err
	}
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		}
		select {
		case wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}
