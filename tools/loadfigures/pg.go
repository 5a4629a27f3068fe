package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/internal/pgtest"
)

type pgResult struct {
	rows      int
	copy      time.Duration
	table     int64 // bytes, pg_total_relation_size
	funnel    time.Duration
	reached   []int
	serverVer string
}

// The funnel in SQL, as analysts write it: each person's first lead (ties
// by event ID, as the store orders events), the first test drive after it
// within the window, a contract after that test drive within the window.
const funnelSQL = `
WITH f AS (
  SELECT DISTINCT ON (crm) crm, time AS t1, id AS id1 FROM events WHERE type = 'lead' ORDER BY crm, time, id),
s AS (
  SELECT DISTINCT ON (f.crm) f.crm, f.t1, e.time AS t2, e.id AS id2 FROM f JOIN events e
    ON e.crm = f.crm AND e.type = 'test_drive' AND (e.time, e.id) > (f.t1, f.id1) AND e.time <= f.t1 + interval '30 days'
  ORDER BY f.crm, e.time, e.id),
c AS (
  SELECT DISTINCT s.crm FROM s JOIN events e
    ON e.crm = s.crm AND e.type = 'contract' AND (e.time, e.id) > (s.t2, s.id2) AND e.time <= s.t1 + interval '30 days')
SELECT (SELECT count(*) FROM f) || ' ' || (SELECT count(*) FROM s) || ' ' || (SELECT count(*) FROM c);`

// loadPostgres starts a throwaway server, COPYs the file into a table of
// its columns (the file sent through psql, COPY FROM STDIN) and counts
// the funnel.
func loadPostgres(ctx context.Context, path string) (pgResult, error) {
	var r pgResult
	srv, err := pgtest.Start()
	if err != nil {
		return r, err
	}
	defer srv.Stop()
	dsn, err := srv.NewDatabase(ctx)
	if err != nil {
		return r, err
	}
	psql := func(sql string) (string, error) {
		out, err := srv.Run(ctx, nil, "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", sql)
		return strings.TrimSpace(string(out)), err
	}
	if r.serverVer, err = psql("SHOW server_version"); err != nil {
		return r, err
	}
	if _, err := psql("CREATE TABLE events (id uuid, time timestamptz, type text, crm text, channel text)"); err != nil {
		return r, err
	}
	f, err := os.Open(path)
	if err != nil {
		return r, err
	}
	defer f.Close()
	t0 := time.Now()
	_, err = srv.RunFrom(ctx, f, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-c", "COPY events FROM STDIN WITH (FORMAT csv, HEADER true)")
	r.copy = time.Since(t0)
	if err != nil {
		return r, err
	}
	if _, err := psql("ANALYZE events"); err != nil {
		return r, err
	}
	out, err := psql("SELECT count(*) || ' ' || pg_total_relation_size('events') FROM events")
	if err != nil {
		return r, err
	}
	if _, err := fmt.Sscan(out, &r.rows, &r.table); err != nil {
		return r, fmt.Errorf("row count %q: %w", out, err)
	}
	t1 := time.Now()
	if out, err = psql("SET work_mem = '256MB'; " + funnelSQL); err != nil {
		return r, err
	}
	r.funnel = time.Since(t1)
	for _, f := range strings.Fields(out) {
		n, err := strconv.Atoi(f)
		if err != nil {
			return r, fmt.Errorf("funnel counts %q", out)
		}
		r.reached = append(r.reached, n)
	}
	return r, nil
}

func (r pgResult) print(w io.Writer) {
	fmt.Fprintf(w, "postgresql %s: COPY of %d rows %.2f s\n", r.serverVer, r.rows, r.copy.Seconds())
	fmt.Fprintf(w, "postgresql: table %.0f MB (%.1f bytes a row)\n", float64(r.table)/1e6, float64(r.table)/float64(r.rows))
	fmt.Fprintf(w, "postgresql: funnel lead → test_drive → contract (first lead, 30 days) %v in %.2f s\n", r.reached, r.funnel.Seconds())
}
