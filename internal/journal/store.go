package journal

import "context"

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

// A Store is one store's persistence: a Backend and its Codec. Its owner
// serializes calls, as with a Dir.
type Store struct {
	codec     Codec
	backend   Backend // nil until Open, and after Close
	replaying bool
	recovery  StoreRecovery
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
	s.replaying = true
	rec, err := b.Open(ctx, s.codec.Restore, s.apply)
	s.replaying = false
	if err != nil {
		return err
	}
	s.backend, s.recovery = b, rec
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
	if s.replaying {
		return nil
	}
	if s.backend == nil {
		return ErrClosed
	}
	return s.backend.Append(typ, payload)
}

// Pull applies what other processes appended to a shared backend since
// the last record applied, and returns how many records it applied.
func (s *Store) Pull(ctx context.Context) (int, error) {
	if s.backend == nil {
		return 0, ErrClosed
	}
	return s.backend.Pull(ctx)
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
	err := s.backend.Close()
	s.backend = nil
	return err
}

// Closed reports whether the store was closed (or never opened).
func (s *Store) Closed() bool { return s.backend == nil }

// Recovery reports what Open found.
func (s *Store) Recovery() StoreRecovery { return s.recovery }
