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

// A Tag names a value that records hold without holding the value itself
// (a keyed hash of it): what an erasure takes out of a shared log.
type Tag [16]byte

// A Rewrite returns r's payload with the value tagged tag taken out (the
// payload unchanged when r holds no such value). The record must still
// apply: only the value goes.
type Rewrite func(r Record, tag Tag) ([]byte, error)

// A SharedBackend is a Backend whose records other processes read and
// replay from the start, so that erasing a value from memory and from the
// local snapshot is not enough: the records themselves must lose it. Its
// rules, beside Backend's:
//   - AppendTagged is Append with the tags of the values the record
//     holds; a record holding a value already erased is stored rewritten
//     (through the Rewrite given to UseRewrite), never in clear.
//     AppendBatch is the same for many records at once.
//   - Erase is called after the store forgot the value tagged tag (for
//     identity, after it applied the erasure record it appended), with
//     state, which writes the store's whole state. It rewrites every
//     record that holds the value, and keeps a state, with its place in
//     the log, as the place from which a process starts that is behind
//     it: records before that place may have been rewritten, so no one
//     applies them again. It may apply other processes' records first
//     (through the apply Open was given) to reach that place.
//   - Restore may then run again on a store already open, replacing its
//     whole state, when a process finds itself behind such a place.
type SharedBackend interface {
	Backend
	UseRewrite(Rewrite)
	AppendTagged(typ byte, payload []byte, tags []Tag) error
	// AppendBatch appends recs (tags[i] are recs[i]'s) as one unit,
	// applies what other processes put ahead of them, and reports which
	// the caller applies now: false for a record the log held already,
	// which is applied (or will be) in the log's order.
	AppendBatch(recs []Record, tags [][]Tag) ([]bool, error)
	Erase(ctx context.Context, tag Tag, state func() ([]byte, error)) error
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
