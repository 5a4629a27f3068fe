package journal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
)

// A Dir is a store's directory: snapshot.snap (generation G, absent before
// the first compaction) and journal-G.log, the records written since. It is
// not safe for concurrent use; its owner serializes calls.
type Dir struct {
	path string
	kind string
	gen  uint64
	log  *Log
	opts Options
	fs   FS
	lock io.Closer // holds the directory's lock until Close
}

// DirRecovery reports what opening a Dir found.
type DirRecovery struct {
	Snapshot   bool   // a snapshot was restored
	Generation uint64 // its generation
	Recovery          // what the journal replay kept and dropped
}

// ErrCleanup wraps a Compact error that came after the new snapshot was in
// place: the store continues from it and has lost nothing, but files it
// replaced (an erased value among them, perhaps) may still be on disk. A
// later Compact removes them.
var ErrCleanup = errors.New("journal: compacted, but the replaced files were not all removed")

// OpenDir opens (creating) the directory, hands the snapshot body to
// restore (when there is a snapshot), then every complete journal record
// to replay, and returns the Dir ready to append. A damaged journal tail is
// cut off and reported; a damaged snapshot is an error (ErrBadSnapshot).
// When ctx is done before the replay ends, OpenDir stops, releases the
// directory and returns ctx's error; the directory is as it was (the
// caller discards what restore and replay built).
func OpenDir(ctx context.Context, path, kind string, opts *Options, restore func(body []byte) error, replay func(Record) error) (*Dir, DirRecovery, error) {
	var rec DirRecovery
	if opts == nil {
		opts = &Options{}
	}
	fsys := fsOf(opts)
	if err := fsys.MkdirAll(path, 0o755); err != nil {
		return nil, rec, fmt.Errorf("journal: %w", err)
	}
	lock, err := fsys.Lock(filepath.Join(path, "lock"), opts.LockTimeout)
	if errors.Is(err, ErrLocked) {
		return nil, rec, fmt.Errorf("%w: %s", err, path)
	}
	if err != nil {
		return nil, rec, fmt.Errorf("journal: locking %s: %w", path, err)
	}
	d := &Dir{path: path, kind: kind, opts: *opts, fs: fsys, lock: lock}
	if rec, err = d.open(ctx, restore, replay); err != nil {
		lock.Close()
		return nil, rec, err
	}
	return d, rec, nil
}

// open restores the snapshot and replays the journal into d; the caller
// holds the lock.
func (d *Dir) open(ctx context.Context, restore func(body []byte) error, replay func(Record) error) (DirRecovery, error) {
	var rec DirRecovery
	if err := ctx.Err(); err != nil {
		return rec, fmt.Errorf("journal: %w", err)
	}
	snap := d.snapshotPath()
	if _, err := d.fs.Stat(snap); err == nil {
		gen, body, err := readSnapshot(d.fs, snap, d.kind)
		if err != nil {
			return rec, err
		}
		if err := restore(body); err != nil {
			return rec, fmt.Errorf("journal: snapshot %s: %w", snap, err)
		}
		d.gen = gen
		rec.Snapshot, rec.Generation = true, gen
	} else if !errors.Is(err, fs.ErrNotExist) {
		return rec, fmt.Errorf("journal: %w", err)
	}
	// The replay checks ctx every 4,096 records, and stops before the
	// damaged tail is cut, so a cancelled open changes nothing on disk.
	n := 0
	checked := func(r Record) error {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if replay == nil {
			return nil
		}
		return replay(r)
	}
	if err := ctx.Err(); err != nil {
		return rec, fmt.Errorf("journal: %w", err)
	}
	log, r, err := Open(d.journalPath(d.gen), &d.opts, checked)
	if err != nil {
		return rec, err
	}
	d.log, rec.Recovery = log, r
	lg := d.opts.logger()
	if r.DroppedBytes > 0 {
		lg.Warn("journal: cut a damaged tail", "dir", d.path, "kind", d.kind, "records", r.Records, "dropped_bytes", r.DroppedBytes, "reason", r.Reason)
	}
	lg.Info("journal: opened", "dir", d.path, "kind", d.kind, "snapshot", rec.Snapshot, "generation", d.gen, "records", r.Records)
	return rec, nil
}

func (d *Dir) snapshotPath() string { return filepath.Join(d.path, "snapshot.snap") }

func (d *Dir) journalPath(gen uint64) string {
	return filepath.Join(d.path, "journal-"+strconv.FormatUint(gen, 10)+".log")
}

// Append writes one record to the journal.
func (d *Dir) Append(typ byte, payload []byte) error { return d.log.Append(typ, payload) }

// Compact writes body as the next snapshot, starts an empty journal after
// it and removes the older journals: the directory then holds only body.
// It runs in named steps, each of which reports its error:
//
//  1. create journal G+1, empty (any leftover of an earlier failed
//     compaction is garbage: no snapshot names it);
//  2. write snapshot G+1 beside the old one and rename it into place;
//     until the rename, a failure leaves snapshot G and journal G as they
//     were, and the Dir goes on appending to journal G;
//  3. switch appends to journal G+1 and close journal G;
//  4. remove the journals before G+1.
//
// A failure after the rename is returned wrapped in ErrCleanup: the Dir
// has already switched and lost nothing. When ctx is done before the
// rename, Compact undoes steps 1 and 2 and returns ctx's error.
func (d *Dir) Compact(ctx context.Context, body []byte) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	next := d.gen + 1
	nl, err := d.createJournal(next)
	if err != nil {
		return err
	}
	renamed, err := writeSnapshot(ctx, d.fs, d.snapshotPath(), d.kind, next, body)
	if !renamed {
		nl.Close()
		d.fs.Remove(d.journalPath(next)) // best effort: step 1 truncates it next time
		return err
	}
	old := d.log
	d.log, d.gen = nl, next
	errs := []error{err, old.Close(), d.removeBefore(next)}
	lg := d.opts.logger()
	if err := errors.Join(errs...); err != nil {
		lg.Warn("journal: compacted, but the replaced files were not all removed", "dir", d.path, "kind", d.kind, "generation", next, "err", err)
		return fmt.Errorf("%w: %w", ErrCleanup, err)
	}
	lg.Info("journal: compacted", "dir", d.path, "kind", d.kind, "generation", next, "snapshot_bytes", len(body))
	return nil
}

// createJournal creates journal gen empty, truncating any leftover.
func (d *Dir) createJournal(gen uint64) (*Log, error) {
	nl, _, err := Open(d.journalPath(gen), &d.opts, nil)
	if err != nil {
		return nil, err
	}
	if nl.Size() > 0 {
		if err := nl.f.Truncate(0); err != nil {
			nl.Close()
			return nil, fmt.Errorf("journal: %w", err)
		}
		if _, err := nl.f.Seek(0, io.SeekStart); err != nil {
			nl.Close()
			return nil, fmt.Errorf("journal: %w", err)
		}
		nl.size = 0
	}
	return nl, nil
}

// removeBefore removes the journals of generations before gen.
func (d *Dir) removeBefore(gen uint64) error {
	entries, err := d.fs.ReadDir(d.path)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "journal-") || !strings.HasSuffix(name, ".log") {
			continue
		}
		g, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "journal-"), ".log"), 10, 64)
		if err == nil && g < gen {
			errs = append(errs, d.fs.Remove(filepath.Join(d.path, name)))
		}
	}
	return errors.Join(errs...)
}

// Sync flushes the journal to disk.
func (d *Dir) Sync() error { return d.log.Sync() }

// Close syncs and closes the journal and releases the directory's lock.
// Closing a closed Dir does nothing.
func (d *Dir) Close() error {
	err := d.log.Close()
	if d.lock != nil {
		if cerr := d.lock.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("journal: releasing the lock: %w", cerr)
		}
		d.lock = nil
	}
	return err
}

// A StoreRecovery is what opening a store's directory found, as the
// stores report it (identity.Recovery, journey.Recovery and
// channel.Recovery are this type).
type StoreRecovery struct {
	Snapshot     bool   // a snapshot was restored
	Generation   uint64 // its generation (the journal continuing it)
	Records      int    // journal records replayed
	DroppedBytes int64  // a damaged tail cut off the journal
	Reason       string // why it was cut
	// Unresolved counts records the store left out because what they name
	// is gone (journey: events none of whose identifiers resolves any more,
	// after an erasure); 0 for the other stores.
	Unresolved int
}

// Store returns r as a StoreRecovery.
func (r DirRecovery) Store() StoreRecovery {
	return StoreRecovery{Snapshot: r.Snapshot, Generation: r.Generation, Records: r.Records, DroppedBytes: r.DroppedBytes, Reason: r.Reason}
}
