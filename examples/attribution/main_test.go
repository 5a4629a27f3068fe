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
)

func TestAnderlToyThroughCLI(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run("../../testdata/paths.csv", "first,last,linear,position,shapley,markov", 1, nil, nil, &out, &errb); err != nil {
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
	err := run("../../testdata/paths.csv", "time_decay", 1, nil, nil, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "JSONL") {
		t.Fatalf("got %v", err)
	}
}

func TestBadRowsAndJSONL(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "p.csv")
	os.WriteFile(csvPath, []byte("path,total_conversions\na > b,1\n,1\nc,x\n"), 0o644)
	var out, errb bytes.Buffer
	if err := run(csvPath, "linear", 1, nil, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errb.String(), "line 3:") || !strings.Contains(errb.String(), "line 4:") {
		t.Fatalf("bad rows not reported: %s", errb.String())
	}
	jl := filepath.Join(dir, "p.jsonl")
	os.WriteFile(jl, []byte(`{"touches":[{"channel":"a","time":"2026-01-01T00:00:00Z"},{"channel":"b","time":"2026-01-08T00:00:00Z"}],"conversions":1,"value":3,"converted_at":"2026-01-08T00:00:00Z"}`+"\n"), 0o644)
	out.Reset()
	if err := run(jl, "time_decay", 1, nil, nil, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "time_decay,a,0.333333333333") || !strings.Contains(out.String(), "time_decay,b,0.666666666666") {
		t.Fatalf("time decay output %s", out.String())
	}
	if err := run(jl, "nonsense", 1, nil, nil, &out, &errb); err == nil {
		t.Fatal("unknown model accepted")
	}
}

// TestBadFlagsAndInput: an order outside 1–8 is a usage error before any
// input is read; "-" reads stdin; input with no usable path fails.
func TestBadFlagsAndInput(t *testing.T) {
	var out, errb bytes.Buffer
	for _, order := range []int{0, -1, 9} {
		if err := run("../../testdata/paths.csv", "markov", order, nil, nil, &out, &errb); !errors.Is(err, errUsage) {
			t.Errorf("-order %d: %v, want a usage error", order, err)
		}
	}
	out.Reset()
	if err := run("-", "linear", 1, nil, strings.NewReader("path,total_conversions\na > b,1\n"), &out, &errb); err != nil || !strings.Contains(out.String(), "linear,a,") {
		t.Errorf("stdin: %v\n%s", err, out.String())
	}
	for _, in := range []string{"", "path,total_conversions\n,1\nc,x\n", "not a header at all\n"} {
		if err := run("-", "linear", 1, nil, strings.NewReader(in), &out, &errb); err == nil {
			t.Errorf("input %q with nothing usable was accepted", in)
		}
	}
}
