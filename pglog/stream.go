package pglog

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/throughline/throughline/internal/journal"
)

// ErrNotVisible is returned by a mutating call whose record was appended
// but did not come under the watermark within Options.VisibleTimeout (a
// long-open transaction holds it back): the record is in the log, this
// process has not applied it yet, and a later Pull applies it.
var ErrNotVisible = errors.New("pglog: appended, but an open transaction holds the watermark back")

// ErrOrder is returned when a read of the log comes back out of its
// order; nothing of that read is applied.
var ErrOrder = errors.New("pglog: the log read back out of order")

// ErrApply wraps the error of a record this process could not apply; the
// cursor stays before it, so the next Pull tries it again.
var ErrApply = errors.New("pglog: applying a record")

// A cursor is a place in the log's order: after the row (tx, position).
type cursor struct {
	tx  uint64
	pos int64
}

func (c cursor) less(d cursor) bool { return c.tx < d.tx || c.tx == d.tx && c.pos < d.pos }

// A Stream is one store's records in the shared log (identity's, say), and
// the local directory where the store's snapshot and cursor are kept. It
// is a journal.Backend: give it to identity.OpenBackend and the like.
type Stream struct {
	db    *DB
	name  string
	snap  string // local snapshot file; "" keeps none
	apply func(journal.Record) error

	mu    sync.Mutex // guards what Status reads
	cur   cursor
	count int64     // records applied since the start of the log
	at    time.Time // when the last one was applied
}

// Stream returns the stream named name (one per store: "identity",
// "journey", "reacher"), keeping its local snapshot in dir ("" keeps
// none: every start replays the whole stream).
func (db *DB) Stream(name, dir string) *Stream {
	s := &Stream{db: db, name: name}
	if dir != "" {
		s.snap = filepath.Join(dir, name+".pglog.snap")
	}
	return s
}

// snapshotKind names the local snapshot's format in its header.
const snapshotKind = "pglog"

// Open restores the local snapshot when it is whole and was taken from
// this log, then applies every record after its cursor.
func (s *Stream) Open(ctx context.Context, restore func([]byte) error, apply func(journal.Record) error) (journal.StoreRecovery, error) {
	var rec journal.StoreRecovery
	s.apply = apply
	if body, c, n, ok := s.readSnapshot(); ok {
		if err := restore(body); err != nil {
			return rec, fmt.Errorf("pglog: restoring %s: %w", s.snap, err)
		}
		s.cur, s.count = c, n
		rec.Snapshot, rec.Generation = true, uint64(n)
	}
	n, err := s.Pull(ctx)
	if err != nil {
		return rec, err
	}
	rec.Records = n
	return rec, nil
}

// readSnapshot reads the local snapshot: body, cursor and count. A
// missing, damaged or foreign one is not used (and is logged, but for
// missing): the stream replays from the start.
func (s *Stream) readSnapshot() (body []byte, c cursor, n int64, ok bool) {
	if s.snap == "" {
		return nil, c, 0, false
	}
	_, b, err := journal.ReadSnapshot(s.snap, snapshotKind)
	if errors.Is(err, os.ErrNotExist) {
		return nil, c, 0, false
	}
	lg := s.db.opts.Logger
	if err != nil {
		lg.Warn("pglog: local snapshot damaged; replaying the stream from the start", "file", s.snap, "err", err)
		return nil, c, 0, false
	}
	if len(b) < 40 || uuid.UUID(b[:16]) != s.db.logID {
		lg.Warn("pglog: local snapshot is of another log; replaying the stream from the start", "file", s.snap)
		return nil, c, 0, false
	}
	c = cursor{tx: binary.LittleEndian.Uint64(b[16:]), pos: int64(binary.LittleEndian.Uint64(b[24:]))}
	return b[40:], c, int64(binary.LittleEndian.Uint64(b[32:])), true
}

// Compact keeps body locally with the cursor: the log itself keeps every
// record, for the other replicas. It writes nothing when the stream keeps
// no local snapshot.
func (s *Stream) Compact(ctx context.Context, body []byte) error {
	if s.snap == "" {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("pglog: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(s.snap), 0o755); err != nil {
		return fmt.Errorf("pglog: %w", err)
	}
	b := make([]byte, 40, 40+len(body))
	copy(b, s.db.logID[:])
	binary.LittleEndian.PutUint64(b[16:], s.cur.tx)
	binary.LittleEndian.PutUint64(b[24:], uint64(s.cur.pos))
	binary.LittleEndian.PutUint64(b[32:], uint64(s.count))
	if err := journal.WriteSnapshot(s.snap, snapshotKind, uint64(s.count), append(b, body...)); err != nil {
		return fmt.Errorf("pglog: %w", err)
	}
	return nil
}

// Sync does nothing: an append is acknowledged after PostgreSQL commits
// it, which is as durable as the server's settings make it.
func (s *Stream) Sync() error { return nil }

// Close releases nothing: the DB owns the pool.
func (s *Stream) Close() error { return nil }

// recordID is a record's ID: a hash of stream, type and payload, so a
// record appended twice is kept once.
func recordID(stream string, typ byte, payload []byte) uuid.UUID {
	h := sha256.New()
	h.Write([]byte(stream))
	h.Write([]byte{0, typ})
	h.Write(payload)
	var id uuid.UUID
	copy(id[:], h.Sum(nil))
	id[6] = id[6]&0x0f | 0x80 // version 8: custom
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

// Append writes the record, then applies every record ahead of it in the
// log's order, waiting up to Options.VisibleTimeout for the watermark to
// pass it; the caller then applies it. A record the log already holds is
// not written again: if this process applied it already, Append returns
// journal.ErrDuplicate.
func (s *Stream) Append(typ byte, payload []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.db.opts.VisibleTimeout)
	defer cancel()
	id := recordID(s.name, typ, payload)
	own, err := s.insert(ctx, id, typ, payload)
	if err != nil {
		return fmt.Errorf("pglog: appending to %s: %w", s.name, err)
	}
	if !s.cur.less(own) {
		return journal.ErrDuplicate
	}
	return s.through(ctx, id, own)
}

// insert writes one record, or finds it when the log holds it already,
// and returns its place.
func (s *Stream) insert(ctx context.Context, id uuid.UUID, typ byte, payload []byte) (cursor, error) {
	var txt string
	var c cursor
	var err error
	if s.db.hold != nil {
		err = s.insertHeld(ctx, id, typ, payload, &txt, &c.pos)
	} else {
		err = s.db.pool.QueryRow(ctx, s.db.sql.insert, id, s.name, int16(typ), payload, s.db.channel()).Scan(&txt, &c.pos)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		err = s.db.pool.QueryRow(ctx, s.db.sql.lookup, id).Scan(&txt, &c.pos)
	}
	if err != nil {
		return c, err
	}
	c.tx, err = strconv.ParseUint(txt, 10, 64)
	return c, err
}

// insertHeld is insert in a transaction kept open for db.hold() after
// the INSERT (tests only).
func (s *Stream) insertHeld(ctx context.Context, id uuid.UUID, typ byte, payload []byte, txt *string, pos *int64) error {
	tx, err := s.db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := tx.QueryRow(ctx, s.db.sql.insert, id, s.name, int16(typ), payload, s.db.channel()).Scan(txt, pos); err != nil {
		return err
	}
	time.Sleep(s.db.hold())
	return tx.Commit(ctx)
}

// through applies the records ahead of own, waiting for the watermark to
// pass it, and leaves the cursor on own for the caller to apply.
func (s *Stream) through(ctx context.Context, id uuid.UUID, own cursor) error {
	wait := time.Millisecond
	for {
		reached := false
		_, err := s.pull(ctx, func(r row) bool {
			if r.id == id {
				reached = true
				return false
			}
			return true
		})
		if err != nil {
			return err
		}
		if reached {
			s.advance(own)
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %s record at tx %d (%w)", ErrNotVisible, s.name, own.tx, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Millisecond)
	}
}

// Pull applies every record under the watermark after the cursor.
func (s *Stream) Pull(ctx context.Context) (int, error) {
	return s.pull(ctx, func(row) bool { return true })
}

// batch is how many rows one read takes.
const batch = 2000

// A row is one record read from the log.
type row struct {
	at  cursor
	id  uuid.UUID
	rec journal.Record
}

// pull reads and applies rows in order while more is true of the next
// one; it stops before the first row for which more is false.
func (s *Stream) pull(ctx context.Context, more func(row) bool) (int, error) {
	n := 0
	for {
		rows, err := s.read(ctx)
		if err != nil {
			return n, err
		}
		for _, r := range rows {
			if !more(r) {
				return n, nil
			}
			if err := s.apply(r.rec); err != nil {
				return n, fmt.Errorf("%w: %s at tx %d position %d: %w", ErrApply, s.name, r.at.tx, r.at.pos, err)
			}
			s.advance(r.at)
			n++
		}
		if len(rows) < batch {
			return n, nil
		}
	}
}

// advance moves the cursor past one applied record.
func (s *Stream) advance(c cursor) {
	s.mu.Lock()
	s.cur, s.at = c, time.Now()
	s.count++
	s.mu.Unlock()
}

// read takes the next rows after the cursor, under the watermark.
func (s *Stream) read(ctx context.Context) ([]row, error) {
	rs, err := s.db.pool.Query(ctx, s.db.sql.read, s.name, strconv.FormatUint(s.cur.tx, 10), s.cur.pos, batch)
	if err != nil {
		return nil, fmt.Errorf("pglog: reading %s: %w", s.name, err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		var txt string
		var typ int16
		if err := rs.Scan(&txt, &r.at.pos, &r.id, &typ, &r.rec.Payload); err != nil {
			return nil, fmt.Errorf("pglog: reading %s: %w", s.name, err)
		}
		if r.at.tx, err = strconv.ParseUint(txt, 10, 64); err != nil {
			return nil, fmt.Errorf("pglog: reading %s: tx %q: %w", s.name, txt, err)
		}
		r.rec.Type = byte(typ)
		// The order every replica relies on, checked: a row at or before
		// the one ahead of it is a broken read, not a record to apply.
		prev := s.cur
		if len(out) > 0 {
			prev = out[len(out)-1].at
		}
		if !prev.less(r.at) {
			return nil, fmt.Errorf("%w: %s read tx %d position %d after tx %d position %d", ErrOrder, s.name, r.at.tx, r.at.pos, prev.tx, prev.pos)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, fmt.Errorf("pglog: reading %s: %w", s.name, err)
	}
	return out, nil
}
