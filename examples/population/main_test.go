package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/throughline/throughline/internal/population"
)

// TestConfig: -world draws the world from -seed, -traps adds the realistic
// traps, and the two together are refused.
func TestConfig(t *testing.T) {
	cfg, err := config(100, 1007, false, true)
	if w := population.DrawWorld(1007); err != nil || cfg.World == nil || *cfg.World != w || cfg.Seed != 1007 {
		t.Fatalf("-world: %+v, %v", cfg, err)
	}
	if cfg, err := config(100, 3, true, false); err != nil || cfg.World != nil || cfg.Traps == (population.Traps{}) {
		t.Fatalf("-traps: %+v, %v", cfg, err)
	}
	if cfg, err := config(100, 3, false, false); err != nil || cfg.World != nil || cfg.Traps != (population.Traps{}) {
		t.Fatalf("neither: %+v, %v", cfg, err)
	}
	if _, err := config(100, 3, true, true); err == nil {
		t.Fatal("-traps with -world accepted")
	}
}

// TestRunWorld: a drawn world is written as observations, truth and
// queries, the same for the same seed.
func TestRunWorld(t *testing.T) {
	dir := t.TempDir()
	cfg, _ := config(300, 1007, false, true)
	var outs [2][]byte
	for i := range outs {
		obs := filepath.Join(dir, "obs.jsonl")
		if err := run(cfg, obs, filepath.Join(dir, "truth.tsv"), filepath.Join(dir, "q.tsv"), 0); err != nil {
			t.Fatal(err)
		}
		outs[i], _ = os.ReadFile(obs)
	}
	if len(outs[0]) == 0 || string(outs[0]) != string(outs[1]) {
		t.Fatalf("%d and %d bytes of observations", len(outs[0]), len(outs[1]))
	}
}
