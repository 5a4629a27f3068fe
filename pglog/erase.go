package pglog

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/throughline/throughline/internal/journal"
)

// Erase takes the value tagged tag out of the log, after this process's
// store forgot it (identity's Forget appends and applies the erasure
// record first; journey follows the graph's erasure); its
// steps run in one transaction, so that a reader sees all of them or none:
//  1. guard: the tag joins its shard of the erased table, whose row is
//     locked for update. An append holding the value locks the row FOR
//     SHARE, so the two take turns: an append before is committed, and
//     found by step 2; an append after reads the tag, and writes its
//     record without the value.
//  2. rewrite: every record tagged tag is rewritten through the store's
//     Rewrite and loses the tag.
//  3. checkpoint: when a row was rewritten, state (the store's state
//     after the erasure) is kept with its place (this process's cursor)
//     as the stream's checkpoint. A process behind it restores it instead
//     of applying the records before it, which may have been rewritten;
//     records after it that held the value apply as they did (the erased
//     value is dropped from them on apply).
//
// Local snapshots of other processes lose the value when they apply the
// erasure record (their next Pull).
func (s *Stream) Erase(ctx context.Context, tag journal.Tag, state func() ([]byte, error)) error {
	for range 10 {
		err := s.erase(ctx, tag, state)
		if !errors.Is(err, errBehind) {
			if err != nil {
				return fmt.Errorf("pglog: erasing from %s: %w", s.name, err)
			}
			return nil
		}
		// Another process kept a checkpoint ahead of this one (whose state
		// may hold the value): catch up, then keep this state in its place.
		if _, err := s.Pull(ctx); err != nil {
			return err
		}
	}
	return fmt.Errorf("pglog: erasing from %s: %w", s.name, errBehind)
}

// errBehind is erase's report of a checkpoint ahead of the cursor.
var errBehind = errors.New("a checkpoint lies ahead of this process")

func (s *Stream) erase(ctx context.Context, tag journal.Tag, state func() ([]byte, error)) error {
	if s.rewrite == nil {
		return fmt.Errorf("the store gave no way to rewrite its records")
	}
	if s.db.beforeErase != nil {
		s.db.beforeErase()
	}
	tx, err := s.db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	t := uuid.UUID(tag)
	if _, err := tx.Exec(ctx, s.db.sql.guard, s.name, int16(tag[0]), t); err != nil {
		return err
	}
	// The checkpoint, locked: one ahead of this process is caught up with
	// first; one at or behind it is replaced below, as its state may hold
	// the value.
	var cpTx string
	var cpPos int64
	kept := true
	err = tx.QueryRow(ctx, s.db.sql.lockCheckpoint, s.name).Scan(&cpTx, &cpPos)
	if errors.Is(err, pgx.ErrNoRows) {
		kept, err = false, nil
	}
	if err != nil {
		return err
	}
	if kept {
		x, _ := strconv.ParseUint(cpTx, 10, 64)
		if s.cur.less(cursor{tx: x, pos: cpPos}) {
			return errBehind
		}
	}
	type held struct {
		id      uuid.UUID
		typ     int16
		payload []byte
	}
	var rows []held
	rs, err := tx.Query(ctx, s.db.sql.tagged, s.name, t)
	if err != nil {
		return err
	}
	for rs.Next() {
		var h held
		if err := rs.Scan(&h.id, &h.typ, &h.payload); err != nil {
			rs.Close()
			return err
		}
		rows = append(rows, h)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	for _, h := range rows {
		p, err := s.rewrite(journal.Record{Type: byte(h.typ), Payload: h.payload}, tag)
		if err != nil {
			return fmt.Errorf("rewriting record %s: %w", h.id, err)
		}
		if _, err := tx.Exec(ctx, s.db.sql.rewrite, h.id, p, t); err != nil {
			return err
		}
	}
	// No row held it and no checkpoint exists: nothing before the cursor
	// changed, and no state in the database holds it.
	if len(rows) > 0 || kept {
		body, err := state()
		if err != nil {
			return err
		}
		if body == nil {
			body = []byte{} // an empty state, not NULL
		}
		if _, err := tx.Exec(ctx, s.db.sql.keep, s.name, strconv.FormatUint(s.cur.tx, 10), s.cur.pos, s.count, body); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

var _ journal.SharedBackend = (*Stream)(nil)
