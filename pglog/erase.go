package pglog

import (
	"context"
	"fmt"
	"strconv"

	"github.com/google/uuid"
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
func (s *Stream) Erase(ctx context.Context, tag journal.Tag, state []byte) error {
	if err := s.erase(ctx, tag, state); err != nil {
		return fmt.Errorf("pglog: erasing from %s: %w", s.name, err)
	}
	return nil
}

func (s *Stream) erase(ctx context.Context, tag journal.Tag, state []byte) error {
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
	// No row held it (another process rewrote them first): nothing before
	// the cursor changed, so no checkpoint is needed.
	if len(rows) > 0 {
		if state == nil {
			state = []byte{} // an empty state, not NULL
		}
		if _, err := tx.Exec(ctx, s.db.sql.keep, s.name, strconv.FormatUint(s.cur.tx, 10), s.cur.pos, s.count, state); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

var _ journal.SharedBackend = (*Stream)(nil)
