package pglog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/population"
)

// BenchmarkAppend: one observation at a time through identity.Observe on
// a graph over the log: INSERT, commit, the watermark read, the apply.
func BenchmarkAppend(b *testing.B) {
	db, _ := newDB(b, nil)
	g, err := identity.OpenBackend(context.Background(), db.Stream("identity", ""), graphOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		o := identity.Observation{Time: time.Unix(int64(i), 0), Source: "web_form",
			IDs: []identity.ID{{Kind: identity.Cookie, Value: fmt.Sprintf("c%d", i)}, {Kind: identity.Email, Value: fmt.Sprintf("u%d@example.ru", i/3)}}}
		if _, err := g.Observe(o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

// BenchmarkAppendBatch: observations in batches of 1,000 through
// identity.ObserveBatch on a graph over the log: COPY, one commit, the
// watermark read, the applies.
func BenchmarkAppendBatch(b *testing.B) {
	db, _ := newDB(b, nil)
	g, err := identity.OpenBackend(context.Background(), db.Stream("identity", ""), graphOptions())
	if err != nil {
		b.Fatal(err)
	}
	ps := make([]identity.Prepared, 1000)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		for i := range ps {
			n++
			ps[i], _ = g.Prepare(identity.Observation{Time: time.Unix(int64(n), 0), Source: "web_form",
				IDs: []identity.ID{{Kind: identity.Cookie, Value: fmt.Sprintf("c%d", n)}, {Kind: identity.Email, Value: fmt.Sprintf("u%d@example.ru", n/3)}}})
		}
		if _, err := g.ObserveBatch(ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "appends/s")
}

// BenchmarkLag: from Observe called on replica A to replica B, which
// follows the log (NOTIFY wake-up, 1 s poll), resolving the new
// identifier; p50 and p99 over the run.
func BenchmarkLag(b *testing.B) {
	db, _ := newDB(b, nil)
	ctx := context.Background()
	ga, err := identity.OpenBackend(ctx, db.Stream("identity", ""), graphOptions())
	if err != nil {
		b.Fatal(err)
	}
	gb, err := identity.OpenBackend(ctx, db.Stream("identity", ""), graphOptions())
	if err != nil {
		b.Fatal(err)
	}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	go db.Follow(fctx, time.Second, gb.Pull)
	var lags []time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		v := fmt.Sprintf("lag%d", i)
		t0 := time.Now()
		if _, err := ga.Observe(identity.Observation{Time: time.Unix(int64(i), 0), Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: v}}}); err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := gb.Resolve(identity.Cookie, v); err == nil {
				break
			}
			time.Sleep(50 * time.Microsecond)
		}
		lags = append(lags, time.Since(t0))
	}
	slices.Sort(lags)
	b.ReportMetric(float64(lags[len(lags)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lags[len(lags)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkReplay: a fresh replica (no local snapshot) opening a graph over
// a log of 1M observations (a realistic population of 300k people, loaded
// first through ObserveBatch): every row read from PostgreSQL in batches
// of 2,000 in the log's order and applied.
func BenchmarkReplay(b *testing.B) {
	db, _ := newDB(b, nil)
	ctx := context.Background()
	load, err := identity.OpenBackend(ctx, db.Stream("identity", ""), graphOptions())
	if err != nil {
		b.Fatal(err)
	}
	const total = 1_000_000
	gen := population.New(population.Config{People: 300_000, Seed: 16, Traps: population.Realistic()})
	var ps []identity.Prepared
	n := 0
	for o := range gen.Observations() {
		p, err := load.Prepare(o.Observation)
		if err != nil {
			continue
		}
		if ps = append(ps, p); len(ps) == 1000 || n+len(ps) == total {
			if _, err := load.ObserveBatch(ps); err != nil && !errors.Is(err, identity.ErrDuplicate) {
				b.Fatal(err)
			}
			n += len(ps)
			ps = ps[:0]
		}
		if n == total {
			break
		}
	}
	want := load.Stats()
	b.ReportAllocs()
	for b.Loop() {
		g, err := identity.OpenBackend(ctx, db.Stream("identity", ""), graphOptions())
		if err != nil {
			b.Fatal(err)
		}
		if st := g.Stats(); st != want {
			b.Fatalf("replayed %+v, want %+v", st, want)
		}
	}
	b.ReportMetric(float64(want.Observations)*float64(b.N)/b.Elapsed().Seconds(), "observations/s")
	b.ReportMetric(float64(want.Observations), "observations")
}
