// Command dealer runs Throughline end to end on a dealer group's data and
// prints a short report, writing report.html and the audience files beside
// it.
//
//	go run ./examples/dealer                       # a generated dealer group, seed 1
//	go run ./examples/dealer -customers 50000 -seed 7 -out /tmp/dealer
//	go run ./examples/dealer -observations obs.jsonl -events events.jsonl -now 2026-11-01T00:00:00Z
//	go run ./examples/dealer -company "North Motors LLC"   # the report as one company of the group sees it
//
// With no input files it generates a dealer group like the reference case:
// tens of thousands of customers on 2 to 10 browsers and devices (families
// share computers, the showroom has survey tablets, staff type junk), ~90-day
// journeys across ~7 sources with 10+ car card views before a purchase,
// leads from forms, tracked calls, personal email and SMS links, pay-by-link
// advances, contracts and surveys. Or it reads the host's own identity
// observations (identity's JSONL: {"time","source","trust","ids":[{"kind",
// "value"}]}) and events (journey's JSONL, see journey.Event.UnmarshalJSON).
//
// The flow: observations and events go through identity, journey and a
// segment engine in time order (merges followed as they happen, the warm
// segment refreshed daily); then the report: profiles before and after
// resolution, merges by email and by phone, what the rules quarantined,
// lead-to-contract conversion by channel, attribution by every model,
// the warm segment's size and its entries and exits over the last week,
// audience files for Google, Meta and Yandex, and who is reachable on each
// channel now. A progress bar goes to stderr unless -quiet.
//
// Malformed lines of the input files are reported (the first 20, with file
// and line number) and skipped; the report of the rest is written, and the
// exit status is 1 unless -partial accepts partial input. Flags are checked
// before any work (status 2); files with nothing usable fail.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/cli"
	"github.com/throughline/throughline/journey"
)

func main() {
	var o options
	flag.IntVar(&o.customers, "customers", 30000, "customers to generate")
	flag.Uint64Var(&o.seed, "seed", 1, "generator seed: the same seed gives the same dealer group")
	flag.StringVar(&o.out, "out", ".", "directory for report.html and the audience files")
	flag.StringVar(&o.observations, "observations", "", "identity observations JSONL (instead of generating)")
	flag.StringVar(&o.events, "events", "", "journey events JSONL (with -observations)")
	now := flag.String("now", "", "the report's time, RFC 3339 (default: 2026-11-01T09:00:00Z for generated data, the last event's time for files)")
	flag.BoolVar(&o.quiet, "quiet", false, "no progress bar")
	flag.BoolVar(&o.partial, "partial", false, "accept input files with malformed lines (reported and skipped) with exit status 0")
	flag.StringVar(&o.export, "export", "", "write the generated data to this directory as observations.jsonl, events.jsonl and ids.tsv (every identifier the events carry, for examples/resolve -queries), then stop")
	flag.StringVar(&o.company, "company", "", "report as this group company sees it: only the events it collected, and those another company collected under a consent naming it (for example \"North Motors LLC\")")
	flag.Parse()
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dealer: -now:", err)
			os.Exit(2)
		}
		o.now = t
	}
	if err := run(o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, cli.Message("dealer", err))
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// errUsage marks a flag value run refuses before reading anything.
var errUsage = errors.New("usage")

// check refuses flag values that make no sense, before any work.
func (o options) check() error {
	switch {
	case o.observations == "" && o.events == "" && o.customers < 1:
		return fmt.Errorf("%w: -customers must be at least 1, got %d", errUsage, o.customers)
	case o.events != "" && o.observations == "":
		return fmt.Errorf("%w: -events needs -observations", errUsage)
	}
	return nil
}

type options struct {
	customers            int
	seed                 uint64
	out                  string
	observations, events string
	now                  time.Time
	quiet                bool
	export               string
	partial              bool
	company              string // report as this company sees the group ("": the group's)
}

func run(o options, stdout, stderr io.Writer) error {
	if err := o.check(); err != nil {
		return err
	}
	var prog *progress
	if !o.quiet {
		prog = &progress{w: stderr}
	}
	var steps []step
	var gen *generator
	bad := &cli.Reporter{W: stderr, Cmd: "dealer"}
	switch {
	case o.observations != "" || o.events != "":
		var err error
		if steps, err = readSteps(o.observations, o.events, bad); err != nil {
			return err
		}
		if len(steps) == 0 {
			return fmt.Errorf("nothing usable in %s %s", o.observations, o.events)
		}
		if o.now.IsZero() && len(steps) > 0 {
			o.now = steps[len(steps)-1].t
		}
	default:
		if o.now.IsZero() {
			o.now = time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
		}
		prog.phase("generating")
		steps, gen = generate(o.customers, o.seed, o.now)
	}
	slices.SortStableFunc(steps, func(a, b step) int { return a.t.Compare(b.t) })
	if o.export != "" {
		prog.done()
		return export(o.export, steps, o.now)
	}
	d, err := ingest(steps, o.now, prog)
	if err != nil {
		return err
	}
	if o.company != "" {
		// The view: the same observations, the events the company may see.
		prog.phase("viewing")
		if d, err = ingest(d.viewSteps(steps, o.company), o.now, prog); err != nil {
			return err
		}
		d.viewer = o.company
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	prog.phase("reporting")
	rep, err := d.report(gen, o.out)
	if err != nil {
		return err
	}
	prog.done()
	rep.print(stdout)
	f, err := os.Create(filepath.Join(o.out, "report.html"))
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	rep.html(bw)
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nwrote %s\n", filepath.Join(o.out, "report.html"))
	if bad.Count() > 0 && !o.partial {
		return fmt.Errorf("%d malformed lines: %w", bad.Count(), cli.ErrPartial)
	}
	return nil
}

// export writes steps as the JSONL files -observations and -events read,
// and the identifiers the events carry as examples/resolve's queries.
func export(dir string, steps []step, now time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var obs, evs, ids []byte
	seen, known := map[identity.ID]bool{}, map[identity.ID]bool{}
	observe := func(o identity.Observation) {
		obs = append(o.AppendJSON(obs), '\n')
		for _, id := range o.IDs {
			known[id] = true
		}
	}
	for _, st := range steps {
		if st.t.After(now) {
			break
		}
		if st.obs != nil {
			observe(*st.obs)
		}
		if st.ev != nil {
			if len(st.ev.IDs) > 0 && !slices.ContainsFunc(st.ev.IDs, func(id identity.ID) bool { return known[id] }) {
				// A first visit: the tracker's own observation, as ingest makes.
				observe(identity.Observation{Time: st.t, Source: "pageview", IDs: st.ev.IDs[:1]})
			}
			evs = append(st.ev.AppendJSON(evs), '\n')
			for _, id := range st.ev.IDs {
				if !seen[id] {
					seen[id] = true
					ids = append(append(append(append(ids, id.Kind...), '\t'), id.Value...), '\n')
				}
			}
		}
	}
	for name, b := range map[string][]byte{"observations.jsonl": obs, "events.jsonl": evs, "ids.tsv": ids} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// readSteps reads the host's observations and events, opening both files
// before reading either. Malformed lines go to rep.
func readSteps(obsPath, evPath string, rep *cli.Reporter) ([]step, error) {
	files := map[string]*os.File{}
	for _, path := range []string{obsPath, evPath} {
		if path == "" {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		files[path] = f
	}
	var steps []step
	read := func(path string, line func([]byte) error) error {
		if path == "" {
			return nil
		}
		lines := cli.NewLines(files[path])
		for lines.Next() {
			if lines.Long() {
				rep.Printf("%s line %d: longer than %d bytes, skipped", path, lines.Number(), cli.MaxLine)
				continue
			}
			b := lines.Line()
			if len(bytes.TrimSpace(b)) == 0 {
				continue
			}
			if err := line(b); err != nil {
				rep.Printf("%s line %d: %v", path, lines.Number(), err)
			}
		}
		if err := lines.Err(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
	if err := read(obsPath, func(b []byte) error {
		var o identity.Observation
		if err := o.UnmarshalJSON(b); err != nil {
			return err
		}
		if o.Time.IsZero() {
			return errors.New("observation without a time")
		}
		steps = append(steps, step{t: o.Time, obs: &o})
		return nil
	}); err != nil {
		return nil, err
	}
	if err := read(evPath, func(b []byte) error {
		var e journey.Event
		if err := e.UnmarshalJSON(b); err != nil {
			return err
		}
		steps = append(steps, step{t: e.Time, ev: &e})
		return nil
	}); err != nil {
		return nil, err
	}
	rep.Done()
	if len(steps) == 0 {
		return nil, errors.New("no observations or events")
	}
	return steps, nil
}

// progress draws a bar on stderr for the long steps.
type progress struct {
	w     io.Writer
	name  string
	last  int
	start time.Time
}

func (p *progress) phase(name string) {
	if p == nil {
		return
	}
	if p.name != "" {
		fmt.Fprintf(p.w, "\r%-60s\r", "")
	}
	p.name, p.last, p.start = name, -1, time.Now()
	fmt.Fprintf(p.w, "\r%s…", name)
}

func (p *progress) update(done, total int) {
	if p == nil || total == 0 {
		return
	}
	pct := done * 100 / total
	if pct == p.last {
		return
	}
	p.last = pct
	bar := strings.Repeat("█", pct/4) + strings.Repeat("░", 25-pct/4)
	fmt.Fprintf(p.w, "\r%-12s %s %3d%%", p.name, bar, pct)
}

func (p *progress) done() {
	if p == nil {
		return
	}
	fmt.Fprintf(p.w, "\r%-60s\r", "")
}
