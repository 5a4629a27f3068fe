package pgtest

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestServer starts a server, makes two databases on it, and reaches one
// through the server's own psql; without PostgreSQL it skips.
func TestServer(t *testing.T) {
	s, err := Start()
	if errors.Is(err, ErrNoPostgres) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := s.NewDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.NewDatabase(ctx)
	if err != nil || a == b {
		t.Fatalf("second database %q (first %q): %v", b, a, err)
	}
	out, err := s.Run(ctx, nil, "psql", "-X", "-A", "-t", "-d", a, "-c", "SELECT 40 + 2")
	if err != nil || strings.TrimSpace(string(out)) != "42" {
		t.Fatalf("psql: %q, %v", out, err)
	}
	if _, err := s.Run(ctx, nil, "psql", "-X", "-d", a, "-c", "SELECT nonsense"); err == nil {
		t.Fatal("a failing statement returned no error")
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}
