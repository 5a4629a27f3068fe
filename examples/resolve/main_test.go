package main

import (
	"bytes"
	"errors"
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/cli"
)

var update = flag.Bool("update", false, "rewrite the golden answer")

const (
	sampleObs     = "../../testdata/observations.jsonl"
	sampleQueries = "../../testdata/queries.tsv"
	goldenAnswer  = "../../testdata/resolve_answer.tsv"
)

func runResolve(t *testing.T, obs, queries string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if err := run(obs, queries, &identity.Options{PhoneRegion: "RU"}, true, true, &out, &errb); err != nil {
		t.Fatalf("run: %v\n%s", err, errb.String())
	}
	return out.String(), errb.String()
}

// TestBadFlagsAndInput is the table of what resolve refuses: each case
// fails as it says (the sample holds two malformed lines on purpose: the
// answer for the rest is written, and only -partial makes that a success),
// before reading when a flag or the queries file is wrong, with a message
// of bounded length, no control bytes and one "resolve:".
func TestBadFlagsAndInput(t *testing.T) {
	dir := t.TempDir()
	ctrl := filepath.Join(dir, "ctrl.jsonl")
	os.WriteFile(ctrl, []byte("{\"time\":\"\x1b[2J\x00\"}\n"+`{"time":"2026-06-01T10:43:01Z","ids":[{"kind":"email","value":"a@mail.ru"}]}`+"\n"), 0o644)
	golden, _ := os.ReadFile(goldenAnswer)
	for _, c := range []struct {
		name, obs, queries string
		region             string
		partial            bool
		want               error // nil: succeeds; errAny: any error
		answer             bool  // the golden answer written
	}{
		{"sample, -partial", sampleObs, sampleQueries, "RU", true, nil, true},
		{"sample", sampleObs, sampleQueries, "RU", false, cli.ErrPartial, true},
		{"control bytes in a line", ctrl, "", "RU", false, cli.ErrPartial, false},
		{"missing queries file", sampleObs, filepath.Join(dir, "none.tsv"), "RU", true, errAny, false},
		{"missing observations", filepath.Join(dir, "none.jsonl"), "", "RU", true, errAny, false},
		{"unknown phone region", sampleObs, "", "XX", true, identity.ErrBadOptions, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(c.obs, c.queries, &identity.Options{PhoneRegion: c.region}, true, c.partial, &out, &errb)
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("failed: %v", err)
			case c.want == errAny && err == nil, c.want != nil && c.want != errAny && !errors.Is(err, c.want):
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if c.answer != (out.String() == string(golden)) {
				t.Errorf("answer written: %v, want %v", !c.answer, c.answer)
			}
			if err != nil {
				if msg := cli.Message("resolve", err); len(msg) > 300 || strings.Count(msg, "resolve:") != 1 || strings.ContainsAny(msg, "\x00\x1b") {
					t.Errorf("message %q", msg)
				}
			}
			if strings.ContainsAny(errb.String(), "\x00\x1b") {
				t.Errorf("stderr %q", errb.String())
			}
			if c.name == "missing queries file" && strings.Contains(errb.String(), "lines read") {
				t.Error("the observations were read before the queries file was found missing")
			}
		})
	}
}

var errAny = errors.New("any error")

func TestSampleAnswer(t *testing.T) {
	out, stderr := runResolve(t, sampleObs, sampleQueries)
	if *update {
		if err := os.WriteFile(goldenAnswer, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenAnswer)
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Fatalf("answer differs from %s (run with -update after a deliberate change)", goldenAnswer)
	}
	queries, _ := os.ReadFile(sampleQueries)
	qlines := strings.Split(strings.TrimSuffix(string(queries), "\n"), "\n")
	alines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(qlines) != len(alines) {
		t.Fatalf("%d queries, %d answers", len(qlines), len(alines))
	}
	for i, a := range alines {
		f := strings.Split(a, "\t")
		kind, value, _ := strings.Cut(qlines[i], "\t")
		if len(f) != 3 || f[0] != kind || f[1] != value {
			t.Fatalf("answer %d %q does not echo query %q", i, a, qlines[i])
		}
	}
	// The hand-written tail of the sample: one person across four spellings.
	for _, q := range []string{"email\tIVAN.PETROV@gmail.com\t", "phone\t89161234567\t", "crm\tCRM-7\t"} {
		if !strings.Contains(out, q) {
			t.Fatalf("no answer for %q", q)
		}
	}
	profile := func(prefix string) string {
		for _, a := range alines {
			if strings.HasPrefix(a, prefix) {
				return strings.Split(a, "\t")[2]
			}
		}
		return "missing"
	}
	ivan := profile("email\tIVAN.PETROV@gmail.com\t")
	if ivan == "" || profile("phone\t89161234567\t") != ivan || profile("cookie\t998877665.1700083999\t") != ivan || profile("crm\tCRM-7\t") != ivan {
		t.Fatal("Ivan's identifiers are not one profile")
	}
	if profile("device\t00000000") != "" || profile("telegram\t") != "" || profile("no tab") != "" {
		t.Fatal("refused, unknown or malformed queries must answer an empty profile")
	}
	for _, want := range []string{
		"line 1101: identity: bad observation",
		"line 1102: identity: bad observation: time",
		"2 lines skipped (malformed), 1 observations without a valid identifier",
		"identifiers skipped: device: refused 1, email: malformed 2, phone: malformed 1, telegram: unknown kind 1",
		"358 profiles",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// TestShuffledInput: with no merge rules, the answer does not depend on the
// order of the observations.
func TestShuffledInput(t *testing.T) {
	data, err := os.ReadFile(sampleObs)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	path := filepath.Join(t.TempDir(), "shuffled.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _ := runResolve(t, sampleObs, sampleQueries)
	b, _ := runResolve(t, path, sampleQueries)
	if a != b {
		t.Fatal("shuffled observations give another answer")
	}
}

// TestLongLinesAndCRLF: lines longer than the read buffer and Windows line
// ends are read whole.
func TestLongLinesAndCRLF(t *testing.T) {
	long := `{"time":"2026-06-01T10:43:01Z","source":"` + strings.Repeat("x", 3<<20) + `","ids":[{"kind":"email","value":"long@mail.ru"},{"kind":"cookie","value":"c1"}]}`
	dir := t.TempDir()
	obs := filepath.Join(dir, "obs.jsonl")
	q := filepath.Join(dir, "q.tsv")
	os.WriteFile(obs, []byte(long+"\r\n"+`{"time":"2026-06-01T10:44:01Z","ids":[{"kind":"cookie","value":"c1"},{"kind":"phone","value":"89161234567"}]}`+"\r\n"), 0o644)
	os.WriteFile(q, []byte("phone\t+79161234567\r\nemail\tlong@mail.ru\n"), 0o644)
	out, stderr := runResolve(t, obs, q)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("answer %q\n%s", out, stderr)
	}
	p1, p2 := strings.Split(lines[0], "\t")[2], strings.Split(lines[1], "\t")[2]
	if p1 == "" || p1 != p2 {
		t.Fatalf("answer %q\n%s", out, stderr)
	}
}

func TestMissingFile(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(filepath.Join(t.TempDir(), "none.jsonl"), "", nil, true, false, &out, &errb); err == nil {
		t.Fatal("a missing file must be an error")
	}
	if err := run(sampleObs, "", &identity.Options{PhoneRegion: "XX"}, true, false, &out, &errb); err == nil {
		t.Fatal("an unknown phone region must be an error")
	}
}

// TestNothingUsable: input whose every line is malformed, or carries no
// valid identifier, is an error (the CLI exits non-zero), after the
// summary says what was read.
func TestNothingUsable(t *testing.T) {
	dir := t.TempDir()
	for _, in := range []string{"", "garbage\n{\"time\":\"yesterday\"}\n", `{"source":"web_form","ids":[{"kind":"email","value":"@@"}]}` + "\n"} {
		path := filepath.Join(dir, "obs.jsonl")
		if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if err := run(path, "", nil, true, false, &out, &errb); err == nil {
			t.Errorf("input %q: accepted", in)
		}
		if !strings.Contains(errb.String(), "lines read") {
			t.Errorf("input %q: no summary: %s", in, errb.String())
		}
	}
}

// TestManyQueriesInOrder: queries answered on every core come back in
// query order, across many batches.
func TestManyQueriesInOrder(t *testing.T) {
	q, err := os.ReadFile(sampleQueries)
	if err != nil {
		t.Fatal(err)
	}
	golden, _ := os.ReadFile(goldenAnswer)
	path := filepath.Join(t.TempDir(), "q.tsv")
	if err := os.WriteFile(path, bytes.Repeat(q, 3000), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _ := runResolve(t, sampleObs, path)
	if out != strings.Repeat(string(golden), 3000) {
		t.Fatal("the answers to a large query file are not the sample's answers in order")
	}
}
