package disktest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestHoldsAndCopy(t *testing.T) {
	from, to := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	if err := os.WriteFile(filepath.Join(from, "a"), []byte("xx secret yy"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !Holds(t, from, "secret") || Holds(t, from, "other") {
		t.Fatal("Holds misreads the directory")
	}
	Copy(t, from, to)
	if !Holds(t, to, "secret") {
		t.Fatal("Copy lost the file")
	}
}
