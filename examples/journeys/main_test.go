package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/internal/cli"
)

var update = flag.Bool("update", false, "rewrite testdata/dealer/paths.csv")

const sample = "../../testdata/dealer/"

func journeys(t *testing.T, profiles string, format string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	o := options{events: sample + "events.jsonl", profiles: "-", format: format, conversions: []string{"contract"}, lookback: 90 * 24 * time.Hour}
	if err := run(o, strings.NewReader(profiles), &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	return out.String(), errb.String()
}

// TestPipe runs resolve | journeys and then attribution, as built
// binaries over the committed sample, the way the README's walkthrough
// does.
func TestPipe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three commands")
	}
	bin := t.TempDir()
	for _, c := range []string{"resolve", "journeys", "attribution"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, c), "../"+c)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", c, err, out)
		}
	}
	resolve := exec.Command(filepath.Join(bin, "resolve"), "-observations", sample+"observations.jsonl", "-queries", sample+"ids.tsv", "-quiet")
	jn := exec.Command(filepath.Join(bin, "journeys"), "-events", sample+"events.jsonl")
	var err error
	if jn.Stdin, err = resolve.StdoutPipe(); err != nil {
		t.Fatal(err)
	}
	var paths, jerr bytes.Buffer
	jn.Stdout, jn.Stderr = &paths, &jerr
	if err := resolve.Start(); err != nil {
		t.Fatal(err)
	}
	if err := jn.Run(); err != nil {
		t.Fatalf("journeys: %v\n%s", err, jerr.String())
	}
	if err := resolve.Wait(); err != nil {
		t.Fatalf("resolve: %v", err)
	}
	if *update {
		os.WriteFile(sample+"paths.csv", paths.Bytes(), 0o644)
	}
	want, err := os.ReadFile(sample + "paths.csv")
	if err != nil {
		t.Fatal(err)
	}
	if paths.String() != string(want) {
		t.Fatalf("paths differ from %spaths.csv (run with -update if the change is meant):\n%s", sample, paths.String())
	}
	if !strings.Contains(jerr.String(), "0 left out") {
		t.Errorf("events left out: %s", jerr.String())
	}
	pf := filepath.Join(bin, "paths.csv")
	os.WriteFile(pf, paths.Bytes(), 0o644)
	attr := exec.Command(filepath.Join(bin, "attribution"), "-models", "last,markov", pf)
	var credits, aerr bytes.Buffer
	attr.Stdout, attr.Stderr = &credits, &aerr
	if err := attr.Run(); err != nil {
		t.Fatalf("attribution: %v\n%s", err, aerr.String())
	}
	// Every conversion on the paths is credited, by every model.
	conv := 0.0
	for _, l := range strings.Split(strings.TrimSpace(paths.String()), "\n")[1:] {
		conv += parse(t, strings.Split(l, ";")[1])
	}
	if conv == 0 || !strings.Contains(aerr.String(), fmt.Sprintf(" %g conversions", conv)) {
		t.Errorf("attribution reports %q, paths hold %v conversions", aerr.String(), conv)
	}
	for _, m := range []string{"last", "markov"} {
		sum := 0.0
		for _, l := range strings.Split(credits.String(), "\n") {
			if f := strings.Split(l, ","); len(f) == 5 && f[0] == m {
				sum += parse(t, f[2])
			}
		}
		if d := sum - conv; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s credits %v of %v conversions", m, sum, conv)
		}
	}
}

func parse(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRowsAndJSONL: run() gives the committed rows in process, and the
// JSONL form carries the touch times time decay needs.
func TestRowsAndJSONL(t *testing.T) {
	answer, err := os.ReadFile(sample + "answer.tsv")
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := journeys(t, string(answer), "csv")
	want, _ := os.ReadFile(sample + "paths.csv")
	if csv != string(want) {
		t.Fatal("run() and the committed paths differ")
	}
	jl, _ := journeys(t, string(answer), "jsonl")
	if n := strings.Count(jl, "\n"); n < strings.Count(csv, "\n")-1 {
		t.Fatalf("%d JSONL paths for %d CSV rows", n, strings.Count(csv, "\n")-1)
	}
	if !strings.Contains(jl, `"converted_at":`) || !strings.Contains(jl, `"time":"2026-`) {
		t.Fatal("JSONL lacks times")
	}
}

func TestBadInput(t *testing.T) {
	var out, errb bytes.Buffer
	o := options{events: sample + "events.jsonl", profiles: "-", format: "csv", conversions: []string{"contract"}, lookback: 90 * 24 * time.Hour}
	if err := run(o, strings.NewReader("garbage\n"), &out, &errb); err == nil || !strings.Contains(errb.String(), "line 1") {
		t.Fatalf("no profiles: %v %q", err, errb.String())
	}
	// Events of identifiers the answer does not name are reported by line.
	errb.Reset()
	// None filed: reported by line, and an error.
	if err := run(o, strings.NewReader("email\tnobody@example.com\t0f1e2d3c-0000-8000-8000-000000000001\n"), &out, &errb); err == nil {
		t.Fatal("no event filed, no error")
	}
	if !strings.Contains(errb.String(), "events "+sample+"events.jsonl line 1:") {
		t.Fatalf("%q", errb.String())
	}
	answer, err := os.ReadFile(sample + "answer.tsv")
	if err != nil {
		t.Fatal(err)
	}
	typo := o
	typo.conversions = []string{"contarct"}
	if err := run(typo, bytes.NewReader(answer), &out, &errb); err == nil || !strings.Contains(err.Error(), "-conversions") {
		t.Errorf("a typo in -conversions: %v", err)
	}
	for _, lb := range []time.Duration{0, -time.Hour} {
		bad := o
		bad.lookback = lb
		if err := run(bad, bytes.NewReader(answer), &out, &errb); !errors.Is(err, errUsage) {
			t.Errorf("-lookback %v: %v, want a usage error", lb, err)
		}
	}
}

// TestBadInputTable is the table of bad input the issue lists: every case
// names the file and line of what it refuses, prints at most a capped
// number of clean lines, and fails unless -partial accepts the rest.
func TestBadInputTable(t *testing.T) {
	answer, err := os.ReadFile(sample + "answer.tsv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	badEvents := filepath.Join(dir, "events.jsonl")
	ev, _ := os.ReadFile(sample + "events.jsonl")
	os.WriteFile(badEvents, append(append([]byte("{not json\x1b[2J\n"), ev...), strings.Repeat("x", 2<<20)+"\n"...), 0o644)
	o := options{events: sample + "events.jsonl", profiles: "-", format: "csv", conversions: []string{"contract"}, lookback: 90 * 24 * time.Hour}
	for _, c := range []struct {
		name     string
		events   string
		partial  bool
		profiles string
		want     error // nil: succeeds; errAny: any error
		stderr   string
		written  bool
	}{
		{"clean", "", false, string(answer), nil, "", true},
		{"a 10 MB profiles line", "", false, strings.Repeat("p", 10<<20) + "\n" + string(answer), cli.ErrPartial, "profiles stdin line 1: longer than", true},
		{"a 10 MB profiles line, -partial", "", true, strings.Repeat("p", 10<<20) + "\n" + string(answer), nil, "profiles stdin line 1: longer than", true},
		{"control bytes", "", false, "email\x1b[31m\tx\x00\n" + string(answer), cli.ErrPartial, `profiles stdin line 1:`, true},
		{"many bad lines", "", false, strings.Repeat("bad line\n", 500) + string(answer), cli.ErrPartial, "… and 480 more", true},
		{"bad events, a long one among them", badEvents, false, string(answer), cli.ErrPartial, "events " + badEvents + " line 1:", true},
		{"every profile line bad", "", false, "garbage\n\x00\n", errAny, "profiles stdin line 1:", false},
		{"missing events file", filepath.Join(dir, "nope.jsonl"), false, string(answer), errAny, "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			oc := o
			if c.events != "" {
				oc.events = c.events
			}
			oc.partial = c.partial
			var out, errb bytes.Buffer
			err := run(oc, strings.NewReader(c.profiles), &out, &errb)
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("failed: %v", err)
			case c.want == errAny && err == nil, c.want != nil && c.want != errAny && !errors.Is(err, c.want):
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(errb.String(), c.stderr) {
				t.Errorf("stderr lacks %q:\n%s", c.stderr, errb.String())
			}
			if strings.ContainsAny(errb.String(), "\x00\x1b") || strings.Count(errb.String(), "\n") > 2*cli.MaxShown+5 || len(errb.String()) > 20000 {
				t.Errorf("stderr is not capped and clean: %d bytes", errb.Len())
			}
			if got := out.Len() > 0; got != c.written {
				t.Errorf("paths written: %v, want %v", got, c.written)
			}
		})
	}
}

var errAny = errors.New("any error")
