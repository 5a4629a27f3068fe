package identity_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/population"
)

func profilesOf(g *identity.Graph) map[identity.ID]identity.ProfileID {
	out := map[identity.ID]identity.ProfileID{}
	for p := range g.Profiles() {
		for id := range g.Keys(p) {
			out[id] = p
		}
	}
	return out
}

// TestRestoreAnswersAsBefore: a realistic population written, snapshotted,
// extended, closed and reopened answers every identifier as before.
func TestRestoreAnswersAsBefore(t *testing.T) {
	dir := t.TempDir()
	g, err := identity.Open(context.Background(), dir, &identity.Options{Sync: identity.SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	gen := population.New(population.Config{People: 5000, Seed: 9, Traps: population.Realistic()})
	i := 0
	for o := range gen.Observations() {
		g.Observe(o.Observation)
		if i++; i == 8000 {
			if err := g.Snapshot(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, wantStats := profilesOf(g), g.Stats()
	g.Close()
	back, err := identity.Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	got := profilesOf(back)
	if len(got) != len(want) || back.Stats().Profiles != wantStats.Profiles || back.Stats().Quarantined != wantStats.Quarantined {
		t.Fatalf("restored %d identifiers %+v; had %d %+v", len(got), back.Stats(), len(want), wantStats)
	}
	for id, p := range want {
		if got[id] != p {
			t.Fatalf("%v: %v after restore, %v before", id, got[id], p)
		}
	}
}

// BenchmarkRetract retracts (as a dry run, so every iteration starts from
// the same graph) one observation of a profile of 1,000 identifiers: the
// profile is rebuilt from its evidence and put back.
func BenchmarkRetract(b *testing.B) {
	g, err := identity.New(&identity.Options{Policy: identity.Policy{SoftLimit: map[identity.Kind]int{identity.Cookie: 2000}}})
	if err != nil {
		b.Fatal(err)
	}
	var last identity.ObservationID
	for i := range 999 {
		ch, err := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{
			{Kind: identity.Email, Value: "anna@mail.ru"}, {Kind: identity.Cookie, Value: fmt.Sprintf("c%d", i)}}})
		if err != nil {
			b.Fatal(err)
		}
		last = ch.Observation
	}
	if n := len(profilesOf(g)); n != 1000 {
		b.Fatalf("%d identifiers", n)
	}
	for b.Loop() {
		if _, err := g.PreviewRetract(last); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshotRestore writes and restores a graph of a population of
// 1M people (3.7M identifiers, 3.5M observations; 100k people with -short),
// reporting seconds for each and the snapshot's size.
func BenchmarkSnapshotRestore(b *testing.B) {
	people := 1_000_000
	if testing.Short() {
		people = 100_000
	}
	dir := b.TempDir()
	g, err := identity.Open(context.Background(), dir, &identity.Options{Sync: identity.SyncNever})
	if err != nil {
		b.Fatal(err)
	}
	var ps []identity.Prepared
	for o := range population.New(population.Config{People: people, Seed: 1}).Observations() {
		p, _ := g.Prepare(o.Observation)
		ps = append(ps, p)
		if len(ps) == 4096 {
			g.ObserveBatch(ps)
			ps = ps[:0]
		}
	}
	g.ObserveBatch(ps)
	st := g.Stats()
	var snap, restore time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := g.Snapshot(context.Background()); err != nil {
			b.Fatal(err)
		}
		snap = time.Since(t0)
		t0 = time.Now()
		back, err := identity.Open(context.Background(), dir, nil)
		if err != nil {
			b.Fatal(err)
		}
		restore = time.Since(t0)
		if back.Stats().Identifiers != st.Identifiers || back.Stats().Profiles != st.Profiles {
			b.Fatalf("restored %+v, had %+v", back.Stats(), st)
		}
		back.Close()
	}
	fi, _ := os.Stat(filepath.Join(dir, "snapshot.snap"))
	b.ReportMetric(snap.Seconds(), "snapshot-s")
	b.ReportMetric(restore.Seconds(), "restore-s")
	b.ReportMetric(float64(fi.Size())/float64(st.Identifiers), "snapshot-bytes/id")
	b.ReportMetric(float64(st.Identifiers), "identifiers")
}

// BenchmarkObserveOpen measures Observe through a graph made by Open, per
// sync mode: the journal write each acknowledged observation costs.
func BenchmarkObserveOpen(b *testing.B) {
	for _, c := range []struct {
		name string
		mode identity.SyncMode
	}{{"memory", 0}, {"never", identity.SyncNever}, {"interval", identity.SyncInterval}} {
		b.Run(c.name, func(b *testing.B) {
			var os []identity.Observation
			for o := range population.New(population.Config{People: 8000, Seed: 1, Traps: population.Realistic()}).Observations() {
				os = append(os, o.Observation)
			}
			// "memory" is the same work on a graph made by New: the
			// difference is what journaling costs.
			g, err := identity.New(nil)
			if c.name != "memory" {
				g, err = identity.Open(context.Background(), b.TempDir(), &identity.Options{Sync: c.mode})
			}
			if err != nil {
				b.Fatal(err)
			}
			defer g.Close()
			i := 0
			for b.Loop() {
				g.Observe(os[i%len(os)]) // junk values report skipped identifiers; the rest is applied
				i++
			}
			if err := g.Sync(); err != nil && c.name != "memory" {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "observations/s")
		})
	}
}
