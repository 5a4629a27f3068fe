package channel

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// Persistence: a Reacher made by [OpenReacher] writes every change (a
// contact, a time zone, a consent, a suppression, a send, each step of
// Follow) to an append-only journal before applying it, in the record
// format of internal/journal that identity and journey use, and
// [Reacher.Snapshot] compacts the journal into a snapshot. A consent must
// outlive a restart: a refusal forgotten is a message to someone who said
// no, a grant forgotten is a customer the dealer may no longer reach.
// Reopening restores the snapshot and replays the journal; a torn or
// corrupted tail is cut off and reported by [Reacher.Recovery].
//
// Follow is journaled by its outcome (which profile merged into which,
// which split into which), not by the identity change, so replaying it
// needs no graph.

// Recovery reports what OpenReacher restored: the same type as
// identity.Recovery and journey.Recovery.
type Recovery = journal.StoreRecovery

// ErrNotPersistent is returned by Snapshot and Sync on a Reacher made
// by NewReacher.
var ErrNotPersistent = errors.New("channel: reacher has no directory (made by NewReacher, not OpenReacher)")

// ErrClosed is returned by changes to a Reacher after Close.
// It is the same error as identity.ErrClosed and journey.ErrClosed.
var ErrClosed = journal.ErrClosed

// ErrLocked is returned by OpenReacher for a directory another open
// Reacher holds.
var ErrLocked = journal.ErrLocked

// reachPersistence is a Reacher's part of the shared journal.Store.
type reachPersistence struct {
	js   *journal.Store
	open bool // Open ended: a Restore now replaces a live state
}

// reacherCodec is what the shared persistence takes from a Reacher: its
// state is a sequence of journal records, as its journal is.
type reacherCodec struct{ r *Reacher }

func (c reacherCodec) Restore(body []byte) error {
	if c.r.persist.open { // a shared log's checkpoint replaces the state
		c.r.people, c.r.supp, c.r.recs, c.r.byID = map[identity.ProfileID]*person{}, map[[2]string]suppression{}, nil, nil
	}
	rd := journal.NewReader(bytes.NewReader(body))
	for rd.Next() {
		if err := c.r.apply(rd.Record()); err != nil {
			return err
		}
	}
	if rd.Stop() != "" {
		return fmt.Errorf("%w: snapshot body: %s", errRecord, rd.Stop())
	}
	return rd.Err()
}

func (c reacherCodec) Apply(rec journal.Record) error { return c.r.apply(rec) }

// Rewrite takes an erased identifier out of a keyed record, for a shared
// log erasing it.
func (c reacherCodec) Rewrite(rec journal.Record, tag journal.Tag) ([]byte, error) {
	return c.r.rewrite(rec, tag)
}

func (c reacherCodec) State(ctx context.Context) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return c.r.appendState(nil), nil
}

// OpenReacher opens the Reacher kept in dir (creating it), restoring its
// snapshot and replaying its journal. Close it when done.
//
// When ctx is done before the replay ends, OpenReacher stops and returns
// ctx's error, and dir is as it was.
func OpenReacher(ctx context.Context, dir string, opts *ReachOptions) (*Reacher, error) {
	r, err := NewReacher(opts)
	if err != nil {
		return nil, err
	}
	r.persist = &reachPersistence{js: journal.NewStore(reacherCodec{r})}
	jo := &journal.Options{Sync: journal.Sync(r.cfg.Sync), Interval: r.cfg.SyncInterval, LockTimeout: r.cfg.LockTimeout, FS: r.cfg.fs, Logger: r.cfg.Logger}
	if err := r.persist.js.Open(ctx, dir, "reacher", jo); err != nil {
		return nil, fmt.Errorf("channel: %w", err)
	}
	r.persist.open = true
	return r, nil
}

// Recovery reports what OpenReacher restored.
func (r *Reacher) Recovery() Recovery {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.persist == nil {
		return Recovery{}
	}
	return r.persist.js.Recovery()
}

// journalIf writes a record ahead of the change it describes; the lock is
// held. A Reacher without a directory, or one replaying, writes nothing
// and does not build the payload.
func (r *Reacher) journalIf(typ byte, payload func() enc) error {
	p := r.persist
	if p == nil || p.js.Replaying() {
		return nil
	}
	if err := p.js.Append(typ, payload()); err != nil {
		return fmt.Errorf("channel: %w", err)
	}
	return nil
}

// Snapshot writes the whole state to a new snapshot and starts a new
// journal, removing the old one. When ctx is done before the new snapshot
// is in place, Snapshot returns ctx's error and the directory keeps the
// previous snapshot and journal.
func (r *Reacher) Snapshot(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	js, err := r.store()
	if err != nil {
		return err
	}
	if err := js.Snapshot(ctx); err != nil {
		return fmt.Errorf("channel: %w", err)
	}
	return nil
}

// Sync flushes the journal to disk.
func (r *Reacher) Sync() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	js, err := r.store()
	if err != nil {
		return err
	}
	return js.Sync()
}

// store returns the open persistence; the lock is held.
func (r *Reacher) store() (*journal.Store, error) {
	switch {
	case r.persist == nil:
		return nil, ErrNotPersistent
	case r.persist.js.Closed():
		return nil, ErrClosed
	}
	return r.persist.js, nil
}

// Close syncs and closes the journal and releases the directory (nil on an
// in-memory Reacher, and the second time); later changes fail with ErrClosed,
// reads still answer.
func (r *Reacher) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.persist == nil {
		return nil // in memory: nothing to close
	}
	return r.persist.js.Close() // nil the second time
}
