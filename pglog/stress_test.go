package pglog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// burnToBoundary spends transaction ids until the next one is a little
// below a power of ten, so that a test's xids cross from n digits to n+1:
// an order taken from tx as text instead of xid8 ("1000" before "999")
// then shows.
func burnToBoundary(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	var txt string
	if err := db.pool.QueryRow(ctx, `SELECT pg_current_xact_id()::text`).Scan(&txt); err != nil {
		t.Fatal(err)
	}
	x, _ := strconv.ParseUint(txt, 10, 64)
	p := uint64(10)
	for p <= x+50 {
		p *= 10
	}
	for ; x < p-50; x++ {
		if _, err := db.pool.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentAppends: four writers append at once, one in eight of
// their transactions held open up to 20 ms after its INSERT, across an
// xid digit boundary; every writer, having pulled, and a fresh reader
// hold one sequence, each record once.
func TestConcurrentAppends(t *testing.T) {
	db, _ := newDB(t, nil)
	burnToBoundary(t, db)
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	db.hold = func() time.Duration {
		mu.Lock()
		defer mu.Unlock()
		if rng.IntN(8) == 0 {
			return time.Duration(rng.IntN(20)) * time.Millisecond
		}
		return 0
	}
	const writers, each = 4, 150
	stores := make([]*listStore, writers)
	for i := range stores {
		stores[i] = &listStore{s: db.Stream("list", "")}
		stores[i].open(t)
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for k := range each {
				item := fmt.Sprintf("w%d-%d", w, k)
				if err := stores[w].s.Append(1, []byte(item)); err != nil {
					t.Error(err)
					return
				}
				stores[w].items = append(stores[w].items, item)
			}
		})
	}
	wg.Wait()
	for _, s := range stores {
		s.pull(t)
	}
	fresh := &listStore{s: db.Stream("list", "")}
	fresh.open(t)
	if len(fresh.items) != writers*each {
		t.Fatalf("the log holds %d records, want %d", len(fresh.items), writers*each)
	}
	for i, s := range stores {
		if !slices.Equal(s.items, fresh.items) {
			t.Errorf("writer %d applied another sequence (%d records) than a fresh reader (%d)", i, len(s.items), len(fresh.items))
		}
	}
}
