package identity

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogger: a graph with Options.Logger reports the recovery of a torn
// journal, a compaction and a quarantine, never an identifier's value.
func TestLogger(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	opts := &Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	g, err := Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	mustObserve(t, g, at(0, "web_form", "cookie:c1", "email:ivan.petrov@mail.ru"))
	mustObserve(t, g, at(0, "web_form", "cookie:c2", "email:test@test.ru", "phone:+79161234567")) // a placeholder email: junk
	if err := g.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustObserve(t, g, at(1, "web_form", "cookie:c3", "email:anna@mail.ru"))
	g.Close()
	logs, _ := filepath.Glob(filepath.Join(dir, "journal-*.log"))
	f, _ := os.OpenFile(logs[0], os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{9, 0, 0}) // a torn record
	f.Close()
	g, err = Open(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	g.Close()
	out := buf.String()
	for _, want := range []string{"journal: compacted", "quarantined", "journal: cut a damaged tail", "journal: opened"} {
		if !strings.Contains(out, want) {
			t.Errorf("the log lacks %q:\n%s", want, out)
		}
	}
	for _, value := range []string{"ivan.petrov", "test@test", "79161234567", "anna@"} {
		if strings.Contains(out, value) {
			t.Errorf("the log shows the value %q:\n%s", value, out)
		}
	}
}
