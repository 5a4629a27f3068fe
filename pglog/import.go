package pglog

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/throughline/throughline/internal/journal"
)

// Import appends records in bulk, in one transaction: COPY into a
// temporary table, then INSERT … ON CONFLICT DO NOTHING into the log, so
// records the log holds already are kept once. It returns how many were
// new. Nothing is applied here; every process, this one included, applies
// them on its next Pull, in the log's order. Keep batches to some
// thousands of records: the transaction holds the watermark back while it
// runs.
func (s *Stream) Import(ctx context.Context, recs []journal.Record) (int64, error) {
	tx, err := s.db.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("pglog: import into %s: %w", s.name, err)
	}
	defer tx.Rollback(ctx)
	n, err := s.importTx(ctx, tx, recs)
	if err != nil {
		return 0, fmt.Errorf("pglog: import into %s: %w", s.name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("pglog: import into %s: %w", s.name, err)
	}
	return n, nil
}

func (s *Stream) importTx(ctx context.Context, tx pgx.Tx, recs []journal.Record) (int64, error) {
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE pglog_import (id uuid, type smallint, payload bytea) ON COMMIT DROP`); err != nil {
		return 0, err
	}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(recs) {
			return nil, nil
		}
		r := recs[i]
		i++
		return []any{recordID(s.name, r.Type, r.Payload), int16(r.Type), r.Payload}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"pglog_import"}, []string{"id", "type", "payload"}, src); err != nil {
		return 0, err
	}
	// ORDER BY keeps the records' order in their positions; DISTINCT ON
	// drops a record repeated within the batch.
	tag, err := tx.Exec(ctx, `INSERT INTO `+s.db.schema+`.log (id, stream, type, payload)
		SELECT id, $1, type, payload FROM (SELECT DISTINCT ON (id) id, type, payload, ctid FROM pglog_import ORDER BY id, ctid) d
		ORDER BY ctid ON CONFLICT (id) DO NOTHING`, s.name)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.db.channel(), s.name); err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
