package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/cli"
	"github.com/throughline/throughline/journey"
)

// TestIngestFollowsPartlyAppliedObservations: an observation with one
// malformed identifier is applied for the rest, and its merge reaches the
// timelines; only an observation with nothing usable counts as refused.
func TestIngestFollowsPartlyAppliedObservations(t *testing.T) {
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	obs := func(d int, src string, ids ...identity.ID) step {
		o := identity.Observation{Time: at.AddDate(0, 0, d), Source: src, IDs: ids}
		return step{t: o.Time, obs: &o}
	}
	email, phone := identity.ID{Kind: identity.Email, Value: "ivan@mail.ru"}, identity.ID{Kind: identity.Phone, Value: "+79161234567"}
	view := journey.Event{Type: "car_view", Time: at.AddDate(0, 0, 1), IDs: []identity.ID{phone}}
	steps := []step{
		obs(0, "web_form", identity.ID{Kind: identity.Cookie, Value: "111.222"}, email),
		obs(0, "web_form", identity.ID{Kind: identity.Cookie, Value: "333.444"}, phone),
		{t: view.Time, ev: &view},
		// The CRM record joins email and phone; its second email is malformed.
		obs(2, "crm_import", identity.ID{Kind: identity.CRM, Value: "CRM-1"}, email, phone, identity.ID{Kind: identity.Email, Value: "not an email"}),
		obs(3, "web_form", identity.ID{Kind: identity.Email, Value: "@@"}),
	}
	d, err := ingest(steps, at.AddDate(0, 0, 5), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.badObs != 1 {
		t.Errorf("%d observations counted as refused, want 1 (only the one with nothing usable)", d.badObs)
	}
	if d.merges["email"] == 0 {
		t.Error("the CRM record's merge was not followed")
	}
	p, _ := d.g.Resolve(identity.Email, "ivan@mail.ru")
	if n := len(d.s.Timeline(p)); n != 1 {
		t.Errorf("the merged profile's timeline holds %d events, want the car view", n)
	}
}

// TestBadFlagsAndInput: flag values that make no sense, and files with
// nothing usable, fail before any work with a clear error.
func TestBadFlagsAndInput(t *testing.T) {
	dir := t.TempDir()
	junk := dir + "/junk.jsonl"
	if err := os.WriteFile(junk, []byte("not json\n{\"time\":\"yesterday\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		o     options
		usage bool
	}{
		{"negative customers", options{customers: -5, quiet: true, out: dir}, true},
		{"zero customers", options{customers: 0, quiet: true, out: dir}, true},
		{"events without observations", options{events: junk, quiet: true, out: dir}, true},
		{"nothing usable in the files", options{observations: junk, quiet: true, out: dir}, false},
		{"missing events file", options{observations: junk, events: dir + "/none.jsonl", quiet: true, out: dir}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(c.o, &stdout, &stderr)
			if err == nil {
				t.Fatal("accepted")
			}
			if errors.Is(err, errUsage) != c.usage {
				t.Fatalf("usage error %v, want %v: %v", errors.Is(err, errUsage), c.usage, err)
			}
			if msg := cli.Message("dealer", err); strings.Count(msg, "dealer:") != 1 {
				t.Errorf("message %q", msg)
			}
		})
	}
}

// TestPartialInput: the committed sample with malformed lines added (one
// with control bytes, one over 1 MiB) gives the whole report and then
// fails, unless -partial accepts partial input; stderr names file and line
// and stays clean.
func TestPartialInput(t *testing.T) {
	dir := t.TempDir()
	obs, err := os.ReadFile("../../testdata/dealer/observations.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "obs.jsonl")
	bad := append([]byte("{\"time\":\"\x1b[2J\x00\"}\n"+strings.Repeat("x", 2<<20)+"\n"), obs...)
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, partial := range []bool{false, true} {
		var stdout, stderr bytes.Buffer
		err := run(options{observations: path, events: "../../testdata/dealer/events.jsonl", quiet: true, out: dir, partial: partial}, &stdout, &stderr)
		if partial && err != nil || !partial && !errors.Is(err, cli.ErrPartial) {
			t.Fatalf("partial %v: %v", partial, err)
		}
		if !strings.Contains(stdout.String(), "wrote ") {
			t.Errorf("partial %v: no report", partial)
		}
		for _, want := range []string{path + " line 1:", path + " line 2: longer than"} {
			if !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q: %s", want, stderr.String())
			}
		}
		if strings.ContainsAny(stderr.String(), "\x00\x1b") {
			t.Errorf("stderr %q", stderr.String())
		}
	}
}
