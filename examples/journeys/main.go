// Command journeys turns events into attribution paths: one path per
// conversion, the touches of the person's journey before it, across every
// device the resolution joined.
//
//	go run ./examples/resolve -observations obs.jsonl -queries ids.tsv |
//	    go run ./examples/journeys -events events.jsonl > paths.csv
//	go run ./examples/attribution paths.csv
//
// The profiles come on stdin (or -profiles FILE) in examples/resolve's
// answer format, kind<TAB>raw value<TAB>profile ID a line; identifiers
// with an empty profile are skipped. The events are journey's JSONL (see
// journey.Event.UnmarshalJSON). Each event is filed under the profile of
// its first identifier that the answer names; events none of whose
// identifiers it names are reported (the first 20) and left out. Malformed lines of either
// file (the first 20 are reported with file and line number, lines over 1
// MiB included) are skipped; the paths of the rest are written and the exit
// status is 1 unless -partial accepts partial input. Flags are checked
// before any input is read (status 2); no event filed, or none of a
// conversion type, fails.
//
// The output is ChannelAttribution's CSV, the one examples/attribution
// reads: path;total_conversions;total_conversion_value;total_null, one row
// per distinct channel sequence (channels joined by " > "), value in major
// units (minor units / 100), rows sorted by path. With -format jsonl it is
// attribution's journeys JSONL instead, one path a line with touch times, so
// that time decay can run on it. A touch's channel is the one the event
// carries (journey.Touch.Channel, as package channel classified it) or
// "source / medium". A journey that did not convert counts as a null.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/cli"
	"github.com/throughline/throughline/journey"
)

func main() {
	var o options
	flag.StringVar(&o.events, "events", "", "events JSONL (required)")
	flag.StringVar(&o.profiles, "profiles", "-", "examples/resolve's answer TSV; - for stdin")
	conv := flag.String("conversions", "contract", "comma-separated event types that count as conversions")
	flag.DurationVar(&o.lookback, "lookback", 90*24*time.Hour, "how far before a conversion touches count")
	flag.StringVar(&o.format, "format", "csv", "csv (ChannelAttribution's) or jsonl (with touch times)")
	flag.BoolVar(&o.partial, "partial", false, "accept input with malformed lines (reported and skipped) with exit status 0")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: resolve ... | journeys -events events.jsonl [-conversions contract] [-format csv|jsonl] > paths.csv")
		flag.PrintDefaults()
	}
	flag.Parse()
	o.conversions = strings.Split(*conv, ",")
	if o.events == "" || flag.NArg() > 0 || (o.format != "csv" && o.format != "jsonl") {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(o, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, cli.Message("journeys", err))
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

type options struct {
	events, profiles, format string
	conversions              []string
	lookback                 time.Duration
	partial                  bool
}

// profileKind is a host kind holding resolve's profile IDs, so the answer's
// grouping becomes a graph: every identifier observed with its profile ID.
const profileKind identity.Kind = "profile"

// errUsage marks a flag value refused before any input is read.
var errUsage = errors.New("usage")

// run files the events under the answer's profiles and writes the paths.
// It fails when no event was filed, or when none is of a conversion type
// (a typo in -conversions would otherwise give no conversions at all).
func run(o options, stdin io.Reader, stdout, stderr io.Writer) error {
	if o.lookback <= 0 {
		return fmt.Errorf("%w: -lookback must be positive, got %v", errUsage, o.lookback)
	}
	if slices.Contains(o.conversions, "") {
		return fmt.Errorf("%w: -conversions names an empty type", errUsage)
	}
	kinds := append(identity.BuiltinKinds("RU"), identity.KindSpec{Kind: profileKind, Class: identity.Hard, Rank: 1,
		Normalizer: identity.NormalizerFunc(func(s string) (string, error) {
			p, err := identity.ParseProfileID(s)
			if err != nil {
				return "", err
			}
			return p.String(), nil
		})})
	// The resolution is already made: join exactly as the answer says.
	g, err := identity.New(&identity.Options{Kinds: kinds, Policy: identity.Policy{Disabled: true}})
	if err != nil {
		return err
	}
	in, name := stdin, "stdin"
	if o.profiles != "-" {
		f, err := os.Open(o.profiles)
		if err != nil {
			return err
		}
		defer f.Close()
		in, name = f, o.profiles
	}
	events, err := os.Open(o.events) // before reading: a wrong path fails at once
	if err != nil {
		return err
	}
	defer events.Close()
	rep := &cli.Reporter{W: stderr, Cmd: "journeys"}
	mapped, skipped, err := readProfiles(g, in, name, rep)
	if err != nil {
		return err
	}
	if mapped == 0 {
		return errors.New("no profiles read: pipe examples/resolve's answer in, or give -profiles")
	}
	convs := make([]journey.EventType, len(o.conversions))
	for i, c := range o.conversions {
		convs[i] = journey.EventType(c)
	}
	s, err := journey.New(g, &journey.Options{Conversions: convs})
	if err != nil {
		return fmt.Errorf("%w: -conversions: %w", errUsage, err)
	}
	read, err := s.Load(context.Background(), events, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", o.events, err)
	}
	unresolved := &cli.Reporter{W: stderr, Cmd: "journeys"}
	for _, b := range read.Bad {
		if errors.Is(b.Err, journey.ErrNoProfile) {
			// A person the answer does not hold: left out, not bad input.
			unresolved.Printf("events %s line %d: %v", o.events, b.Line, b.Err)
			continue
		}
		rep.Printf("events %s line %d: %v", o.events, b.Line, b.Err)
	}
	unresolved.Done()
	rep.Done()
	if read.Added == 0 {
		return fmt.Errorf("%s: no event filed under the answer's profiles (%d left out)", o.events, len(read.Bad))
	}
	paths, err := s.AllPaths(context.Background(), journey.PathOptions{Lookback: o.lookback})
	if err != nil {
		return err
	}
	conversions := 0.0
	for _, p := range paths {
		conversions += p.Conversions
	}
	if conversions == 0 {
		return fmt.Errorf("%s: no event of the conversion types %v among %d events (check -conversions)", o.events, o.conversions, read.Added)
	}
	fmt.Fprintf(stderr, "journeys: %d identifiers in %d profiles (%d unresolved skipped), %d events (%d duplicates, %d left out: %d of people the answer does not hold, %d malformed), %d paths\n",
		mapped, len(s.Profiles()), skipped, read.Added, read.Duplicates, len(read.Bad), unresolved.Count(), rep.Count(), len(paths))
	bw := bufio.NewWriter(stdout)
	if o.format == "jsonl" {
		writeJSONL(bw, paths)
	} else {
		writeCSV(bw, paths)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if rep.Count() > 0 && !o.partial {
		return fmt.Errorf("%d malformed lines: %w", rep.Count(), cli.ErrPartial)
	}
	return nil
}

// readProfiles joins each identifier of resolve's answer to its profile
// in g; identifiers with an empty profile are counted as skipped, and
// malformed lines go to rep.
func readProfiles(g *identity.Graph, in io.Reader, name string, rep *cli.Reporter) (mapped, skipped int, err error) {
	lines := cli.NewLines(in)
	for lines.Next() {
		line := lines.Number()
		if lines.Long() {
			rep.Printf("profiles %s line %d: longer than %d bytes, skipped", name, line, cli.MaxLine)
			continue
		}
		text := string(lines.Line())
		f := strings.Split(text, "\t")
		if len(f) != 3 {
			if strings.TrimSpace(text) != "" {
				rep.Printf("profiles %s line %d: want kind<TAB>value<TAB>profile", name, line)
			}
			continue
		}
		if f[2] == "" {
			skipped++
			continue
		}
		if _, err := g.Observe(identity.Observation{Source: "resolve", IDs: []identity.ID{{Kind: identity.Kind(f[0]), Value: f[1]}, {Kind: profileKind, Value: f[2]}}}); err != nil {
			rep.Printf("profiles %s line %d: %v", name, line, err)
			continue
		}
		mapped++
	}
	if err := lines.Err(); err != nil {
		return mapped, skipped, fmt.Errorf("profiles %s: %w", name, err)
	}
	return mapped, skipped, nil
}

// writeCSV aggregates paths by channel sequence.
func writeCSV(w *bufio.Writer, paths []attribution.Path) {
	type agg struct{ conv, value, nulls float64 }
	rows := map[string]*agg{}
	for _, p := range paths {
		if len(p.Touches) == 0 {
			continue // a conversion with no touch before it credits nobody
		}
		key := strings.Join(p.Channels(), " > ")
		a := rows[key]
		if a == nil {
			a = &agg{}
			rows[key] = a
		}
		a.conv += p.Conversions
		a.value += p.Value / 100
		a.nulls += p.Nulls
	}
	keys := make([]string, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	w.WriteString("path;total_conversions;total_conversion_value;total_null\n")
	for _, k := range keys {
		a := rows[k]
		fmt.Fprintf(w, "%s;%s;%s;%s\n", k, num(a.conv), num(a.value), num(a.nulls))
	}
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// writeJSONL writes one path a line in attribution's journeys schema.
func writeJSONL(w *bufio.Writer, paths []attribution.Path) {
	type touch struct {
		Channel string    `json:"channel"`
		Time    time.Time `json:"time"`
	}
	type line struct {
		Touches     []touch    `json:"touches"`
		Conversions float64    `json:"conversions"`
		Value       float64    `json:"value"`
		Nulls       float64    `json:"nulls"`
		ConvertedAt *time.Time `json:"converted_at,omitempty"`
	}
	enc := json.NewEncoder(w)
	for _, p := range paths {
		if len(p.Touches) == 0 {
			continue
		}
		l := line{Conversions: p.Conversions, Value: p.Value / 100, Nulls: p.Nulls}
		for _, t := range p.Touches {
			l.Touches = append(l.Touches, touch{t.Channel, t.Time})
		}
		if !p.ConvertedAt.IsZero() {
			at := p.ConvertedAt
			l.ConvertedAt = &at
		}
		enc.Encode(l)
	}
}
