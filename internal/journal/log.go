package journal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"
)

// MaxRecord bounds a record's length, so a corrupted length field cannot
// make a reader allocate gigabytes.
const MaxRecord = 64 << 20

const headerLen = 9

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Errors.
var (
	// ErrCorrupt reports a record that is damaged, not merely cut short.
	ErrCorrupt = errors.New("journal: corrupt record")
	// ErrTooLarge reports an Append over MaxRecord.
	ErrTooLarge = errors.New("journal: record too large")
	// ErrClosed reports use of a closed log.
	ErrClosed = errors.New("journal: log closed")
	// ErrLocked reports a directory another process (or another open
	// store in this one) holds.
	ErrLocked = errors.New("journal: directory is in use by another store")
)

// Sync is an fsync policy.
type Sync uint8

// Every mode writes each record to the file (one write call) before Append
// returns, so a process killed at any moment loses nothing it was told was
// appended; the modes differ only in when the file is fsynced, which is
// about power loss and kernel crashes.
const (
	SyncAlways   Sync = iota // fsync after every append
	SyncInterval             // fsync at most an interval after an append (a background timer)
	SyncNever                // fsync only on Sync and Close
)

// AppendRecord appends one framed record to b.
func AppendRecord(b []byte, typ byte, payload []byte) []byte {
	var h [headerLen]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(1+len(payload)))
	c := crc32.Update(0, castagnoli, []byte{typ})
	c = crc32.Update(c, castagnoli, payload)
	binary.LittleEndian.PutUint32(h[4:8], c)
	h[8] = typ
	b = append(b, h[:]...)
	return append(b, payload...)
}

// A Record is one decoded record.
type Record struct {
	Type    byte
	Payload []byte // valid until the next Next
	Offset  int64  // where the record starts
}

// A Reader reads records from a log.
type Reader struct {
	r    *bufio.Reader
	off  int64
	buf  []byte
	err  error
	stop string
	rec  Record
}

// NewReader reads records from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: bufio.NewReaderSize(r, 1<<16)} }

// Next reads the next record. It returns false at the end of the log or at
// the first damaged record; Err and Stop then say which.
func (rd *Reader) Next() bool {
	if rd.err != nil || rd.stop != "" {
		return false
	}
	var h [headerLen]byte
	n, err := io.ReadFull(rd.r, h[:])
	if err == io.EOF {
		return false
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			rd.stop = fmt.Sprintf("torn header: %d of %d bytes", n, headerLen)
			return false
		}
		rd.err = err
		return false
	}
	length := binary.LittleEndian.Uint32(h[0:4])
	if length == 0 || length > MaxRecord {
		rd.stop = fmt.Sprintf("bad length %d", length)
		return false
	}
	// Read the payload in growing steps, so a damaged length on a short log
	// fails at the end of the data instead of allocating MaxRecord first.
	need := int(length - 1)
	p := rd.buf[:0]
	for len(p) < need {
		step := min(need-len(p), max(len(p), 1<<16))
		p = slices.Grow(p, step)
		n, err := io.ReadFull(rd.r, p[len(p):len(p)+step])
		p = p[:len(p)+n]
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) || err == io.EOF {
				rd.stop = fmt.Sprintf("torn payload: %d of %d bytes", len(p), need)
				return false
			}
			rd.err = err
			return false
		}
	}
	rd.buf = p
	c := crc32.Update(0, castagnoli, h[8:9])
	c = crc32.Update(c, castagnoli, p)
	if c != binary.LittleEndian.Uint32(h[4:8]) {
		rd.stop = "checksum mismatch"
		return false
	}
	rd.rec = Record{Type: h[8], Payload: p, Offset: rd.off}
	rd.off += int64(headerLen) + int64(length) - 1
	return true
}

// Record returns the record Next read.
func (rd *Reader) Record() Record { return rd.rec }

// Offset is the end of the last good record.
func (rd *Reader) Offset() int64 { return rd.off }

// Err returns an I/O error that stopped reading (not damage).
func (rd *Reader) Err() error { return rd.err }

// Stop says why reading stopped at damage, or "" at a clean end.
func (rd *Reader) Stop() string { return rd.stop }

// Recovery reports what opening a log found.
type Recovery struct {
	Records      int    // complete records kept
	Good         int64  // bytes of complete records
	DroppedBytes int64  // bytes after them, cut off
	Reason       string // why they were dropped ("" when none were)
}

func (r Recovery) String() string {
	if r.DroppedBytes == 0 {
		return fmt.Sprintf("%d records, clean", r.Records)
	}
	return fmt.Sprintf("%d records kept, %d bytes dropped (%s)", r.Records, r.DroppedBytes, r.Reason)
}

// A Log is a journal file opened for appending. Its owner serializes
// appends (identity does, under its write lock); the SyncInterval timer
// runs beside them under the log's own lock.
type Log struct {
	mu       sync.Mutex
	f        File
	sync     Sync
	interval time.Duration
	lastSync time.Time
	dirty    bool // written since the last fsync
	size     int64
	buf      []byte
	closed   bool
	broken   error // a failed write that could not be undone
	timerErr error // the timer's failed fsync, for the next Append or Sync
	now      func() time.Time
	stop     chan struct{}
	done     chan struct{}
}

// Options configure a Log.
type Options struct {
	Sync     Sync
	Interval time.Duration // for SyncInterval; 0 means one second
	Now      func() time.Time
	// LockTimeout is how long OpenDir waits for a directory another store
	// holds before it fails with ErrLocked; 0 fails at once.
	LockTimeout time.Duration
	// FS is the file system; nil means the operating system's. Tests put
	// Faults here.
	FS FS
	// Logger hears about recoveries and compactions; nil is silent.
	Logger *slog.Logger
}

// logger returns opts' logger, a silent one by default.
func (o *Options) logger() *slog.Logger {
	if o == nil || o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// Open opens (or creates) the log at path, reads every complete record
// through fn, truncates a damaged tail, and returns the log ready to append
// after the last good record. fn's error stops the replay and is returned.
func Open(path string, opts *Options, fn func(Record) error) (*Log, Recovery, error) {
	if opts == nil {
		opts = &Options{}
	}
	f, err := fsOf(opts).OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, Recovery{}, fmt.Errorf("journal: %w", err)
	}
	rec, err := replayFile(f, path, fn)
	if err != nil {
		f.Close()
		return nil, rec, err
	}
	l := &Log{f: f, sync: opts.Sync, interval: opts.Interval, size: rec.Good, now: opts.Now}
	if l.interval == 0 {
		l.interval = time.Second
	}
	if l.now == nil {
		l.now = time.Now
	}
	l.lastSync = l.now()
	if l.sync == SyncInterval {
		l.stop, l.done = make(chan struct{}), make(chan struct{})
		go l.syncEvery()
	}
	return l, rec, nil
}

// replayFile replays f's complete records through fn, cuts a damaged tail
// off, and leaves f positioned to append after the last good record.
func replayFile(f File, path string, fn func(Record) error) (Recovery, error) {
	var rec Recovery
	st, err := f.Stat()
	if err != nil {
		return rec, fmt.Errorf("journal: %w", err)
	}
	rd := NewReader(f)
	for rd.Next() {
		if fn != nil {
			if err := fn(rd.Record()); err != nil {
				return rec, fmt.Errorf("journal: %s at offset %d: %w", path, rd.Record().Offset, err)
			}
		}
		rec.Records++
	}
	if err := rd.Err(); err != nil {
		return rec, fmt.Errorf("journal: reading %s: %w", path, err)
	}
	rec.Good = rd.Offset()
	rec.DroppedBytes = st.Size() - rec.Good
	if rec.DroppedBytes > 0 {
		rec.Reason = rd.Stop()
		if rec.Reason == "" {
			rec.Reason = "trailing bytes"
		}
		if err := f.Truncate(rec.Good); err != nil {
			return rec, fmt.Errorf("journal: cutting the damaged tail of %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			return rec, fmt.Errorf("journal: %w", err)
		}
	}
	if _, err := f.Seek(rec.Good, io.SeekStart); err != nil {
		return rec, fmt.Errorf("journal: %w", err)
	}
	return rec, nil
}

// syncEvery fsyncs the log on a timer while it is dirty, so power loss
// costs at most the interval even when no append follows.
func (l *Log) syncEvery() {
	defer close(l.done)
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			l.mu.Lock()
			if l.dirty && !l.closed && l.broken == nil {
				l.timerErr = l.fsync() // reported by the next Append or Sync
			}
			l.mu.Unlock()
		}
	}
}

// Append writes one record to the file and fsyncs it by the log's policy.
// When it returns nil the record is in the operating system's hands. A
// failed write is cut off again, so the log never holds a torn record
// before later good ones; if that fails too the log refuses further
// appends.
func (l *Log) Append(typ byte, payload []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return ErrClosed
	case l.broken != nil:
		return l.broken
	case 1+len(payload) > MaxRecord:
		return ErrTooLarge
	case l.timerErr != nil:
		err := l.timerErr
		l.timerErr = nil
		return err
	}
	l.buf = AppendRecord(l.buf[:0], typ, payload)
	if _, err := l.f.Write(l.buf); err != nil {
		l.undo()
		return fmt.Errorf("journal: append: %w", err)
	}
	l.dirty = true
	if l.sync == SyncAlways || l.sync == SyncInterval && l.now().Sub(l.lastSync) >= l.interval {
		if err := l.fsync(); err != nil {
			// The caller is told the record failed, so it must not
			// reappear on reopen: cut it off again. The records
			// before it stay dirty, for the next fsync to retry.
			l.undo()
			return err
		}
	}
	l.size += int64(len(l.buf))
	return nil
}

// undo cuts a partly or wholly written record off the end of the file;
// the log's size is still the length before it.
func (l *Log) undo() {
	if err := l.f.Truncate(l.size); err != nil {
		l.broken = fmt.Errorf("journal: a failed append could not be undone: %w", err)
		return
	}
	if _, err := l.f.Seek(l.size, io.SeekStart); err != nil {
		l.broken = fmt.Errorf("journal: a failed append could not be undone: %w", err)
	}
}

func (l *Log) fsync() error {
	l.lastSync = l.now()
	if err := l.f.Sync(); err != nil {
		return fmt.Errorf("journal: fsync: %w", err)
	}
	l.dirty = false
	return nil
}

// Sync fsyncs the file.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.timerErr = nil // superseded: this fsync covers what the timer's did not
	return l.fsync()
}

// Size is the log's length in bytes, appended records included.
func (l *Log) Size() int64 { return l.size }

// Close syncs and closes the log. Closing a closed log does nothing.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	err := l.fsync()
	l.closed = true
	if cerr := l.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("journal: close: %w", cerr)
	}
	l.mu.Unlock()
	if l.stop != nil {
		close(l.stop)
		<-l.done
	}
	return err
}
