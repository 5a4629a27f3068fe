package pglog

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/pgtest"
	"github.com/throughline/throughline/internal/population"
)

// observations returns n distinct observations of a generated population,
// each with every identifier valid.
func observations(seed uint64, n int) []identity.Observation {
	gen := population.New(population.Config{People: n, Seed: seed, Traps: population.Realistic()})
	var out []identity.Observation
	seen := map[string]bool{}
	check, _ := identity.New(graphOptions())
	for o := range gen.Observations() {
		key := string(o.Observation.AppendJSON(nil))
		if _, err := check.Prepare(o.Observation); err == nil && !seen[key] && len(out) < n {
			seen[key] = true
			out = append(out, o.Observation)
		}
	}
	return out
}

// observeAll feeds obs to g in batches and to ref one by one.
func observeAll(t *testing.T, g, ref *identity.Graph, obs []identity.Observation) {
	t.Helper()
	var ps []identity.Prepared
	for _, o := range obs {
		p, err := g.Prepare(o)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
		if _, err := ref.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := g.ObserveBatch(ps); err != nil {
		t.Fatal(err)
	}
}

// xmax is the next transaction ID of the database at dsn's cluster.
func xmax(t *testing.T, db *DB) uint64 {
	t.Helper()
	var txt string
	if err := db.pool.QueryRow(context.Background(), `SELECT pg_snapshot_xmax(pg_current_snapshot())::text`).Scan(&txt); err != nil {
		t.Fatal(err)
	}
	x, _ := strconv.ParseUint(txt, 10, 64)
	return x
}

// TestRestoreIntoNewCluster: a log dumped with pg_dump from one cluster
// and restored with pg_restore into a younger one (fewer transactions
// behind it) is renumbered at Open under a new log ID; a replica that kept
// a local snapshot from the old cluster replays, so it sees what the new
// cluster's replicas append, and every replica ends where one in-process
// graph fed the same records does.
func TestRestoreIntoNewCluster(t *testing.T) {
	old, _ := newDB(t, nil)
	ctx := context.Background()
	young, err := pgtest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer young.Stop()
	dsn2, err := young.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	probe, err := Open(ctx, dsn2, &Options{Schema: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	for x := xmax(t, probe) + 200; xmax(t, old) < x; { // the old cluster is older in transactions
		if _, err := old.pool.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
			t.Fatal(err)
		}
	}
	probe.Close()

	dirA := filepath.Join(t.TempDir(), "a")
	a, err := identity.OpenBackend(ctx, old.Stream("identity", dirA), graphOptions())
	if err != nil {
		t.Fatal(err)
	}
	ref := mustNew(t)
	obs := observations(21, 300)
	observeAll(t, a, ref, obs[:200])
	forgotten := obs[3].IDs[0]
	for _, g := range []*identity.Graph{a, ref} { // a checkpoint to renumber too
		if _, err := g.Forget(context.Background(), forgotten.Kind, forgotten.Value); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	a.Close()

	archive, err := young.Run(ctx, nil, "pg_dump", "-Fc", "-d", oldDSN(t, old))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := young.Run(ctx, archive, "pg_restore", "--no-owner", "-d", dsn2); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, dsn2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.LogID() == old.LogID() {
		t.Fatal("the restored log kept its ID: replicas would resume cursors of the old cluster")
	}
	a2, err := identity.OpenBackend(ctx, db.Stream("identity", dirA), graphOptions())
	if err != nil {
		t.Fatal(err)
	}
	b, err := identity.OpenBackend(ctx, db.Stream("identity", ""), graphOptions())
	if err != nil {
		t.Fatal(err)
	}
	observeAll(t, b, ref, obs[200:])
	if _, err := a2.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	fresh, err := identity.OpenBackend(ctx, db.Stream("identity", ""), graphOptions())
	if err != nil {
		t.Fatal(err)
	}
	want := dump(ref, obs)
	for name, g := range map[string]*identity.Graph{"a (old snapshot)": a2, "b": b, "fresh": fresh} {
		if got := dump(g, obs); got != want {
			t.Errorf("replica %s differs from the in-process graph: %s", name, firstDiff(got, want))
		}
	}
}

// oldDSN is the DSN a DB was opened with.
func oldDSN(t *testing.T, db *DB) string {
	t.Helper()
	return db.pool.Config().ConnString()
}

// TestRewoundLog: a database restored to an earlier point (the newest
// records lost) no longer holds a replica's last applied record; the
// replica does not resume from its snapshot, which holds the lost
// records, but replays, and ends where a fresh replica does.
func TestRewoundLog(t *testing.T) {
	db, _ := newDB(t, nil)
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a")
	a, err := identity.OpenBackend(ctx, db.Stream("identity", dir), graphOptions())
	if err != nil {
		t.Fatal(err)
	}
	obs := observations(22, 120)
	for _, o := range obs {
		if _, err := a.Observe(o); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	a.Close()
	if _, err := db.pool.Exec(ctx, `DELETE FROM `+db.schema+`.log WHERE (tx, position) IN
		(SELECT tx, position FROM `+db.schema+`.log ORDER BY tx DESC, position DESC LIMIT 20)`); err != nil {
		t.Fatal(err)
	}
	a, err = identity.OpenBackend(ctx, db.Stream("identity", dir), graphOptions())
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := identity.OpenBackend(ctx, db.Stream("identity", ""), graphOptions())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := dump(a, obs), dump(fresh, obs); got != want {
		t.Fatalf("the replica resumed a snapshot holding records the log lost: %s", firstDiff(got, want))
	}
	if a.Stats().Observations != len(obs)-20 {
		t.Fatalf("%d observations, want %d", a.Stats().Observations, len(obs)-20)
	}
}
