package journey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// Persistence: a store made by [Open] writes every event it adds to an
// append-only journal first (the record format of internal/journal, shared
// with package identity) and [Store.Snapshot] compacts the journal into a
// snapshot. Reopening restores the snapshot and replays the journal; a torn
// or corrupted tail is cut off and reported. Profiles are not stored: events
// are filed again under the profiles the identity graph gives them, so open
// the graph first.

// SyncMode says when journal appends reach the disk (see identity.SyncMode).
type SyncMode = identity.SyncMode

// Recovery reports what Open restored: the same type as identity.Recovery
// and channel.Recovery; Unresolved counts stored events none of whose
// identifiers resolves in the graph now (erased since), left out.
type Recovery = journal.StoreRecovery

// ErrNotPersistent is returned by Snapshot and Sync on a store made by
// New.
var ErrNotPersistent = errors.New("journey: store has no directory (made by New, not Open)")

// ErrClosed is returned by mutating calls after Close (the same error as
// identity.ErrClosed).
var ErrClosed = journal.ErrClosed

// ErrLocked is returned by Open for a directory another open store holds.
var ErrLocked = journal.ErrLocked

const recEvent byte = 1

// persistence is a store's part of the shared journal.Store: the codec
// (events as JSON lines) and a scratch buffer.
type persistence struct {
	js         *journal.Store
	buf        []byte
	unresolved int  // replayed events whose identifiers no longer resolve
	open       bool // Open ended: a Restore now replaces a live state
}

// storeCodec is what the shared persistence takes from a store.
type storeCodec struct{ s *Store }

// add files a stored event; the store is being opened, or its lock is
// held (Pull).
func (c storeCodec) add(line []byte) error {
	var e Event
	if err := e.UnmarshalJSON(line); err != nil {
		return err
	}
	if err := c.s.complete(&e); err != nil {
		return err
	}
	if _, _, err := c.s.addLocked(e); err != nil {
		if errors.Is(err, ErrNoProfile) {
			if c.s.pending != nil { // a shared log: it waits for its profile
				c.s.wait(e)
				return nil
			}
			c.s.persist.unresolved++
			return nil
		}
		return err
	}
	return nil
}

func (c storeCodec) Restore(body []byte) error {
	if c.s.persist.open { // a shared log's checkpoint replaces the state
		c.s.resetState()
	}
	for line := range bytes.Lines(body) {
		if err := c.add(bytes.TrimSpace(line)); err != nil {
			return err
		}
	}
	return nil
}

func (c storeCodec) Apply(r journal.Record) error {
	if r.Type != recEvent {
		return fmt.Errorf("unknown record type %d", r.Type)
	}
	return c.add(r.Payload)
}

// State writes every stored event, profile by profile; the store's lock is
// held.
func (c storeCodec) State(ctx context.Context) ([]byte, error) {
	s := c.s
	var body []byte
	profiles := make([]identity.ProfileID, 0, s.timelines.len())
	for p := range s.timelines.all() {
		profiles = append(profiles, p)
	}
	slices.SortFunc(profiles, identity.ProfileID.Compare)
	for i, p := range profiles {
		if i%4096 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("snapshot: %w", ctx.Err())
		}
		buf, rs := s.recs(p)
		for _, r := range rs {
			body = s.tab.event(r).AppendJSON(body)
			body = append(body, '\n')
		}
		s.putRecs(buf, rs)
	}
	for _, id := range sortedIDs(s.pending) {
		body = append(s.pending[id].AppendJSON(body), '\n')
	}
	return body, nil
}

// Rewrite takes the identifier tagged tag out of an event record, for a
// shared log erasing it.
func (c storeCodec) Rewrite(r journal.Record, tag journal.Tag) ([]byte, error) {
	var e Event
	if err := e.UnmarshalJSON(r.Payload); err != nil {
		return nil, err
	}
	tags := []identity.ErasureTag{identity.ErasureTag(tag)}
	e.IDs = slices.DeleteFunc(e.IDs, func(id identity.ID) bool { return c.s.graph.Tagged(id, tags) })
	return e.AppendJSON(nil), nil
}

// Open opens the store kept in dir over graph g, restoring its snapshot and
// replaying its journal.
//
// Replaying millions of events takes seconds: when ctx is done first, Open
// stops and returns ctx's error, and dir is as it was.
func Open(ctx context.Context, dir string, g *identity.Graph, opts *Options) (*Store, error) {
	s, err := New(g, opts)
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &Options{}
	}
	s.persist = &persistence{js: journal.NewStore(storeCodec{s})}
	jo := &journal.Options{Sync: journal.Sync(opts.Sync), Interval: opts.SyncInterval, LockTimeout: opts.LockTimeout, FS: opts.fs, Logger: opts.Logger}
	if err := s.persist.js.Open(ctx, dir, "journey", jo); err != nil {
		return nil, fmt.Errorf("journey: %w", err)
	}
	s.persist.open = true
	return s, nil
}

// Recovery reports what Open restored.
func (s *Store) Recovery() Recovery {
	if s.persist == nil {
		return Recovery{}
	}
	r := s.persist.js.Recovery()
	r.Unresolved = s.persist.unresolved
	return r
}

// journalEvent writes an event ahead of adding it; the store lock is held.
func (s *Store) journalEvent(e Event) error {
	p := s.persist
	if p == nil || p.js.Replaying() {
		return nil
	}
	p.buf = e.AppendJSON(p.buf[:0])
	var tags []journal.Tag
	if p.js.Shared() { // the tags an erasure finds the record by
		for _, id := range e.IDs {
			if t, err := s.graph.ErasureTag(id); err == nil {
				tags = append(tags, journal.Tag(t))
			}
		}
	}
	if err := p.js.AppendTagged(recEvent, p.buf, tags); err != nil {
		return fmt.Errorf("journey: %w", err)
	}
	return nil
}

// Snapshot writes every stored event to a new snapshot and starts a new
// journal, removing the old one.
//
// When ctx is done before the new snapshot is in place, Snapshot returns
// ctx's error and the directory keeps the previous snapshot and journal.
func (s *Store) Snapshot(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persist == nil {
		return ErrNotPersistent
	}
	if err := s.persist.js.Snapshot(ctx); err != nil {
		return fmt.Errorf("journey: %w", err)
	}
	return nil
}

// Sync flushes the journal; Close syncs and closes it.
func (s *Store) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persist == nil {
		return ErrNotPersistent
	}
	return s.persist.js.Sync()
}

// Close syncs and closes the journal and releases the directory. Closing
// twice, or closing a store made by New, returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persist == nil {
		return nil
	}
	return s.persist.js.Close()
}
