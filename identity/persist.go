package identity

import (
	"context"
	"errors"
	"fmt"

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
}

// graphCodec is what the shared persistence takes from a graph.
type graphCodec struct{ g *Graph }

func (c graphCodec) Restore(body []byte) error { return c.g.decodeSnapshot(body) }

func (c graphCodec) Apply(r journal.Record) error { return c.g.replayRecord(r) }

func (c graphCodec) State(context.Context) ([]byte, error) { return c.g.encodeSnapshot(), nil }

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
	g.store = &store{js: journal.NewStore(graphCodec{g})}
	jo := &journal.Options{Sync: journal.Sync(opts.Sync), Interval: opts.SyncInterval, LockTimeout: opts.LockTimeout, FS: opts.fs, Logger: opts.Logger}
	if err := g.store.js.Open(ctx, dir, "identity", jo); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	return g, nil
}

// Recovery reports what Open restored and what it dropped.
func (g *Graph) Recovery() Recovery {
	if g.store == nil {
		return Recovery{}
	}
	return g.store.js.Recovery()
}

// journalWrite appends a record unless replaying; the write lock is held.
func (g *Graph) journalWrite(typ byte, payload []byte) error {
	if g.store == nil {
		return nil
	}
	if err := g.store.js.Append(typ, payload); err != nil {
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
