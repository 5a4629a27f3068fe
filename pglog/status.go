package pglog

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// Status is how far a stream's replica is behind the log.
type Status struct {
	Applied int64 // records applied since the start of the log
	// Behind counts the stream's records after the cursor, committed or
	// not yet visible (behind an open transaction's watermark).
	Behind int64
	// LastApplied is when this process last applied a record (zero
	// before the first); Newest is when the newest record behind was
	// written.
	LastApplied, Newest time.Time
	// Holders are the oldest transactions holding an xid, oldest first:
	// the first of them holds the watermark back. A writer that stays
	// open for minutes shows here, with what it runs.
	Holders []Holder
}

// A Holder is a transaction with an xid, from pg_stat_activity.
type Holder struct {
	PID         int32
	Application string
	Client      string
	State       string // "idle in transaction" is the usual culprit
	Since       time.Time
	Query       string // its latest statement, cut at 200 bytes
}

// Status reports the stream's lag. It is safe to call while the stream's
// store is in use.
func (s *Stream) Status(ctx context.Context) (Status, error) {
	s.mu.Lock()
	c, st := s.cur, Status{Applied: s.count, LastApplied: s.at}
	s.mu.Unlock()
	var newest *time.Time
	if err := s.db.pool.QueryRow(ctx, s.db.sql.pending, s.name, strconv.FormatUint(c.tx, 10), c.pos).Scan(&st.Behind, &newest); err != nil {
		return st, fmt.Errorf("pglog: status of %s: %w", s.name, err)
	}
	if newest != nil {
		st.Newest = *newest
	}
	rs, err := s.db.pool.Query(ctx, s.db.sql.holders)
	if err != nil {
		return st, fmt.Errorf("pglog: status of %s: %w", s.name, err)
	}
	defer rs.Close()
	for rs.Next() {
		var h Holder
		if err := rs.Scan(&h.PID, &h.Application, &h.Client, &h.State, &h.Since, &h.Query); err != nil {
			return st, fmt.Errorf("pglog: status of %s: %w", s.name, err)
		}
		st.Holders = append(st.Holders, h)
	}
	return st, rs.Err()
}
