package pglog

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/throughline/throughline/internal/journal"
)

// AppendBatch appends recs in one transaction (tags[i] are recs[i]'s; nil
// for none): COPY into a temporary table, then INSERT … ON CONFLICT DO
// NOTHING into the log. The records share one transaction ID, so they
// are contiguous in the log's order; AppendBatch applies what other
// processes put ahead of them, as Append does, and reports which the
// caller applies now: false for a record the log held already (or one
// repeated in the batch), which the log's order applies. Keep batches to
// some thousands: the transaction holds the watermark back while it runs.
func (s *Stream) AppendBatch(recs []journal.Record, tags [][]journal.Tag) ([]bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.db.opts.VisibleTimeout)
	defer cancel()
	mine := make([]bool, len(recs))
	b := batchOf(s.name, recs, tags)
	if len(recs) == 0 {
		return mine, nil
	}
	ours := map[uuid.UUID]int{} // inserted here: id → index in recs
	var last cursor
	err := s.db.inTx(ctx, func(tx pgx.Tx) error {
		clear(ours)
		var err error
		last, err = s.insertBatch(ctx, tx, b, ours)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("pglog: appending a batch to %s: %w", s.name, err)
	}
	if len(ours) == 0 {
		return mine, nil
	}
	err = s.through(ctx, func(id uuid.UUID) bool { _, ok := ours[id]; return ok }, last, len(ours))
	if err == journal.ErrDuplicate { // a checkpoint past the batch: applied in its state
		return mine, nil
	}
	if err != nil {
		return nil, err
	}
	for _, i := range ours {
		mine[i] = true
	}
	return mine, nil
}

// An outgoing batch is records ready for COPY.
type outgoing struct {
	recs []journal.Record
	ids  []uuid.UUID
	tags [][]uuid.UUID
}

func batchOf(stream string, recs []journal.Record, tags [][]journal.Tag) *outgoing {
	b := &outgoing{recs: slices.Clone(recs), ids: make([]uuid.UUID, len(recs)), tags: make([][]uuid.UUID, len(recs))}
	for i, r := range recs {
		b.ids[i] = recordID(stream, r.Type, r.Payload) // of the record as given, so a retry finds it
		b.tags[i] = []uuid.UUID{}
		if i < len(tags) {
			b.tags[i], _ = tagArgs(tags[i])
		}
	}
	return b
}

// insertBatch writes the batch in tx and returns the place of its last
// record; ours gets the records inserted (not in the log already).
func (s *Stream) insertBatch(ctx context.Context, tx pgx.Tx, b *outgoing, ours map[uuid.UUID]int) (cursor, error) {
	if err := s.stripErased(ctx, tx, b); err != nil {
		return cursor{}, err
	}
	if _, err := tx.Exec(ctx, `CREATE TEMP TABLE pglog_batch (ord int, id uuid, type smallint, payload bytea, tags uuid[]) ON COMMIT DROP`); err != nil {
		return cursor{}, err
	}
	i := 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		if i == len(b.recs) {
			return nil, nil
		}
		r := b.recs[i]
		i++
		return []any{int32(i - 1), b.ids[i-1], int16(r.Type), r.Payload, b.tags[i-1]}, nil
	})
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"pglog_batch"}, []string{"ord", "id", "type", "payload", "tags"}, src); err != nil {
		return cursor{}, err
	}
	// ORDER BY ord keeps the batch's order in the positions; DISTINCT ON
	// drops a record repeated within it.
	rs, err := tx.Query(ctx, `INSERT INTO `+s.db.schema+`.log (id, stream, type, payload, tags)
		SELECT id, $1, type, payload, tags FROM (SELECT DISTINCT ON (id) * FROM pglog_batch ORDER BY id, ord) d
		ORDER BY ord ON CONFLICT (id) DO NOTHING RETURNING id, tx::text, position`, s.name)
	if err != nil {
		return cursor{}, err
	}
	at := make(map[uuid.UUID]int, len(b.ids))
	for j := len(b.ids) - 1; j >= 0; j-- {
		at[b.ids[j]] = j // the first of repeats
	}
	var last cursor
	for rs.Next() {
		var id uuid.UUID
		var txt string
		var c cursor
		if err := rs.Scan(&id, &txt, &c.pos); err != nil {
			rs.Close()
			return cursor{}, err
		}
		if c.tx, err = strconv.ParseUint(txt, 10, 64); err != nil {
			rs.Close()
			return cursor{}, err
		}
		ours[id] = at[id]
		if c.id = id; last.less(c) {
			last = c
		}
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return cursor{}, err
	}
	_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, s.db.channel(), s.name)
	return last, err
}

// stripErased locks the erased shards the batch's tags fall in (FOR
// SHARE, till the transaction ends: an erasure waits, or has committed
// and is read) and takes every erased value out of the records holding
// it.
func (s *Stream) stripErased(ctx context.Context, tx pgx.Tx, b *outgoing) error {
	var shards []int16
	for _, ts := range b.tags {
		for _, t := range ts {
			shards = append(shards, int16(t[0]))
		}
	}
	if len(shards) == 0 {
		return nil
	}
	slices.Sort(shards)
	shards = slices.Compact(shards)
	var erased []uuid.UUID
	if err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(t), '{}') FROM (SELECT tags FROM `+s.db.schema+`.erased
		WHERE stream = $1 AND shard = ANY($2) ORDER BY shard FOR SHARE) g, unnest(g.tags) t`, s.name, shards).Scan(&erased); err != nil {
		return err
	}
	if len(erased) == 0 {
		return nil
	}
	gone := make(map[uuid.UUID]bool, len(erased))
	for _, t := range erased {
		gone[t] = true
	}
	for i, ts := range b.tags {
		var hit []uuid.UUID
		for _, t := range ts {
			if gone[t] {
				hit = append(hit, t)
			}
		}
		if len(hit) == 0 {
			continue
		}
		tags := make([]journal.Tag, len(ts))
		for k, t := range ts {
			tags[k] = journal.Tag(t)
		}
		p, rest, err := s.strip(b.recs[i].Type, b.recs[i].Payload, tags, hit)
		if err != nil {
			return err
		}
		b.recs[i].Payload = p
		b.tags[i], _ = tagArgs(rest)
	}
	return nil
}
