package main

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/throughline/throughline/internal/pgtest"
)

// TestJourneyMatchesPostgres: on a generated history, the store and
// PostgreSQL hold the same number of events, and the store's funnel
// (AnchorFirst) counts what the SQL funnel counts.
func TestJourneyMatchesPostgres(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.csv")
	const people, per = 3000, 20
	if err := writeEvents(path, people, per, 7); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	j, err := loadJourney(ctx, path, people)
	if err != nil {
		t.Fatal(err)
	}
	if j.events != people*per || j.people != people || j.bad != 0 || j.reached[2] == 0 {
		t.Fatalf("journey: %+v", j)
	}
	var b strings.Builder
	j.print(&b)
	if !strings.Contains(b.String(), "LoadCSV") {
		t.Fatalf("report %q", b.String())
	}
	p, err := loadPostgres(ctx, path)
	if errors.Is(err, pgtest.ErrNoPostgres) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if p.rows != j.events || !slices.Equal(p.reached, j.reached) {
		t.Fatalf("PostgreSQL %d rows, funnel %v; journey %d events, funnel %v", p.rows, p.reached, j.events, j.reached)
	}
}
