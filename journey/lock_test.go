package journey

import (
	"context"
	"errors"
	"testing"

	"github.com/throughline/throughline/identity"
)

// TestStoreLockAndClose: one store per directory; Close is idempotent and
// releases it; a store made by New closes with nil.
func TestStoreLockAndClose(t *testing.T) {
	g, _ := identity.New(nil)
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), dir, g, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil || s.Close() != nil {
		t.Fatalf("Close: %v", err)
	}
	s2, err := Open(context.Background(), dir, g, nil)
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	s2.Close()
	if mem, _ := New(g, nil); mem.Close() != nil {
		t.Fatalf("Close on a store made by New: %v", err)
	}
}
