package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/throughline/throughline/internal/pgtest"
)

// TestTwoReplicasAgree runs the command against a throwaway server: the
// replicas agree and the erasure holds (exit 0, and the lines that say
// so).
func TestTwoReplicasAgree(t *testing.T) {
	srv, err := pgtest.Start()
	if errors.Is(err, pgtest.ErrNoPostgres) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	dsn, err := srv.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-pg", dsn, "-people", "400", "-seed", "3"}, &out, &errOut)
	t.Logf("output:\n%s%s", out.String(), errOut.String())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"agree: ", "replica b resolves it: no; rows in PostgreSQL holding it: 0",
		"the email is back: no; rows holding it: 0", "the replicas agree, and the erasure holds"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	var same, total int
	for line := range strings.Lines(out.String()) {
		if strings.HasPrefix(line, "agree: ") {
			if _, err := fmt.Sscanf(line, "agree: %d of %d", &same, &total); err != nil || same != total || total < 100 {
				t.Errorf("agreement line %q: %d of %d (%v)", line, same, total, err)
			}
		}
	}
	// Again on the same log: the replicas start from what is there.
	out.Reset()
	if code := run(context.Background(), []string{"-pg", dsn, "-people", "400", "-seed", "3", "-reset=false"}, &out, &errOut); code != 0 {
		t.Fatalf("second run on the same log: exit %d\n%s%s", code, out.String(), errOut.String())
	}
}

// TestBadFlags: no DSN, or one that cannot be reached, fails clearly.
func TestBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{nil, 2, "-pg DSN is required"},
		{[]string{"-pg", "x", "-people", "3"}, 2, "-people 3"},
		{[]string{"-pg", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"}, 1, "replicas:"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), c.args, &out, &errOut); code != c.code || !strings.Contains(errOut.String(), c.says) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", c.args, code, errOut.String(), c.code, c.says)
		}
	}
}
