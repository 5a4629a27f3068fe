package pglog

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// A cursor is a place in the log's order: after the row (tx, position),
// whose record is id (zero before the first).
type cursor struct {
	tx  uint64
	pos int64
	id  uuid.UUID
}

func (c cursor) less(d cursor) bool { return c.tx < d.tx || c.tx == d.tx && c.pos < d.pos }

// A Stream is one store's records in the shared log (identity's, say), and
// the local directory where the store's snapshot and cursor are kept. It
// is a journal.Backend: give it to identity.OpenBackend and the like.
type Stream struct {
	db      *DB
	name    string
	snap    string // local snapshot file; "" keeps none
	restore func([]byte) error
	apply   func(journal.Record) error
	rewrite journal.Rewrite // nil: the store's records hold no erasable values

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

// snapshotKind names the local snapshot's format in its header: the log's
// ID, the cursor (tx, position, record ID) and the count of records
// applied, then the store's body.
const snapshotKind = "pglog/2"

const snapshotHeader = 56

// Open restores the local snapshot when it is whole and was taken from
// this log, then applies every record after its cursor.
func (s *Stream) Open(ctx context.Context, restore func([]byte) error, apply func(journal.Record) error) (journal.StoreRecovery, error) {
	var rec journal.StoreRecovery
	s.restore, s.apply = restore, apply
	// The shards of erased that appends lock must exist before any does.
	if _, err := s.db.pool.Exec(ctx, s.db.sql.shards, s.name); err != nil {
		return rec, fmt.Errorf("pglog: opening %s: %w", s.name, err)
	}
	if body, c, n, ok := s.readSnapshot(ctx); ok {
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
// missing): the stream replays from the start. So is one whose last
// record the log no longer holds: the database was restored to an
// earlier point, and the snapshot holds records the log lost.
func (s *Stream) readSnapshot(ctx context.Context) (body []byte, c cursor, n int64, ok bool) {
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
	if len(b) < snapshotHeader || uuid.UUID(b[:16]) != s.db.logID {
		lg.Warn("pglog: local snapshot is of another log; replaying the stream from the start", "file", s.snap)
		return nil, c, 0, false
	}
	c = cursor{tx: binary.LittleEndian.Uint64(b[16:]), pos: int64(binary.LittleEndian.Uint64(b[24:])), id: uuid.UUID(b[40:56])}
	if c.tx != 0 {
		var held bool
		err := s.db.pool.QueryRow(ctx, s.db.sql.holds, strconv.FormatUint(c.tx, 10), c.pos, c.id).Scan(&held)
		if err != nil || !held {
			lg.Warn("pglog: the log no longer holds the local snapshot's last record (restored to an earlier point?); replaying the stream from the start",
				"file", s.snap, "tx", c.tx, "position", c.pos, "err", err)
			return nil, c, 0, false
		}
	}
	return b[snapshotHeader:], c, int64(binary.LittleEndian.Uint64(b[32:])), true
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
	return s.keepLocal(body)
}

// keepLocal writes body as the local snapshot, at the cursor.
func (s *Stream) keepLocal(body []byte) error {
	if err := os.MkdirAll(filepath.Dir(s.snap), 0o755); err != nil {
		return fmt.Errorf("pglog: %w", err)
	}
	b := make([]byte, snapshotHeader, snapshotHeader+len(body))
	copy(b, s.db.logID[:])
	binary.LittleEndian.PutUint64(b[16:], s.cur.tx)
	binary.LittleEndian.PutUint64(b[24:], uint64(s.cur.pos))
	binary.LittleEndian.PutUint64(b[32:], uint64(s.count))
	copy(b[40:], s.cur.id[:])
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

// Append is AppendTagged with no tags: the record holds no value an
// erasure would look for.
func (s *Stream) Append(typ byte, payload []byte) error { return s.AppendTagged(typ, payload, nil) }

// AppendTagged writes the record, then applies every record ahead of it
// in the log's order, waiting up to Options.VisibleTimeout for the
// watermark to pass it; the caller then applies it. A record the log
// already holds is not written again: if this process applied it already,
// Append returns journal.ErrDuplicate. tags are the keyed hashes of the
// values the record holds: a value already erased is taken out of the
// payload before it is written.
func (s *Stream) AppendTagged(typ byte, payload []byte, tags []journal.Tag) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.db.opts.VisibleTimeout)
	defer cancel()
	id := recordID(s.name, typ, payload) // of the record as given, so a retry finds it
	var own cursor
	err := s.db.write(ctx, func(q querier) error {
		var err error
		own, err = s.insert(ctx, q, id, typ, payload, tags)
		return err
	})
	if err != nil {
		return fmt.Errorf("pglog: appending to %s: %w", s.name, err)
	}
	if !s.cur.less(own) {
		return journal.ErrDuplicate
	}
	return s.through(ctx, func(r uuid.UUID) bool { return r == id }, own, 1)
}

// UseRewrite sets how the stream takes an erased value out of a record.
func (s *Stream) UseRewrite(rw journal.Rewrite) { s.rewrite = rw }

// A querier is the pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// write runs fn on the pool, or in a transaction when tests hold one open
// (db.hold).
func (db *DB) write(ctx context.Context, fn func(querier) error) error {
	if db.hold == nil {
		return fn(db.pool)
	}
	return db.inTx(ctx, func(tx pgx.Tx) error { return fn(tx) })
}

// inTx runs fn in a transaction; in tests (db.hold) the transaction stays
// open for a while after fn, so that commits land out of position order.
func (db *DB) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	if err := fn(tx); err != nil {
		return err
	}
	if db.hold != nil {
		time.Sleep(db.hold())
	}
	return tx.Commit(ctx)
}

// insert writes one record, or finds it when the log holds it already,
// and returns its place.
func (s *Stream) insert(ctx context.Context, q querier, id uuid.UUID, typ byte, payload []byte, tags []journal.Tag) (cursor, error) {
	var txt string
	c := cursor{id: id}
	var err error
	if len(tags) == 0 {
		err = q.QueryRow(ctx, s.db.sql.insert, id, s.name, int16(typ), payload, s.db.channel()).Scan(&txt, &c.pos)
	} else {
		for {
			var hit []uuid.UUID
			ids, shards := tagArgs(tags)
			err = q.QueryRow(ctx, s.db.sql.insertTagged, id, s.name, int16(typ), payload, s.db.channel(), ids, shards).Scan(&txt, &c.pos, &hit)
			if err != nil || len(hit) == 0 {
				break
			}
			// Erased already: written without the value, never in clear.
			if payload, tags, err = s.strip(typ, payload, tags, hit); err != nil {
				return c, err
			}
		}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		err = q.QueryRow(ctx, s.db.sql.lookup, id).Scan(&txt, &c.pos)
	}
	if err != nil {
		return c, err
	}
	c.tx, err = strconv.ParseUint(txt, 10, 64)
	return c, err
}

// tagArgs are a record's tags as uuid[] and their shards as smallint[].
func tagArgs(tags []journal.Tag) ([]uuid.UUID, []int16) {
	ids := make([]uuid.UUID, len(tags))
	shards := make([]int16, len(tags))
	for i, t := range tags {
		ids[i], shards[i] = uuid.UUID(t), int16(t[0])
	}
	return ids, shards
}

// strip takes the values tagged hit out of a payload.
func (s *Stream) strip(typ byte, payload []byte, tags []journal.Tag, hit []uuid.UUID) ([]byte, []journal.Tag, error) {
	if s.rewrite == nil {
		return nil, nil, errors.New("a record holds an erased value, and the store gave no way to rewrite it")
	}
	for _, h := range hit {
		var err error
		if payload, err = s.rewrite(journal.Record{Type: typ, Payload: payload}, journal.Tag(h)); err != nil {
			return nil, nil, fmt.Errorf("rewriting an erased value out: %w", err)
		}
		tags = slices.DeleteFunc(slices.Clone(tags), func(t journal.Tag) bool { return t == journal.Tag(h) })
	}
	return payload, tags, nil
}

// through applies the records ahead of this process's own (those for
// which mine is true, n of them, the last at own), waiting for the
// watermark to pass them, and leaves the cursor on own for the caller to
// apply them.
func (s *Stream) through(ctx context.Context, mine func(uuid.UUID) bool, own cursor, n int) error {
	wait := time.Millisecond
	for {
		reached := false
		_, err := s.pull(ctx, func(r row) bool {
			if mine(r.id) {
				reached = true
				return false
			}
			return true
		})
		if err != nil {
			return err
		}
		if reached {
			s.advance(own, n)
			return nil
		}
		if !s.cur.less(own) {
			// Restored a checkpoint past own (another process erased a
			// value meanwhile): own is applied already, in its state.
			return journal.ErrDuplicate
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
		rows, jump, err := s.read(ctx)
		if err != nil {
			return n, err
		}
		if jump {
			k, err := s.jump(ctx)
			if err != nil {
				return n, err
			}
			n += k
			continue
		}
		for _, r := range rows {
			if !more(r) {
				return n, nil
			}
			if err := s.apply(r.rec); err != nil {
				return n, fmt.Errorf("%w: %s at tx %d position %d: %w", ErrApply, s.name, r.at.tx, r.at.pos, err)
			}
			s.advance(r.at, 1)
			n++
		}
		if len(rows) < batch {
			return n, nil
		}
	}
}

// advance moves the cursor to c, past n applied records.
func (s *Stream) advance(c cursor, n int) {
	s.mu.Lock()
	s.cur, s.at = c, time.Now()
	s.count += int64(n)
	s.mu.Unlock()
}

// jump restores the stream's checkpoint, ahead of the cursor, and keeps
// it as the local snapshot; it returns how many records that passed.
func (s *Stream) jump(ctx context.Context) (int, error) {
	var txt string
	var c cursor
	var count int64
	var body []byte
	if err := s.db.pool.QueryRow(ctx, s.db.sql.checkpoint, s.name).Scan(&txt, &c.pos, &c.id, &count, &body); err != nil {
		return 0, fmt.Errorf("pglog: reading %s's checkpoint: %w", s.name, err)
	}
	var err error
	if c.tx, err = strconv.ParseUint(txt, 10, 64); err != nil {
		return 0, fmt.Errorf("pglog: reading %s's checkpoint: tx %q: %w", s.name, txt, err)
	}
	if !s.cur.less(c) { // checkpoints only move forward
		return 0, fmt.Errorf("%w: %s checkpoint at tx %d position %d, cursor at tx %d position %d", ErrOrder, s.name, c.tx, c.pos, s.cur.tx, s.cur.pos)
	}
	if err := s.restore(body); err != nil {
		return 0, fmt.Errorf("%w: %s checkpoint at tx %d: %w", ErrApply, s.name, c.tx, err)
	}
	passed := int(count - s.count)
	s.mu.Lock()
	s.cur, s.count, s.at = c, count, time.Now()
	s.mu.Unlock()
	if s.snap != "" {
		if err := s.keepLocal(body); err != nil {
			return passed, err
		}
	}
	return passed, nil
}

// read takes the next rows after the cursor, under the watermark; jump
// is true, and rows empty, when a checkpoint lies ahead of the cursor.
func (s *Stream) read(ctx context.Context) (rows []row, jump bool, err error) {
	rs, err := s.db.pool.Query(ctx, s.db.sql.read, s.name, strconv.FormatUint(s.cur.tx, 10), s.cur.pos, batch)
	if err != nil {
		return nil, false, fmt.Errorf("pglog: reading %s: %w", s.name, err)
	}
	defer rs.Close()
	var out []row
	for rs.Next() {
		var r row
		var txt string
		var typ int16
		if err := rs.Scan(&txt, &r.at.pos, &r.id, &typ, &r.rec.Payload); err != nil {
			return nil, false, fmt.Errorf("pglog: reading %s: %w", s.name, err)
		}
		if typ == -1 {
			return nil, true, nil
		}
		if r.at.tx, err = strconv.ParseUint(txt, 10, 64); err != nil {
			return nil, false, fmt.Errorf("pglog: reading %s: tx %q: %w", s.name, txt, err)
		}
		r.rec.Type, r.at.id = byte(typ), r.id
		// The order every replica relies on, checked: a row at or before
		// the one ahead of it is a broken read, not a record to apply.
		prev := s.cur
		if len(out) > 0 {
			prev = out[len(out)-1].at
		}
		if !prev.less(r.at) {
			return nil, false, fmt.Errorf("%w: %s read tx %d position %d after tx %d position %d", ErrOrder, s.name, r.at.tx, r.at.pos, prev.tx, prev.pos)
		}
		out = append(out, r)
	}
	if err := rs.Err(); err != nil {
		return nil, false, fmt.Errorf("pglog: reading %s: %w", s.name, err)
	}
	return out, false, nil
}
