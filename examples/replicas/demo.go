package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/population"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/pglog"
)

// demoKey is the erase key both replicas share. A real deployment keeps
// its own secret, the same in every replica (identity.OpenBackend).
var demoKey = []byte("examples/replicas demo erase key")

// A replica is what one backend instance holds: its pool, its stream of
// the log, its graph.
type replica struct {
	name    string
	db      *pglog.DB
	streams []*pglog.Stream // identity, journey, reacher
	g       *identity.Graph
	js      *journey.Store
	rc      *channel.Reacher
	stop    context.CancelFunc
	follow  chan error
}

func openReplica(ctx context.Context, o options, name, dir string) (*replica, error) {
	db, err := pglog.Open(ctx, o.dsn, &pglog.Options{Schema: o.schema, Logger: o.log})
	if err != nil {
		return nil, err
	}
	local := filepath.Join(dir, name)
	r := &replica{name: name, db: db, follow: make(chan error, 1)}
	for _, s := range []string{"identity", "journey", "reacher"} {
		r.streams = append(r.streams, db.Stream(s, local))
	}
	// The graph's own warnings (junk quarantined) are left out of the demo.
	if r.g, err = identity.OpenBackend(ctx, r.streams[0], &identity.Options{EraseKey: demoKey}); err == nil {
		if r.js, err = journey.OpenBackend(ctx, r.streams[1], r.g, nil); err == nil {
			r.rc, err = channel.OpenReacherBackend(ctx, r.streams[2], reachOptions(r.g))
		}
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	fctx, stop := context.WithCancel(ctx)
	r.stop = stop
	go func() { r.follow <- db.Follow(fctx, 200*time.Millisecond, r.pull) }()
	return r, nil
}

func reachOptions(g *identity.Graph) *channel.ReachOptions {
	return &channel.ReachOptions{Preference: []string{"email", "sms"}, Graph: g}
}

// pull is what a replica does on every wake-up: the graph's records, its
// Changes followed by the journey store and the Reacher, then their own
// records.
func (r *replica) pull(ctx context.Context) (int, error) {
	chs, err := r.g.PullChanges(ctx)
	for _, ch := range chs {
		r.js.Follow(ch)
		err = errors.Join(err, r.rc.Follow(r.g, ch))
	}
	if err != nil {
		return len(chs), err
	}
	n, err := r.js.Pull(ctx)
	if err != nil {
		return len(chs) + n, err
	}
	m, err := r.rc.Pull(ctx)
	return len(chs) + n + m, err
}

func (r *replica) close() error {
	r.stop()
	err := <-r.follow
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	err = errors.Join(err, r.g.Close(), r.js.Close(), r.rc.Close())
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
		st, js := r.g.Stats(), r.js.Stats()
		fmt.Fprintf(w, "replica %s: %d observations, %d identifiers, %d profiles, %d events\n", r.name, st.Observations, st.Identifiers, st.Profiles, js.Events)
	}
	same, total := compare(rs, obs)
	agree = same == total
	fmt.Fprintf(w, "agree: %d of %d identifiers resolve to the same profile ID on both replicas\n", same, total)
	sameP, profiles := compareProfiles(rs, obs[len(obs)-1].Time)
	agree = agree && sameP == profiles
	fmt.Fprintf(w, "agree: %d of %d profiles have the same timeline and the same reachability on both replicas\n", sameP, profiles)
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
			var batch []identity.Observation
			flush := func() {
				chs, err := r.g.ObserveBatch(ps)
				if err != nil && !errors.Is(err, identity.ErrDuplicate) {
					errs[i] = errors.Join(errs[i], err)
				}
				for k, ch := range chs {
					errs[i] = errors.Join(errs[i], r.tell(ch, batch[k]))
				}
				ps, batch = ps[:0], batch[:0]
			}
			for j := i; j < len(obs); j += len(rs) {
				p, _ := r.g.Prepare(obs[j])
				ps, batch = append(ps, p), append(batch, obs[j])
				if len(ps) == 200 {
					flush()
				}
			}
			flush()
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// tell gives the journey store and the Reacher what came with an
// observation: a page view, and the email as a contact with a consent.
func (r *replica) tell(ch identity.Change, o identity.Observation) error {
	r.js.Follow(ch)
	err := r.rc.Follow(r.g, ch)
	if ch.Profile.IsZero() {
		return err
	}
	e := journey.Event{ID: uuid.NewSHA1(uuid.NameSpaceOID, o.AppendJSON(nil)), Time: o.Time, Type: journey.PageView, IDs: o.IDs}
	if _, _, err2 := r.js.Add(e); err2 != nil && !errors.Is(err2, journey.ErrNoProfile) {
		err = errors.Join(err, err2)
	}
	for _, id := range o.IDs {
		if id.Kind != identity.Email {
			continue
		}
		err2 := errors.Join(r.rc.SetContact(ch.Profile, "email", id.Value),
			r.rc.RecordConsent(ch.Profile, channel.Consent{Channel: "email", Purpose: "marketing", Status: channel.ConsentGranted, At: o.Time}))
		if !errors.Is(err2, channel.ErrUnknownProfile) {
			err = errors.Join(err, err2)
		}
	}
	return err
}

// settle pulls until neither replica is behind the log.
func settle(ctx context.Context, rs [2]*replica) error {
	deadline := time.Now().Add(time.Minute)
	for {
		behind := int64(0)
		for _, r := range rs {
			if _, err := r.pull(ctx); err != nil {
				return err
			}
			for _, s := range r.streams {
				st, err := s.Status(ctx)
				if err != nil {
					return err
				}
				behind += st.Behind
			}
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

// compareProfiles compares, for every profile of replica a, its timeline
// and its reachability for marketing at now on both replicas.
func compareProfiles(rs [2]*replica, now time.Time) (same, total int) {
	for p := range rs[0].g.Profiles() {
		total++
		ta, tb := rs[0].js.Timeline(p), rs[1].js.Timeline(p)
		ra, rb := fmt.Sprint(rs[0].rc.Reach(p, "marketing", now)), fmt.Sprint(rs[1].rc.Reach(p, "marketing", now))
		if slices.EqualFunc(ta, tb, func(x, y journey.Event) bool { return x.ID == y.ID }) && ra == rb {
			same++
		}
	}
	return same, total
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
