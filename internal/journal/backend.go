package journal

import (
	"context"
	"errors"
)

// A Backend is where a Store keeps its records and its state. There are
// two: the local directory (LocalBackend, a Dir), which one process owns,
// and a log that several processes share (the pglog module, over
// PostgreSQL), where every process applies the same records in the same
// order.
//
// The rules a Backend keeps:
//   - Open hands restore the newest state it holds (when it holds one),
//     then apply every record after it, in the backend's order, and keeps
//     apply for Append and Pull.
//   - Append makes one record durable before the caller applies it. A
//     shared backend first applies, through apply, every record that
//     other processes put ahead of this one in its order, so that every
//     process applies one sequence; the caller then applies its own.
//     Append returns ErrDuplicate, and the caller applies nothing, when
//     the record is already in the log and already applied.
//   - Pull applies the records other processes appended since the last
//     one applied, and returns how many; a backend no one else writes
//     returns 0.
//   - Compact makes body the state that replaces every record applied so
//     far (a snapshot); a shared backend keeps its records for the other
//     processes and keeps body, with its place in the log, locally.
//   - Sync makes appended records survive power loss; Close releases what
//     Open took.
//
// A Backend is not safe for concurrent use: its Store's owner serializes
// calls. apply runs inside Append and Pull, on the caller's goroutine.
type Backend interface {
	Open(ctx context.Context, restore func(body []byte) error, apply func(Record) error) (StoreRecovery, error)
	Append(typ byte, payload []byte) error
	Pull(ctx context.Context) (int, error)
	Compact(ctx context.Context, body []byte) error
	Sync() error
	Close() error
}

// ErrDuplicate is returned by Append on a shared backend for a record the
// log already holds and this process already applied (a retry, or a
// source delivering the same record twice): nothing was applied again.
var ErrDuplicate = errors.New("journal: the record is already in the log")

// LocalBackend returns the backend of a local directory: OpenDir on path
// when the Store opens.
func LocalBackend(path, kind string, opts *Options) Backend {
	return &localBackend{path: path, kind: kind, opts: opts}
}

type localBackend struct {
	path, kind string
	opts       *Options
	dir        *Dir
}

func (b *localBackend) Open(ctx context.Context, restore func([]byte) error, apply func(Record) error) (StoreRecovery, error) {
	d, rec, err := OpenDir(ctx, b.path, b.kind, b.opts, restore, apply)
	if err != nil {
		return StoreRecovery{}, err
	}
	b.dir = d
	return rec.Store(), nil
}

func (b *localBackend) Append(typ byte, payload []byte) error { return b.dir.Append(typ, payload) }

// Pull has nothing to apply: the directory is this process's alone.
func (b *localBackend) Pull(context.Context) (int, error) { return 0, nil }

func (b *localBackend) Compact(ctx context.Context, body []byte) error {
	return b.dir.Compact(ctx, body)
}

func (b *localBackend) Sync() error  { return b.dir.Sync() }
func (b *localBackend) Close() error { return b.dir.Close() }
