package pglog

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/throughline/throughline/internal/journal"
)

// listStore applies records to a list, for the Stream's own tests.
type listStore struct {
	s     *Stream
	items []string
}

func (l *listStore) open(t *testing.T) {
	t.Helper()
	if _, err := l.s.Open(context.Background(), func(b []byte) error {
		l.items = strings.Fields(string(b))
		return nil
	}, func(r journal.Record) error {
		l.items = append(l.items, string(r.Payload))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func (l *listStore) pull(t *testing.T) {
	t.Helper()
	if _, err := l.s.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// insertIn appends a raw record inside tx, as a host's own transaction or
// a slow writer would.
func insertIn(t *testing.T, db *DB, tx pgx.Tx, item string) {
	t.Helper()
	if _, err := tx.Exec(context.Background(), `INSERT INTO `+db.schema+`.log (id, stream, type, payload) VALUES ($1, 'list', 1, $2)`,
		recordID("list", 1, []byte(item)), []byte(item)); err != nil {
		t.Fatal(err)
	}
}

// TestWatermark: a reader never passes a transaction still open, so a
// record committed late (after a younger transaction's, with a smaller
// position or a larger one) never lands behind a reader's cursor, and
// every reader applies one sequence.
func TestWatermark(t *testing.T) {
	db, _ := newDB(t, nil)
	ctx := context.Background()
	early := &listStore{s: db.Stream("list", "")}
	early.open(t)

	// A takes an xid first and writes its row last; B commits in between.
	a, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Rollback(ctx)
	if _, err := a.Exec(ctx, `SELECT pg_current_xact_id()`); err != nil {
		t.Fatal(err)
	}
	b, _ := db.pool.Begin(ctx)
	insertIn(t, db, b, "b")
	if err := b.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	insertIn(t, db, a, "a")
	early.pull(t)
	if len(early.items) != 0 {
		t.Fatalf("read past an open transaction: %v", early.items)
	}
	st, err := early.s.Status(ctx)
	if err != nil || st.Behind != 1 || len(st.Holders) == 0 || st.Holders[0].State != "idle in transaction" {
		t.Fatalf("status while held: %+v, %v", st, err)
	}
	if err := a.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	early.pull(t)
	late := &listStore{s: db.Stream("list", "")}
	late.open(t)
	if got := strings.Join(early.items, ","); got != "a,b" || strings.Join(late.items, ",") != got {
		t.Fatalf("early reader %v, late reader %v: want a,b for both (tx order)", early.items, late.items)
	}
}

// TestAppendBatch: a batch keeps its order, is applied once, and leaves
// to the log's order the records the log held already or the batch
// repeats; records another process put ahead of it are applied first.
func TestAppendBatch(t *testing.T) {
	db, _ := newDB(t, nil)
	other := &listStore{s: db.Stream("list", "")}
	other.open(t)
	l := &listStore{s: db.Stream("list", "")}
	l.open(t)
	rec := func(s string) journal.Record { return journal.Record{Type: 1, Payload: []byte(s)} }
	batch := func(items ...string) {
		t.Helper()
		var recs []journal.Record
		for _, it := range items {
			recs = append(recs, rec(it))
		}
		mine, err := l.s.AppendBatch(recs, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range mine {
			if m {
				l.items = append(l.items, items[i])
			}
		}
	}
	if err := other.s.Append(1, []byte("o")); err != nil {
		t.Fatal(err)
	}
	other.items = append(other.items, "o")
	batch("x", "y", "x", "z")
	batch("y", "w")
	other.pull(t)
	late := &listStore{s: db.Stream("list", "")}
	late.open(t)
	for name, got := range map[string][]string{"appender": l.items, "other": other.items, "late": late.items} {
		if g := strings.Join(got, ","); g != "o,x,y,z,w" {
			t.Errorf("%s applied %s, want o,x,y,z,w", name, g)
		}
	}
}

// TestSchema: replicas starting together migrate once; a newer schema is
// refused.
func TestSchema(t *testing.T) {
	db, dsn := newDB(t, nil)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			d, err := Open(ctx, dsn, &Options{Schema: "other"})
			if err == nil {
				d.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE `+db.schema+`.version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dsn, nil); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("opened a newer schema: %v", err)
	}
}
