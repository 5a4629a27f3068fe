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

// A Store is one store's persistence: a Dir and its Codec. Its owner
// serializes calls, as with a Dir.
type Store struct {
	codec     Codec
	dir       *Dir
	replaying bool
	recovery  StoreRecovery
}

// NewStore returns a store for c, not open yet: the owner can hang it where
// its apply path looks (Append is a no-op until Open ends), then Open it.
func NewStore(c Codec) *Store { return &Store{codec: c, replaying: true} }

// Open opens the directory (OpenDir), restoring and replaying through the
// codec. On error the store stays unopened and the directory is released.
func (s *Store) Open(ctx context.Context, path, kind string, opts *Options) error {
	s.replaying = true
	d, rec, err := OpenDir(ctx, path, kind, opts, s.codec.Restore, s.codec.Apply)
	s.replaying = false
	if err != nil {
		return err
	}
	s.dir, s.recovery = d, rec.Store()
	return nil
}

// Replaying reports whether Open is replaying the journal: what the codec
// applies then is already on disk.
func (s *Store) Replaying() bool { return s.replaying }

// Append writes a record ahead of the change it describes; while
// replaying it writes nothing (the record is the one being applied).
func (s *Store) Append(typ byte, payload []byte) error {
	if s.replaying {
		return nil
	}
	if s.dir == nil {
		return ErrClosed
	}
	return s.dir.Append(typ, payload)
}

// Snapshot compacts the directory to the codec's state (Dir.Compact).
func (s *Store) Snapshot(ctx context.Context) error {
	if s.dir == nil {
		return ErrClosed
	}
	body, err := s.codec.State(ctx)
	if err != nil {
		return err
	}
	return s.dir.Compact(ctx, body)
}

// Sync fsyncs the journal.
func (s *Store) Sync() error {
	if s.dir == nil {
		return ErrClosed
	}
	return s.dir.Sync()
}

// Close closes the directory; closing a closed store does nothing.
func (s *Store) Close() error {
	if s.dir == nil {
		return nil
	}
	err := s.dir.Close()
	s.dir = nil
	return err
}

// Closed reports whether the store was closed (or never opened).
func (s *Store) Closed() bool { return s.dir == nil }

// Recovery reports what Open found.
func (s *Store) Recovery() StoreRecovery { return s.recovery }
