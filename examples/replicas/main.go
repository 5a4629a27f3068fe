// Command replicas runs the identity, journey and reach flow on two
// replicas sharing one PostgreSQL database, as two instances of a dealer
// backend behind a load balancer do, and prints whether they agree.
//
//	go run . -pg 'postgres://user:pass@127.0.0.1:5432/dealer?sslmode=disable'
//	go run . -pg "$DSN" -people 20000 -seed 7 -schema replicas_demo
//
// Each replica opens its own connection pool (pglog.Open), its own graph,
// journey store and keyed Reacher over the log (identity.OpenBackend,
// journey.OpenBackend, channel.OpenReacherBackend), follows the other
// (pglog's Follow: NOTIFY wake-ups and polling; the graph's Changes go to
// the journey store and the Reacher), and takes half of a generated dealer
// group's observations, in batches, at the same time as the other, with a
// page view for each and the emails as contacts with consents. Then:
//   - every identifier must resolve to the same profile ID on both;
//   - every profile must have the same timeline and reachability on both;
//   - replica a forgets one customer's email: replica b must stop resolving
//     it, and no row of the database may still hold it (checked with a
//     query over every stream and checkpoint);
//   - the same form appended again on replica b must not bring it back.
//
// It prints what each replica holds, the checks and their outcome, and exits
// 1 when the replicas disagree, 2 on bad flags, and 1 when the database
// cannot be reached. The log's tables live in -schema (created if needed);
// -reset drops that schema first, so each run starts from an empty log.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command, for main and the tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replicas", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.dsn, "pg", "", "PostgreSQL DSN (libpq URL or key=value); required")
	fs.StringVar(&o.schema, "schema", "throughline_replicas", "schema that holds the log")
	fs.BoolVar(&o.reset, "reset", true, "drop the schema first, so the run starts from an empty log")
	fs.IntVar(&o.people, "people", 2000, "people in the generated dealer group")
	fs.Uint64Var(&o.seed, "seed", 1, "generator seed")
	fs.StringVar(&o.dir, "dir", "", "directory for the replicas' local snapshots (default: a temporary one)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := o.check(); err != nil {
		fmt.Fprintln(stderr, "replicas:", err)
		return 2
	}
	o.log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	agree, err := demo(ctx, o, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "replicas:", err)
		return 1
	}
	if !agree {
		return 1
	}
	return 0
}

type options struct {
	dsn, schema, dir string
	reset            bool
	people           int
	seed             uint64
	log              *slog.Logger
}

var errFlags = errors.New("bad flags")

func (o options) check() error {
	switch {
	case o.dsn == "":
		return fmt.Errorf("%w: -pg DSN is required, for example -pg 'postgres://postgres@127.0.0.1:5432/dealer?sslmode=disable'", errFlags)
	case o.people < 10 || o.people > 1_000_000:
		return fmt.Errorf("%w: -people %d: want 10 to 1,000,000", errFlags, o.people)
	case o.schema == "":
		return fmt.Errorf("%w: -schema is empty", errFlags)
	}
	return nil
}
