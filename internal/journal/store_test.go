package journal

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// listCodec is a store whose state is a list of strings, for Store's
// tests: it appends through the Store while applying, as real stores do.
type listCodec struct {
	s     *Store
	items []string
}

func (c *listCodec) Restore(body []byte) error {
	c.items = strings.Fields(string(body))
	return nil
}

func (c *listCodec) Apply(r Record) error { return c.add(string(r.Payload)) }

func (c *listCodec) add(item string) error {
	if err := c.s.Append(1, []byte(item)); err != nil { // skipped while replaying
		return err
	}
	c.items = append(c.items, item)
	return nil
}

func (c *listCodec) State(ctx context.Context) ([]byte, error) {
	return []byte(strings.Join(c.items, " ")), ctx.Err()
}

func openList(t *testing.T, dir string) *listCodec {
	t.Helper()
	c := &listCodec{}
	c.s = NewStore(c)
	if err := c.s.Open(context.Background(), dir, "list", &Options{Sync: SyncNever}); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStore: records applied while replaying are not written again; a
// snapshot and the journal after it reopen whole; Close is idempotent and
// later appends fail with ErrClosed.
func TestStore(t *testing.T) {
	dir := t.TempDir()
	c := openList(t, dir)
	for _, it := range []string{"a", "b"} {
		if err := c.add(it); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.s.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.add("c")
	c.s.Close()
	c = openList(t, dir)
	if got := strings.Join(c.items, ","); got != "a,b,c" || c.s.Recovery().Records != 1 || !c.s.Recovery().Snapshot {
		t.Fatalf("reopened %s, %+v", got, c.s.Recovery())
	}
	c.s.Close()
	c = openList(t, dir) // the replay wrote nothing: still one record
	if c.s.Recovery().Records != 1 {
		t.Fatalf("the replay appended: %+v", c.s.Recovery())
	}
	if err := c.s.Close(); err != nil || c.s.Close() != nil || !c.s.Closed() {
		t.Fatal("Close is not idempotent")
	}
	if err := c.add("d"); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after Close: %v", err)
	}
	if err := c.s.Snapshot(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("snapshot after Close: %v", err)
	}
}
