package pglog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/throughline/throughline/internal/pgtest"
)

// server is the throwaway PostgreSQL server of this test binary, or nil
// with noServer saying why.
var (
	server   *pgtest.Server
	noServer error
)

func TestMain(m *testing.M) {
	if os.Getenv(envReplica) != "" { // a replica process of TestReplicasConverge
		os.Exit(replicaMain())
	}
	var err error
	server, err = pgtest.Start()
	if err != nil {
		noServer = err
		if !errors.Is(err, pgtest.ErrNoPostgres) {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1) // binaries there, and the server did not start: a failure
		}
	}
	code := m.Run()
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// newDB opens a fresh database on the test server, or skips.
func newDB(tb testing.TB, opts *Options) (*DB, string) {
	tb.Helper()
	if server == nil {
		tb.Skipf("no PostgreSQL server: %v", noServer)
	}
	ctx := context.Background()
	dsn, err := server.NewDatabase(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := Open(ctx, dsn, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return db, dsn
}
