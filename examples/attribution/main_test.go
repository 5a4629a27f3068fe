package main

import (
	"bytes"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/internal/cli"
)

func TestAnderlToyThroughCLI(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(options{path: "../../testdata/paths.csv", models: "first,last,linear,position,shapley,markov", order: 1, direct: nil}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "model,channel,conversions,value,removal_effect" {
		t.Fatalf("header %v", rows[0])
	}
	got := map[string]string{}
	for _, r := range rows[1:] {
		got[r[0]+"/"+r[1]] = r[2] + "|" + r[3] + "|" + r[4]
	}
	want := map[string]string{
		"first/C1": "1|100|", "last/C3": "1|100|", "position/C2": "0.2|20|",
		"markov/C1": "0.2|20|0.5", "markov/C2": "0.4|40|1", "markov/C3": "0.4|40|1",
	}
	for k, v := range want {
		g := got[k]
		gp, wp := strings.Split(g, "|"), strings.Split(v, "|")
		for i := range wp {
			a, _ := strconv.ParseFloat(gp[i], 64)
			b, _ := strconv.ParseFloat(wp[i], 64)
			if (wp[i] == "") != (gp[i] == "") || (wp[i] != "" && (a-b > 1e-9 || b-a > 1e-9)) {
				t.Errorf("%s = %s, want %s", k, g, v)
			}
		}
	}
	if len(rows) != 1+6*3 {
		t.Errorf("%d rows", len(rows))
	}
	if !strings.Contains(errb.String(), "P(conversion) = 0.333333333333") {
		t.Errorf("stderr: %s", errb.String())
	}
}

func TestTimeDecayOnCSVIsAnError(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(options{path: "../../testdata/paths.csv", models: "time_decay", order: 1, direct: nil}, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "JSONL") {
		t.Fatalf("got %v", err)
	}
}

func TestBadRowsAndJSONL(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "p.csv")
	os.WriteFile(csvPath, []byte("path,total_conversions\na > b,1\n,1\nc,x\n"), 0o644)
	var out, errb bytes.Buffer
	if err := run(options{path: csvPath, models: "linear", order: 1, partial: true}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "line 3:") || !strings.Contains(errb.String(), "line 4:") {
		t.Fatalf("bad rows not reported: %s", errb.String())
	}
	jl := filepath.Join(dir, "p.jsonl")
	os.WriteFile(jl, []byte(`{"touches":[{"channel":"a","time":"2026-01-01T00:00:00Z"},{"channel":"b","time":"2026-01-08T00:00:00Z"}],"conversions":1,"value":3,"converted_at":"2026-01-08T00:00:00Z"}`+"\n"), 0o644)
	out.Reset()
	if err := run(options{path: jl, models: "time_decay", order: 1, direct: nil}, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "time_decay,a,0.333333333333") || !strings.Contains(out.String(), "time_decay,b,0.666666666666") {
		t.Fatalf("time decay output %s", out.String())
	}
	if err := run(options{path: jl, models: "nonsense", order: 1, direct: nil}, nil, &out, &errb); err == nil {
		t.Fatal("unknown model accepted")
	}
}

// TestBadFlagsAndInput is the table of bad flags and bad input: each case
// fails (or passes) as it says, with a usage error before any input is
// read for flags, a message of bounded length without control bytes or a
// doubled prefix, and credits still written for partial input.
func TestBadFlagsAndInput(t *testing.T) {
	good := "path,total_conversions\na > b,1\n"
	for _, c := range []struct {
		name    string
		o       options
		in      string
		want    error // nil: succeeds; errAny: any error
		written bool  // credits on stdout
	}{
		{"order 0", options{models: "markov", order: 0}, good, errUsage, false},
		{"order -1", options{models: "markov", order: -1}, good, errUsage, false},
		{"order 9", options{models: "markov", order: 9}, good, errUsage, false},
		{"unknown model", options{models: "markov,nonsense", order: 1}, good, errAny, false},
		{"stdin", options{models: "linear", order: 1}, good, nil, true},
		{"empty input", options{models: "linear", order: 1}, "", attribution.ErrBadInput, false},
		{"every row bad", options{models: "linear", order: 1}, "path,total_conversions\n,1\nc,x\n", errAny, false},
		{"not a header", options{models: "linear", order: 1}, "not a header at all\n", attribution.ErrBadInput, false},
		{"a 10 MB header", options{models: "linear", order: 1}, strings.Repeat("h", 10<<20) + "\n" + good, attribution.ErrBadInput, false},
		{"control bytes in a row", options{models: "linear", order: 1}, good + "c\x1b[2J,\x00\n", cli.ErrPartial, true},
		{"some rows bad", options{models: "linear", order: 1}, good + ",1\nc,x\n", cli.ErrPartial, true},
		{"some rows bad, -partial", options{models: "linear", order: 1, partial: true}, good + ",1\nc,x\n", nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.o.path = "-"
			var out, errb bytes.Buffer
			err := run(c.o, strings.NewReader(c.in), &out, &errb)
			switch {
			case c.want == nil && err != nil:
				t.Fatalf("failed: %v", err)
			case c.want == errAny && err == nil, c.want != nil && c.want != errAny && !errors.Is(err, c.want):
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if got := strings.Contains(out.String(), "linear,a,"); got != c.written {
				t.Errorf("credits written: %v, want %v", got, c.written)
			}
			if err != nil {
				msg := cli.Message("attribution", err)
				if len(msg) > 300 || strings.Contains(msg, "attribution: attribution") || strings.ContainsAny(msg, "\x00\x1b\n") {
					t.Errorf("message %q", msg)
				}
			}
			if strings.ContainsAny(errb.String(), "\x00\x1b") || len(errb.String()) > 10000 {
				t.Errorf("stderr %q", errb.String())
			}
		})
	}
}

// errAny stands for any error in the table.
var errAny = errors.New("any error")
