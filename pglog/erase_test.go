package pglog

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/disktest"
	"github.com/throughline/throughline/internal/journal"
	"github.com/throughline/throughline/internal/population"
	"github.com/throughline/throughline/journey"
)

// TestErasure: Forget on one replica takes the value out of every replica,
// their local snapshots, and the database's rows (checked with a query);
// the same observation appended again, or a new one holding the value, does
// not bring it back; a fresh replica, and one restarted from a snapshot
// taken before the erasure, end where the others are.
func TestErasure(t *testing.T) {
	db, _ := newDB(t, nil)
	ctx := context.Background()
	tmp := t.TempDir()
	open := func(dir string) *identity.Graph {
		t.Helper()
		g, err := identity.OpenBackend(ctx, db.Stream("identity", dir), graphOptions())
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	dirA, dirB, dirC := filepath.Join(tmp, "a"), filepath.Join(tmp, "b"), filepath.Join(tmp, "c")
	a, b, c, d := open(dirA), open(dirB), open(dirC), open("")
	ref := mustNew(t)

	gen := population.New(population.Config{People: 150, Seed: 7, Traps: population.Realistic()})
	var all []identity.Observation
	seen := map[string]bool{}
	for o := range gen.Observations() {
		if key := string(o.Observation.AppendJSON(nil)); !seen[key] {
			seen[key] = true
			all = append(all, o.Observation)
		}
	}
	observe := func(g *identity.Graph, o identity.Observation) {
		t.Helper()
		_, err := g.Observe(o)
		_, rerr := ref.Observe(o)
		if (err == nil) != (rerr == nil) {
			t.Fatalf("replica: %v, in-process graph: %v", err, rerr)
		}
	}
	// The value to erase: an email that some observation holds with other
	// identifiers; another observation holds it alone.
	const email = "erase.me@example.org"
	base := all[0].Time
	withOthers := identity.Observation{Time: base, Source: "web_form", Trust: identity.TrustAsserted,
		IDs: []identity.ID{{Kind: identity.Email, Value: email}, {Kind: identity.Phone, Value: "+7 916 555-01-23"}}}
	alone := identity.Observation{Time: base.Add(time.Hour), Source: "email_click", Trust: identity.TrustAsserted,
		IDs: []identity.ID{{Kind: identity.Email, Value: email}}}
	// Journey stores on A and B: the events of the forms hold the email too.
	openJ := func(g *identity.Graph, dir string) *journey.Store {
		t.Helper()
		js, err := journey.OpenBackend(ctx, db.Stream("journey", dir), g, nil)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	jA, jB := openJ(a, dirA), openJ(b, dirB)
	observe(a, withOthers)
	if _, _, err := jA.Add(eventOf(withOthers)); err != nil {
		t.Fatal(err)
	}
	// And keyed Reachers: the email as a contact, and a consent given
	// through its profile.
	rA, err := channel.OpenReacherBackend(ctx, db.Stream("reacher", dirA), reachOptions(a))
	if err != nil {
		t.Fatal(err)
	}
	rB, err := channel.OpenReacherBackend(ctx, db.Stream("reacher", dirB), reachOptions(b))
	if err != nil {
		t.Fatal(err)
	}
	pa, _ := a.Resolve(identity.Email, email)
	if err := errors.Join(rA.SetContact(pa, "email", email),
		rA.RecordConsent(pa, channel.Consent{Channel: "email", Purpose: "marketing", Status: channel.ConsentGranted, At: base})); err != nil {
		t.Fatal(err)
	}
	for i, o := range all {
		observe([]*identity.Graph{a, b}[i%2], o)
		if i == len(all)/2 {
			observe(b, alone)
			if _, _, err := jB.Add(eventOf(alone)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := b.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	if err := b.Snapshot(ctx); err != nil { // B's local snapshot holds the value
		t.Fatal(err)
	}
	stale := filepath.Join(tmp, "stale")
	disktest.Copy(t, dirB, stale)
	if !disktest.Holds(t, stale, email) {
		t.Fatal("the stale snapshot does not hold the value: the check after the restart checks nothing")
	}
	if !valueIn(t, db, email) {
		t.Fatal("the log does not hold the value before the erasure: the query checks nothing")
	}

	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	// C applies the erasure record before A rewrites the rows, so it
	// takes the value off its disk itself.
	db.beforeErase = func() {
		if _, err := c.Pull(ctx); err != nil {
			t.Error(err)
		}
	}
	forget, err := a.Forget(context.Background(), identity.Email, email)
	if err != nil {
		t.Fatal(err)
	}
	jA.Follow(forget)
	if _, err := jA.Pull(ctx); err != nil { // rewrites the journey's rows
		t.Fatal(err)
	}
	if err := rA.Follow(a, forget); err != nil {
		t.Fatal(err)
	}
	if _, err := rA.Pull(ctx); err != nil { // and the Reacher's
		t.Fatal(err)
	}
	if _, err := ref.Forget(context.Background(), identity.Email, email); err != nil {
		t.Fatal(err)
	}
	// A replica that has not pulled the erasure appends the value again.
	later := identity.Observation{Time: base.Add(48 * time.Hour), Source: "web_form", Trust: identity.TrustAsserted,
		IDs: []identity.ID{{Kind: identity.Email, Value: email}, {Kind: identity.Cookie, Value: "GA1.2.555.777"}}}
	observe(b, later)
	// And one appends it in a batch.
	inBatch := identity.Observation{Time: base.Add(72 * time.Hour), Source: "crm_import", Trust: identity.TrustAsserted,
		IDs: []identity.ID{{Kind: identity.Email, Value: email}, {Kind: identity.Phone, Value: "+7 916 555-01-99"}}}
	p, err := d.Prepare(inBatch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ObserveBatch([]identity.Prepared{p}); err != nil {
		t.Fatal(err)
	}
	if _, err := ref.Observe(inBatch); err != nil {
		t.Fatal(err)
	}
	observe(b, withOthers) // again: kept without the value
	if _, err := a.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	if valueIn(t, db, email) {
		t.Fatal("a row of the log, or the checkpoint, still holds the erased value")
	}
	for name, dir := range map[string]string{"a": dirA, "b": dirB, "c": dirC} {
		if disktest.Holds(t, dir, email) {
			t.Errorf("replica %s's local snapshot still holds the erased value", name)
		}
	}

	if _, err := follower(b, jB, rB)(ctx); err != nil {
		t.Fatal(err)
	}
	if valueIn(t, db, email) {
		t.Fatal("a row of the journey's log still holds the erased value")
	}
	fresh := open("")        // replays from the checkpoint
	restarted := open(stale) // its snapshot predates the erasure
	if disktest.Holds(t, stale, email) {
		t.Error("the restarted replica's local snapshot still holds the erased value")
	}
	all = append(all, withOthers, alone, later, inBatch)
	want := dump(ref, all)
	if _, err := c.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	jFresh := openJ(fresh, "")
	if _, err := follower(a, jA, nil)(ctx); err != nil {
		t.Fatal(err)
	}
	wantJ := timelines(a, jA)
	if strings.Contains(wantJ, "events 0 ") {
		t.Fatal("no events: the journey checks check nothing")
	}
	for name, r := range map[string]struct {
		g  *identity.Graph
		js *journey.Store
	}{"a": {a, jA}, "b": {b, jB}, "fresh": {fresh, jFresh}} {
		if got := timelines(r.g, r.js); got != wantJ {
			t.Errorf("journey of replica %s differs from a's: %s", name, firstDiff(got, wantJ))
		}
		for p := range r.g.Profiles() {
			for _, e := range r.js.Timeline(p) {
				if slices.ContainsFunc(e.IDs, func(id identity.ID) bool { return strings.EqualFold(id.Value, email) }) {
					t.Errorf("journey of replica %s still holds the erased email in event %s", name, e.ID)
				}
			}
		}
	}
	pa, _ = a.Resolve(identity.Phone, "+7 916 555-01-23")
	for name, r := range map[string]*channel.Reacher{"a": rA, "b": rB} {
		if got := fmt.Sprint(r.Reach(pa, "marketing", base.Add(time.Hour))); strings.Contains(got, "email: reachable") {
			t.Errorf("replica %s's Reacher still reaches the erased email: %s", name, got)
		}
	}
	for _, dir := range []string{dirA, dirB} {
		if disktest.Holds(t, dir, email) {
			t.Errorf("%s still holds the erased value after the journeys pulled", dir)
		}
	}
	for name, g := range map[string]*identity.Graph{"a": a, "b": b, "c": c, "d": d, "fresh": fresh, "restarted": restarted} {
		if _, err := g.ResolveID(identity.ID{Kind: identity.Email, Value: email}); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("replica %s still resolves the erased email: %v", name, err)
		}
		if got := dump(g, all); got != want {
			t.Errorf("replica %s differs from the in-process graph: %s", name, firstDiff(got, want))
		}
	}
}

// valueIn reports whether any row of the log, or any checkpoint, holds v.
func valueIn(t *testing.T, db *DB, v string) bool {
	t.Helper()
	var n int
	if err := db.pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM `+db.schema+`.log WHERE position($1::bytea IN payload) > 0)
		+ (SELECT count(*) FROM `+db.schema+`.checkpoint WHERE position($1::bytea IN body) > 0)`, []byte(v)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

// TestEraseCatchesUp: a process erasing while another's checkpoint lies
// ahead of it applies up to that checkpoint first, then keeps its own
// state in its place, so no state in the database holds either value.
func TestEraseCatchesUp(t *testing.T) {
	db, _ := newDB(t, nil)
	ctx := context.Background()
	tagOf := func(v string) journal.Tag {
		var tg journal.Tag
		copy(tg[:], v+"................")
		return tg
	}
	type store struct {
		s     *Stream
		items []string
		gone  map[string]bool // erased: dropped from whatever is applied
	}
	open := func() *store {
		st := &store{s: db.Stream("list", ""), gone: map[string]bool{}}
		keep := func(v string) string {
			if st.gone[v] {
				return "-"
			}
			return v
		}
		st.s.UseRewrite(func(r journal.Record, tag journal.Tag) ([]byte, error) {
			if tagOf(string(r.Payload)) == tag {
				return []byte("-"), nil
			}
			return r.Payload, nil
		})
		if _, err := st.s.Open(ctx, func(b []byte) error {
			st.items = nil
			for _, v := range strings.Fields(string(b)) {
				st.items = append(st.items, keep(v))
			}
			return nil
		}, func(r journal.Record) error {
			st.items = append(st.items, keep(string(r.Payload)))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return st
	}
	forget := func(st *store, v string) {
		t.Helper()
		st.gone[v] = true
		for i, it := range st.items {
			if it == v {
				st.items[i] = "-"
			}
		}
		if err := st.s.Erase(ctx, tagOf(v), func() ([]byte, error) { return []byte(strings.Join(st.items, " ")), nil }); err != nil {
			t.Fatal(err)
		}
	}
	a, b := open(), open()
	for _, v := range []string{"anna", "boris", "vera"} {
		if err := a.s.AppendTagged(1, []byte(v), []journal.Tag{tagOf(v)}); err != nil {
			t.Fatal(err)
		}
		a.items = append(a.items, v)
	}
	forget(a, "anna") // a's checkpoint, ahead of b
	forget(b, "boris")
	var body []byte
	if err := db.pool.QueryRow(ctx, `SELECT body FROM `+db.schema+`.checkpoint WHERE stream = 'list'`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if got := string(body); strings.Contains(got, "anna") || strings.Contains(got, "boris") || !strings.Contains(got, "vera") {
		t.Fatalf("the checkpoint holds %q", got)
	}
	if got := strings.Join(open().items, " "); got != "- - vera" {
		t.Fatalf("a fresh reader holds %q", got)
	}
}
