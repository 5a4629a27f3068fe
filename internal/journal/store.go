package journal

import (
	"context"
	"errors"
	"fmt"
)

// A Codec is what a store supplies to the persistence it shares with the
// others, as container/heap takes a few methods from each type: how to
// restore a snapshot body, apply one journal record, and write the whole
// state as a snapshot body. The Store does the rest: the directory, the
// lock, replay and recovery, appends that skip the records being
// replayed, compaction, sync and close.
type Codec interface {
	Restore(body []byte) error
	Apply(r Record) error
	// State writes the whole state; it may stop with ctx's error.
	State(ctx context.Context) ([]byte, error)
}

// A Rewriter is a Codec whose records hold values that can be erased
// (identifiers): a shared backend rewrites records through it.
type Rewriter interface {
	Rewrite(r Record, tag Tag) ([]byte, error)
}

// A Store is one store's persistence: a Backend and its Codec. Its owner
// serializes calls, as with a Dir.
type Store struct {
	codec     Codec
	backend   Backend // nil until Open, and after Close
	replaying bool
	recovery  StoreRecovery
	// due is set by CompactDue: an erasure was applied from the backend,
	// and the local state on disk may still hold the value.
	due bool
	// erasing holds the tags EraseDue noted, for the next Pull to take
	// off the disk.
	erasing []Tag
}

// NewStore returns a store for c, not open yet: the owner can hang it where
// its apply path looks (Append is a no-op until Open ends), then Open it.
func NewStore(c Codec) *Store { return &Store{codec: c, replaying: true} }

// Open opens the local directory path (LocalBackend), restoring and
// replaying through the codec.
func (s *Store) Open(ctx context.Context, path, kind string, opts *Options) error {
	return s.OpenBackend(ctx, LocalBackend(path, kind, opts))
}

// OpenBackend opens b, restoring and replaying through the codec. On
// error the store stays unopened and b has released what it took.
func (s *Store) OpenBackend(ctx context.Context, b Backend) error {
	if sb, ok := b.(SharedBackend); ok {
		if rw, ok := s.codec.(Rewriter); ok {
			sb.UseRewrite(rw.Rewrite)
		}
	}
	s.replaying = true
	rec, err := b.Open(ctx, s.restore, s.apply)
	s.replaying = false
	if err != nil {
		return err
	}
	s.backend, s.recovery = b, rec
	return s.compactIfDue(ctx)
}

// restore replaces the state with a snapshot body the backend holds (a
// shared backend keeps that body locally itself).
func (s *Store) restore(body []byte) error {
	was := s.replaying
	s.replaying = true
	defer func() { s.replaying = was }()
	return s.codec.Restore(body)
}

// CompactDue is called by a codec applying an erasure record it did not
// append (replaying, or pulled from a shared backend): the snapshot and
// records on this disk may still hold the value, so the Store compacts
// after the Open or Pull that applied it (and at Close, if that failed).
func (s *Store) CompactDue() { s.due = true }

func (s *Store) compactIfDue(ctx context.Context) error {
	if !s.due {
		return nil
	}
	if err := s.Snapshot(ctx); err != nil {
		return err
	}
	s.due = false
	return nil
}

// apply applies a record the backend holds: while it runs, the codec's
// appends write nothing (the record is the one being applied).
func (s *Store) apply(r Record) error {
	was := s.replaying
	s.replaying = true
	defer func() { s.replaying = was }()
	return s.codec.Apply(r)
}

// Replaying reports whether the store is applying records its backend
// already holds (opening, or pulling other processes' records): what the
// codec applies then is not written again.
func (s *Store) Replaying() bool { return s.replaying }

// Append writes a record ahead of the change it describes; while
// replaying it writes nothing (the record is the one being applied). On a
// shared backend it may first apply other processes' records (see
// Backend), and ErrDuplicate means the caller must apply nothing.
func (s *Store) Append(typ byte, payload []byte) error {
	return s.AppendTagged(typ, payload, nil)
}

// Shared reports whether the backend is shared (a SharedBackend): only
// then do appends need their tags.
func (s *Store) Shared() bool {
	_, ok := s.backend.(SharedBackend)
	return ok
}

// AppendTagged is Append with the tags of the values the record holds,
// which a shared backend keeps for Erase; another backend ignores them.
func (s *Store) AppendTagged(typ byte, payload []byte, tags []Tag) error {
	if s.replaying {
		return nil
	}
	if s.backend == nil {
		return ErrClosed
	}
	if sb, ok := s.backend.(SharedBackend); ok {
		return sb.AppendTagged(typ, payload, tags)
	}
	return s.backend.Append(typ, payload)
}

// AppendBatch appends recs (tags[i] are recs[i]'s) and reports which the
// caller applies: on a shared backend as one unit (SharedBackend), else
// one by one, every one to apply, stopping at the first error.
func (s *Store) AppendBatch(recs []Record, tags [][]Tag) ([]bool, error) {
	if s.backend == nil {
		return nil, ErrClosed
	}
	if sb, ok := s.backend.(SharedBackend); ok && !s.replaying {
		return sb.AppendBatch(recs, tags)
	}
	mine := make([]bool, len(recs))
	for i, r := range recs {
		if err := s.Append(r.Type, r.Payload); err != nil {
			return mine, err
		}
		mine[i] = true
	}
	return mine, nil
}

// Erase takes the value tagged tag off the disk, after the erasure
// record the owner appended was applied: a local backend compacts (the
// snapshot replaces every record that held it); a shared one also
// rewrites the records in the log that hold it (SharedBackend.Erase).
func (s *Store) Erase(ctx context.Context, tag Tag) error {
	sb, ok := s.backend.(SharedBackend)
	if !ok {
		return s.Snapshot(ctx)
	}
	// The state Erase keeps is the one the local snapshot takes too: it is
	// encoded once (Erase may catch up before it asks for it).
	var body []byte
	state := func() ([]byte, error) {
		var err error
		body, err = s.codec.State(ctx)
		return body, err
	}
	if err := sb.Erase(ctx, tag, state); err != nil {
		return err
	}
	if body == nil { // Erase needed no state: nothing changed before the cursor
		return s.Snapshot(ctx)
	}
	return s.backend.Compact(ctx, body) // the local snapshot, at the place Erase reached
}

// EraseDue notes a value the store forgot by following another store (a
// journey following its graph's erasure): the next Pull takes it off the
// disk (Erase), where the owner holds its lock and a ctx.
func (s *Store) EraseDue(tag Tag) { s.erasing = append(s.erasing, tag) }

// Pull applies what other processes appended to a shared backend since
// the last record applied, and returns how many records it applied. When
// one of them was an erasure, it compacts.
func (s *Store) Pull(ctx context.Context) (int, error) {
	if s.backend == nil {
		return 0, ErrClosed
	}
	n, err := s.backend.Pull(ctx)
	if err != nil {
		return n, err
	}
	for len(s.erasing) > 0 {
		if err := s.Erase(ctx, s.erasing[0]); err != nil {
			return n, fmt.Errorf("erasing: %w", err)
		}
		s.erasing = s.erasing[1:]
	}
	return n, s.compactIfDue(ctx)
}

// Snapshot compacts the backend to the codec's state (Dir.Compact).
func (s *Store) Snapshot(ctx context.Context) error {
	if s.backend == nil {
		return ErrClosed
	}
	body, err := s.codec.State(ctx)
	if err != nil {
		return err
	}
	return s.backend.Compact(ctx, body)
}

// Sync fsyncs the journal.
func (s *Store) Sync() error {
	if s.backend == nil {
		return ErrClosed
	}
	return s.backend.Sync()
}

// Close closes the backend; closing a closed store does nothing.
func (s *Store) Close() error {
	if s.backend == nil {
		return nil
	}
	err := s.compactIfDue(context.Background())
	err = errors.Join(err, s.backend.Close())
	s.backend = nil
	return err
}

// Closed reports whether the store was closed (or never opened).
func (s *Store) Closed() bool { return s.backend == nil }

// Recovery reports what Open found.
func (s *Store) Recovery() StoreRecovery { return s.recovery }
