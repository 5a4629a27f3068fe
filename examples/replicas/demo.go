package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/population"
	"github.com/throughline/throughline/pglog"
)

// demoKey is the erase key both replicas share. A real deployment keeps
// its own secret, the same in every replica (identity.OpenBackend).
var demoKey = []byte("examples/replicas demo erase key")

// A replica is what one backend instance holds: its pool, its stream of
// the log, its graph.
type replica struct {
	name   string
	db     *pglog.DB
	stream *pglog.Stream
	g      *identity.Graph
	stop   context.CancelFunc
	follow chan error
}

func openReplica(ctx context.Context, o options, name, dir string) (*replica, error) {
	db, err := pglog.Open(ctx, o.dsn, &pglog.Options{Schema: o.schema, Logger: o.log})
	if err != nil {
		return nil, err
	}
	r := &replica{name: name, db: db, stream: db.Stream("identity", filepath.Join(dir, name)), follow: make(chan error, 1)}
	// The graph's own warnings (junk quarantined) are left out of the demo.
	if r.g, err = identity.OpenBackend(ctx, r.stream, &identity.Options{EraseKey: demoKey}); err != nil {
		db.Close()
		return nil, err
	}
	fctx, stop := context.WithCancel(ctx)
	r.stop = stop
	go func() { r.follow <- db.Follow(fctx, 200*time.Millisecond, r.g.Pull) }()
	return r, nil
}

func (r *replica) close() error {
	r.stop()
	err := <-r.follow
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	err = errors.Join(err, r.g.Close())
	r.db.Close()
	return err
}

// demo runs the flow and reports whether the replicas agreed throughout.
func demo(ctx context.Context, o options, w io.Writer) (agree bool, err error) {
	if o.reset {
		if err := dropSchema(ctx, o.dsn, o.schema); err != nil {
			return false, err
		}
	}
	dir := o.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "replicas-"); err != nil {
			return false, err
		}
		defer os.RemoveAll(dir)
	}
	var rs [2]*replica
	for i, name := range []string{"a", "b"} {
		if rs[i], err = openReplica(ctx, o, name, dir); err != nil {
			return false, err
		}
		defer func() { err = errors.Join(err, rs[i].close()) }()
	}
	obs := generate(o)
	if err := appendHalves(rs, obs); err != nil {
		return false, err
	}
	if err := settle(ctx, rs); err != nil {
		return false, err
	}
	for _, r := range rs {
		st := r.g.Stats()
		fmt.Fprintf(w, "replica %s: %d observations, %d identifiers, %d profiles\n", r.name, st.Observations, st.Identifiers, st.Profiles)
	}
	same, total := compare(rs, obs)
	agree = same == total
	fmt.Fprintf(w, "agree: %d of %d identifiers resolve to the same profile ID on both replicas\n", same, total)
	ok, err := erase(ctx, o, rs, obs, w)
	return agree && ok, err
}

func dropSchema(ctx context.Context, dsn, schema string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, `DROP SCHEMA IF EXISTS `+pgx.Identifier{schema}.Sanitize()+` CASCADE`)
	return err
}

// generate is a dealer group's observations, the ones the graph takes.
func generate(o options) []identity.Observation {
	check, _ := identity.New(&identity.Options{EraseKey: demoKey})
	var out []identity.Observation
	for lo := range population.New(population.Config{People: o.people, Seed: o.seed, Traps: population.Realistic()}).Observations() {
		if _, err := check.Prepare(lo.Observation); err == nil {
			out = append(out, lo.Observation)
		}
	}
	return out
}

// appendHalves has the replicas append alternate observations at once,
// in batches of 200.
func appendHalves(rs [2]*replica, obs []identity.Observation) error {
	errs := make([]error, len(rs))
	var wg sync.WaitGroup
	for i, r := range rs {
		wg.Go(func() {
			var ps []identity.Prepared
			flush := func() {
				if _, err := r.g.ObserveBatch(ps); err != nil && !errors.Is(err, identity.ErrDuplicate) {
					errs[i] = errors.Join(errs[i], err)
				}
				ps = ps[:0]
			}
			for j := i; j < len(obs); j += len(rs) {
				p, _ := r.g.Prepare(obs[j])
				if ps = append(ps, p); len(ps) == 200 {
					flush()
				}
			}
			flush()
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// settle pulls until neither replica is behind the log.
func settle(ctx context.Context, rs [2]*replica) error {
	deadline := time.Now().Add(time.Minute)
	for {
		behind := int64(0)
		for _, r := range rs {
			if _, err := r.g.Pull(ctx); err != nil {
				return err
			}
			st, err := r.stream.Status(ctx)
			if err != nil {
				return err
			}
			behind += st.Behind
		}
		if behind == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the replicas are still %d records behind after a minute", behind)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// compare resolves every identifier of obs on both replicas and counts
// those with the same answer.
func compare(rs [2]*replica, obs []identity.Observation) (same, total int) {
	seen := map[identity.ID]bool{}
	for _, o := range obs {
		for _, raw := range o.IDs {
			id, err := rs[0].g.Normalize(raw.Kind, raw.Value)
			if err != nil || seen[id] {
				continue
			}
			seen[id] = true
			total++
			pa, ea := rs[0].g.Resolve(id.Kind, id.Value)
			pb, eb := rs[1].g.Resolve(id.Kind, id.Value)
			if pa == pb && (ea == nil) == (eb == nil) {
				same++
			}
		}
	}
	return same, total
}
