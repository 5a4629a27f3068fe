package journal

import (
	"fmt"
	"os"
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
	lock *os.File // holds the directory's flock until Close
}

// DirRecovery reports what opening a Dir found.
type DirRecovery struct {
	Snapshot   bool   // a snapshot was restored
	Generation uint64 // its generation
	Recovery          // what the journal replay kept and dropped
}

// OpenDir opens (creating) the directory, hands the snapshot body to
// restore (when there is a snapshot), then every complete journal record
// to replay, and returns the Dir ready to append. A damaged journal tail is
// cut off and reported; a damaged snapshot is an error (ErrBadSnapshot).
func OpenDir(path, kind string, opts *Options, restore func(body []byte) error, replay func(Record) error) (*Dir, DirRecovery, error) {
	var rec DirRecovery
	if opts == nil {
		opts = &Options{}
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, rec, err
	}
	lock, err := lockDir(filepath.Join(path, "lock"), opts.LockTimeout)
	if err != nil {
		return nil, rec, fmt.Errorf("journal: %s: %w", path, err)
	}
	d := &Dir{path: path, kind: kind, opts: *opts, lock: lock}
	if rec, err = d.open(restore, replay); err != nil {
		lock.Close()
		return nil, rec, err
	}
	return d, rec, nil
}

// open restores the snapshot and replays the journal into d; the caller
// holds the lock.
func (d *Dir) open(restore func(body []byte) error, replay func(Record) error) (DirRecovery, error) {
	var rec DirRecovery
	snap := filepath.Join(d.path, "snapshot.snap")
	if _, err := os.Stat(snap); err == nil {
		gen, body, err := ReadSnapshot(snap, d.kind)
		if err != nil {
			return rec, err
		}
		if err := restore(body); err != nil {
			return rec, fmt.Errorf("journal: snapshot %s: %w", snap, err)
		}
		d.gen = gen
		rec.Snapshot, rec.Generation = true, gen
	} else if !os.IsNotExist(err) {
		return rec, err
	}
	log, r, err := Open(d.journalPath(d.gen), &d.opts, replay)
	if err != nil {
		return rec, err
	}
	d.log, rec.Recovery = log, r
	return rec, nil
}

func (d *Dir) journalPath(gen uint64) string {
	return filepath.Join(d.path, "journal-"+strconv.FormatUint(gen, 10)+".log")
}

// Append writes one record to the journal.
func (d *Dir) Append(typ byte, payload []byte) error { return d.log.Append(typ, payload) }

// Compact writes body as the next snapshot, starts an empty journal after
// it and removes the older journals: the directory then holds only body.
func (d *Dir) Compact(body []byte) error {
	next := d.gen + 1
	// The new journal exists (empty) before the snapshot names it.
	nl, _, err := Open(d.journalPath(next), &d.opts, nil)
	if err != nil {
		return err
	}
	if err := WriteSnapshot(filepath.Join(d.path, "snapshot.snap"), d.kind, next, body); err != nil {
		nl.Close()
		os.Remove(d.journalPath(next))
		return err
	}
	old := d.log
	d.log, d.gen = nl, next
	old.Close()
	entries, _ := os.ReadDir(d.path)
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "journal-") || !strings.HasSuffix(name, ".log") {
			continue
		}
		gen, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "journal-"), ".log"), 10, 64)
		if err == nil && gen < next {
			os.Remove(filepath.Join(d.path, name))
		}
	}
	return nil
}

// Sync flushes the journal to disk.
func (d *Dir) Sync() error { return d.log.Sync() }

// Close syncs and closes the journal and releases the directory's lock.
// Closing a closed Dir does nothing.
func (d *Dir) Close() error {
	err := d.log.Close()
	if d.lock != nil {
		if cerr := d.lock.Close(); err == nil && cerr != nil {
			err = cerr
		}
		d.lock = nil
	}
	return err
}
