package identity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/throughline/throughline/internal/journal"
)

// Persistence: a graph opened with [Open] writes every observation,
// retraction and erasure to an append-only journal before applying it, and
// [Graph.Snapshot] writes the whole graph to a snapshot and starts a new
// journal (compaction). [Open] restores the snapshot and replays the journal
// after it; a torn or corrupted tail (a crash mid-write, a flipped byte) is
// cut off, every complete record before it is kept, and [Graph.Recovery]
// reports what was dropped. The record and snapshot formats live in
// internal/journal.
//
// Files in dir: snapshot.snap (generation G, absent before the first
// snapshot) and journal-G.log. Forget compacts at once, so the erased value
// leaves the journal as well as memory; the snapshot holds the erase key
// (tombstones are keyed hashes), so protect the directory as you would the
// data.

// SyncMode says when journal appends are fsynced. In every mode a mutating
// call writes its record to the journal file before it returns, so a
// process killed at any moment loses nothing it acknowledged; the modes
// differ only in what power loss or a kernel crash can take.
type SyncMode uint8

const (
	// SyncAlways fsyncs every mutating call: not even power loss loses an
	// acknowledged record.
	SyncAlways SyncMode = iota
	// SyncInterval fsyncs on a timer, Options.SyncInterval (one second by
	// default): power loss loses at most that much.
	SyncInterval
	// SyncNever leaves fsync to the OS and to Snapshot and Close.
	SyncNever
)

// Recovery reports what Open found: the same type as journey.Recovery and
// channel.Recovery.
type Recovery = journal.StoreRecovery

// ErrNotPersistent is returned by Snapshot and Sync on a graph made by New.
var ErrNotPersistent = errors.New("identity: graph has no directory (made by New, not Open)")

// ErrClosed is returned by mutating calls on a graph after Close; every
// store in the module returns this one error, so errors.Is works alike.
var ErrClosed = journal.ErrClosed

// ErrNotCompacted is returned by Forget when the value was forgotten (the
// Change is applied and journaled) but the compaction that takes it off the
// disk failed: the journal may still hold it. Snapshot retries.
var ErrNotCompacted = errors.New("identity: forgotten, but the journal still holds the value (compaction failed)")

// ErrLocked is returned by Open for a directory another open graph holds.
var ErrLocked = journal.ErrLocked

// store is a graph's persistence: the shared journal.Store over the
// graph's codec (graphCodec), and a scratch buffer for records.
type store struct {
	js  *journal.Store
	buf []byte
	// open is set once Open ends; from then on the Changes of records
	// applied from the backend (other processes' records) are kept in
	// pulled for PullChanges.
	open   bool
	pulled []Change
}

// graphCodec is what the shared persistence takes from a graph.
type graphCodec struct{ g *Graph }

// Restore replaces the graph's state: at Open it is empty, and a shared
// backend may restore a later state into an open graph (see
// journal.SharedBackend).
func (c graphCodec) Restore(body []byte) error {
	before := c.g.tombstones
	c.g.resetState()
	if err := c.g.decodeSnapshot(body); err != nil {
		return err
	}
	if st := c.g.store; st != nil && st.open {
		// The erasures the new state holds that the old did not: a
		// follower takes those identifiers out of its copies.
		ch := Change{Rebuilt: true}
		for ts := range c.g.tombstones {
			if _, had := before[ts]; !had {
				ch.Erased = append(ch.Erased, ts)
			}
		}
		slices.SortFunc(ch.Erased, func(a, b ErasureTag) int { return bytes.Compare(a[:], b[:]) })
		st.pulled = append(st.pulled[:0], ch)
	}
	return nil
}

// Rewrite takes the identifier whose tombstone is tag out of an
// observation record, for a shared log erasing it.
func (c graphCodec) Rewrite(r journal.Record, tag journal.Tag) ([]byte, error) {
	if r.Type != recObserve {
		return r.Payload, nil
	}
	p, err := c.g.decodeObservation(r.Payload)
	if err != nil {
		return nil, err
	}
	p.ids = slices.DeleteFunc(p.ids, func(id preparedID) bool { return c.g.tombstone(id.kind, id.value) == tag })
	return c.g.encodeObservation(nil, p), nil
}

// Apply applies a record from the backend; once the graph is open (a
// shared log's records from other processes), its Change is kept for
// PullChanges.
func (c graphCodec) Apply(r journal.Record) error {
	ch, err := c.g.replayRecord(r)
	if st := c.g.store; err == nil && st != nil && st.open {
		st.keepPulled(ch)
	}
	return err
}

// keepPulled keeps a Change of other processes' records for PullChanges.
func (st *store) keepPulled(ch Change) {
	if len(st.pulled) >= maxPulled { // no one pulls: one Rebuilt stands for them all
		st.pulled = append(st.pulled[:0], Change{Rebuilt: true})
	} else {
		st.pulled = append(st.pulled, ch)
	}
}

// maxPulled bounds the Changes kept for PullChanges.
const maxPulled = 1 << 16

func (c graphCodec) State(ctx context.Context) ([]byte, error) { return c.g.encodeSnapshot(ctx) }

// Open opens the graph stored in dir (creating dir if needed), restoring
// its snapshot and replaying its journal. Replaying millions of
// observations takes seconds: when ctx is done first, Open stops and
// returns ctx's error, and dir is as it was.
func Open(ctx context.Context, dir string, opts *Options) (*Graph, error) {
	g, err := New(opts)
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &Options{}
	}
	jo := &journal.Options{Sync: journal.Sync(opts.Sync), Interval: opts.SyncInterval, LockTimeout: opts.LockTimeout, FS: opts.fs, Logger: opts.Logger}
	if err := g.openBackend(ctx, journal.LocalBackend(dir, "identity", jo)); err != nil {
		return nil, err
	}
	return g, nil
}

// A Backend is where a graph keeps its evidence: Open's local directory,
// or a log several processes share (module
// github.com/throughline/throughline/pglog, on PostgreSQL), given to
// [OpenBackend]. Its contract is written on the type; only this module's
// backends implement it.
type Backend = journal.Backend

// ErrDuplicate is returned by a mutating call on a shared backend when its
// record is already in the log and already applied (a retry after an
// error whose outcome was unknown, or a source sending the same
// observation twice: same time, source, trust and identifiers). Nothing is
// applied again. Only identity runs on a shared backend so far.
var ErrDuplicate = journal.ErrDuplicate

// OpenBackend opens a graph over b, as Open does over a directory. On a
// log other processes share, every process applies the same records in
// the log's order, so all of them hold the same profiles and profile IDs:
//   - a mutating call (Observe, Retract, Forget) first applies what other
//     processes appended ahead of its record, then its own, so it reads
//     its own write and its Change is what it did;
//   - [Graph.Pull] applies what others appended since; call it on a timer
//     or on the backend's wake-up.
//
// opts.EraseKey must be the same in every process sharing the log, so
// that a tombstone written by one matches in all; OpenBackend refuses a
// nil one.
func OpenBackend(ctx context.Context, b Backend, opts *Options) (*Graph, error) {
	if opts == nil || opts.EraseKey == nil {
		return nil, fmt.Errorf("identity: OpenBackend: %w", errNoEraseKey)
	}
	g, err := New(opts)
	if err != nil {
		return nil, err
	}
	if err := g.openBackend(ctx, b); err != nil {
		return nil, err
	}
	return g, nil
}

var errNoEraseKey = errors.New("Options.EraseKey is nil: processes sharing a log need one key")

func (g *Graph) openBackend(ctx context.Context, b Backend) error {
	g.store = &store{js: journal.NewStore(graphCodec{g})}
	held := g.holdCalibration(nil) // the replay moves the threshold once
	if err := g.store.js.OpenBackend(ctx, b); err != nil {
		g.calib.held = false
		g.store = nil
		return fmt.Errorf("identity: %w", err)
	}
	held.release() // the store is not open yet: the move is the replay's, not a pulled Change
	g.store.open = true
	return nil
}

// Pull applies what other processes sharing the graph's backend appended
// since the last record applied, and returns how many records it applied
// (0 for a graph on a directory). It holds the write lock while it
// applies. It discards the Changes those records made; a host whose other
// stores follow the graph calls PullChanges instead.
func (g *Graph) Pull(ctx context.Context) (int, error) {
	n, _, err := g.pull(ctx, false)
	return n, err
}

// PullChanges is Pull, returning the Changes of every record of other
// processes the graph applied since the last Pull or PullChanges, in the
// log's order: those it pulls now, and those a mutating call applied
// ahead of its own record (a mutating call returns only its own Change).
// A follower (journey.Store.Follow, channel.Reacher.Follow) applies them
// in order to stay filed under the profiles every process holds. A Change
// with Rebuilt set means the whole state was replaced. A pull moves the
// calibrated threshold once at most, at its end, and reports the move's
// merges and splits in the last Change.
func (g *Graph) PullChanges(ctx context.Context) ([]Change, error) {
	_, chs, err := g.pull(ctx, true)
	return chs, err
}

// pull is Pull, returning (keep) or discarding the Changes kept since the
// last pull.
func (g *Graph) pull(ctx context.Context, keep bool) (int, []Change, error) {
	g.mu.lock()
	defer g.mu.unlock()
	if g.store == nil {
		return 0, nil, ErrNotPersistent
	}
	held := g.holdCalibration(nil) // the records pulled move the threshold once
	n, err := g.store.js.Pull(ctx)
	held.release()
	var chs []Change
	if keep {
		chs = slices.Clone(g.store.pulled)
	}
	g.store.pulled = g.store.pulled[:0]
	if err != nil {
		return n, chs, fmt.Errorf("identity: %w", err)
	}
	return n, chs, nil
}

// Recovery reports what Open restored and what it dropped.
func (g *Graph) Recovery() Recovery {
	if g.store == nil {
		return Recovery{}
	}
	return g.store.js.Recovery()
}

// journalWrite appends a record unless replaying; the write lock is held.
// On a shared backend the record carries the tombstones of the values it
// holds, so that an erasure finds it.
func (g *Graph) journalWrite(typ byte, payload []byte, ids ...preparedID) error {
	if g.store == nil {
		return nil
	}
	var tags []journal.Tag
	if len(ids) > 0 && g.store.js.Shared() {
		tags = g.tagsOf(ids)
	}
	if err := g.store.js.AppendTagged(typ, payload, tags); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	return nil
}

// Snapshot writes the graph to a new snapshot and starts a new journal,
// removing the old ones: the directory then holds only what the graph holds
// (erased values included: they are gone). When ctx is done before the new
// snapshot is in place, Snapshot returns ctx's error and the directory
// keeps the previous snapshot and journal.
func (g *Graph) Snapshot(ctx context.Context) error {
	g.mu.lock()
	defer g.mu.unlock()
	err := g.snapshotLocked(ctx)
	if err != nil && err != ErrNotPersistent {
		err = fmt.Errorf("identity: %w", err)
	}
	return err
}

func (g *Graph) snapshotLocked(ctx context.Context) error {
	if g.store == nil {
		return ErrNotPersistent
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return g.store.js.Snapshot(ctx)
}

// Sync flushes the journal to disk.
func (g *Graph) Sync() error {
	g.mu.lock()
	defer g.mu.unlock()
	if g.store == nil {
		return ErrNotPersistent
	}
	return g.store.js.Sync()
}

// Close syncs and closes the journal and releases the directory. The graph
// stays readable; mutating calls then fail with ErrClosed. Closing twice,
// or closing a graph made by New, returns nil, so defer g.Close() is
// always right.
func (g *Graph) Close() error {
	g.mu.lock()
	defer g.mu.unlock()
	if g.store == nil {
		return nil
	}
	return g.store.js.Close()
}

// tagsOf are the tags a record holding ids is found by: their tombstones.
func (g *Graph) tagsOf(ids []preparedID) []journal.Tag {
	tags := make([]journal.Tag, len(ids))
	for i, id := range ids {
		tags[i] = g.tombstone(id.kind, id.value)
	}
	return tags
}

// observeShared is ObserveBatch on a shared backend: the observations go
// to the log in one batch (one transaction, one round of waiting for the
// watermark), then apply in order; the write lock is held.
func (g *Graph) observeShared(ps []Prepared, changes []Change) ([]Change, error) {
	b := g.holdCalibration(changes) // held over the other processes' records too
	var errs []error
	recs := make([]journal.Record, 0, len(ps))
	tags := make([][]journal.Tag, 0, len(ps))
	at := make([]int, 0, len(ps)) // recs[j] is ps[at[j]]
	for i := range ps {
		p := &ps[i]
		switch {
		case p.g != g:
			errs = append(errs, fmt.Errorf("observation %d: %w", i, errForeignPrepared))
			continue
		case len(p.ids) == 0:
			errs = append(errs, fmt.Errorf("observation %d: %w", i, ErrNoIdentifiers))
			continue
		}
		g.dropForgotten(p)
		recs = append(recs, journal.Record{Type: recObserve, Payload: g.encodeObservation(nil, *p)})
		tags = append(tags, g.tagsOf(p.ids))
		at = append(at, i)
	}
	mine, err := g.store.js.AppendBatch(recs, tags)
	b.fail(errs...)
	if err != nil {
		b.fail(fmt.Errorf("identity: %w", err))
		return changes, b.release()
	}
	for j, i := range at {
		if !mine[j] { // in the log already: applied, or applied in the log's order
			b.fail(fmt.Errorf("observation %d: %w", i, ErrDuplicate))
			continue
		}
		b.apply(i, ps[i])
	}
	return changes, b.release()
}
