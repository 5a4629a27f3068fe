// Command attribution credits conversions to channels with every model side
// by side.
//
//	go run ./examples/attribution -models first,last,last_non_direct,linear,position,time_decay,shapley,markov -order 1 paths.csv > credits.csv
//
// The input is ChannelAttribution's CSV (a header naming path,
// total_conversions and optionally total_conversion_value and total_null;
// ';' or ',' as separator; channels joined by '>'), or journeys JSONL (lines
// of {"touches":[{"channel":…,"time":…}],"conversions":…}), told apart by a
// .jsonl/.ndjson name or a first byte '{'; "-" reads stdin. Time decay
// needs the times only JSONL has; asking for it on CSV is an error that
// says so. Bad rows are reported to stderr with their line numbers (the
// first 20) and skipped; the credits of the rest are written, and the exit
// status is 1 unless -partial accepts partial input. Input with no usable
// path fails; flags are checked before any input is read (status 2).
//
// The output is CSV: model,channel,conversions,value,removal_effect, one row
// per model and channel, channels sorted by name, numbers with full
// precision, removal_effect empty for models without one. P(conversion)
// (Markov) and the totals go to stderr.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/internal/cli"
)

func main() {
	models := flag.String("models", "first,last,last_non_direct,linear,position,shapley,markov", "comma-separated models (time_decay needs JSONL input): first, last, last_non_direct, linear, linear_channel, position, time_decay, shapley, shapley_ordered, shapley_exact, markov, associated")
	order := flag.Int("order", 1, "Markov order (1 to 8)")
	direct := flag.String("direct", "direct,(direct),Direct", "channels last_non_direct skips")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: attribution [-models list] [-order k] paths.csv|paths.jsonl > credits.csv")
		flag.PrintDefaults()
	}
	partial := flag.Bool("partial", false, "accept input with bad rows (reported and skipped) with exit status 0")
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	o := options{path: flag.Arg(0), models: *models, order: *order, direct: strings.Split(*direct, ","), partial: *partial}
	if err := run(o, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, cli.Message("attribution", err))
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func model(name string, order int, direct []string) (attribution.Model, error) {
	switch name {
	case "first":
		return attribution.FirstTouch{}, nil
	case "last":
		return attribution.LastTouch{}, nil
	case "last_non_direct":
		return attribution.LastNonDirect{Direct: direct}, nil
	case "linear":
		return attribution.Linear{}, nil
	case "linear_channel":
		return attribution.Linear{PerChannel: true}, nil
	case "position":
		return attribution.PositionBased{}, nil
	case "time_decay":
		return attribution.TimeDecay{}, nil
	case "shapley":
		return attribution.Shapley{}, nil
	case "shapley_ordered":
		return attribution.Shapley{Variant: attribution.Ordered}, nil
	case "shapley_exact":
		return attribution.Shapley{Variant: attribution.Exact}, nil
	case "markov":
		return attribution.Markov{Order: order}, nil
	case "associated":
		return attribution.Associated{}, nil
	}
	return nil, fmt.Errorf("unknown model %q", name)
}

// errUsage marks a flag value refused before any input is read.
var errUsage = errors.New("usage")

type options struct {
	path, models string
	order        int
	direct       []string
	partial      bool
}

// run reads o.path ("-" for stdin) and writes every model's credit. It
// fails when nothing usable was read, and after writing when rows were bad
// and o.partial is not set.
func run(o options, stdin io.Reader, stdout, stderr io.Writer) error {
	path, models, order, direct := o.path, o.models, o.order, o.direct
	if order < 1 || order > 8 {
		return fmt.Errorf("%w: -order must be 1 to 8, got %d", errUsage, order)
	}
	var ms []attribution.Model
	var names []string
	for _, n := range strings.Split(models, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		m, err := model(n, order, direct)
		if err != nil {
			return err
		}
		ms, names = append(ms, m), append(names, n)
	}
	if len(ms) == 0 {
		return errors.New("no models")
	}
	in := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReaderSize(in, 1<<20)
	first, _ := br.Peek(1)
	jsonl := strings.HasSuffix(path, ".jsonl") || strings.HasSuffix(path, ".ndjson") || bytes.Equal(first, []byte("{"))
	var d *attribution.Dataset
	var bad []*attribution.LineError
	var err error
	if jsonl {
		d, bad, err = attribution.ReadJSONL(context.Background(), br)
	} else {
		d, bad, err = attribution.ReadCSV(context.Background(), br)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if d.Len() == 0 {
		return fmt.Errorf("%s: no usable path (%d bad rows)", path, len(bad))
	}
	rep := &cli.Reporter{W: stderr, Cmd: "attribution"}
	for _, e := range bad {
		rep.Printf("%s: %v", path, e)
	}
	rep.Done()
	w := bufio.NewWriterSize(stdout, 1<<16)
	w.WriteString("model,channel,conversions,value,removal_effect\n")
	var buf []byte
	for i, m := range ms {
		r, err := m.Attribute(context.Background(), d)
		if err != nil {
			if errors.Is(err, attribution.ErrNoTimes) && !jsonl {
				return fmt.Errorf("%s: %w: CSV paths have no touch times; give journeys JSONL or leave time_decay out", names[i], err)
			}
			return fmt.Errorf("%s: %w", names[i], err)
		}
		for _, c := range r.Credits {
			buf = buf[:0]
			buf = append(buf, names[i]...)
			buf = append(buf, ',')
			buf = appendCSVField(buf, c.Channel)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, c.Conversions, 'g', -1, 64)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, c.Value, 'g', -1, 64)
			buf = append(buf, ',')
			if c.HasRemoval {
				buf = strconv.AppendFloat(buf, c.RemovalEffect, 'g', -1, 64)
			}
			buf = append(buf, '\n')
			w.Write(buf)
		}
		if names[i] == "markov" {
			fmt.Fprintf(stderr, "attribution: markov order %d: P(conversion) = %s\n", order, strconv.FormatFloat(r.PConversion, 'g', -1, 64))
		}
		if i == 0 {
			fmt.Fprintf(stderr, "attribution: %d paths (%d rows skipped), %s conversions, %s value\n",
				d.Len(), len(bad), strconv.FormatFloat(r.Conversions, 'g', -1, 64), strconv.FormatFloat(r.Value, 'g', -1, 64))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(bad) > 0 && !o.partial {
		return fmt.Errorf("%s: %d bad rows: %w", path, len(bad), cli.ErrPartial)
	}
	return nil
}

// appendCSVField quotes a channel name that holds a comma, quote or newline.
func appendCSVField(b []byte, s string) []byte {
	if !strings.ContainsAny(s, ",\"\n\r") {
		return append(b, s...)
	}
	b = append(b, '"')
	b = append(b, strings.ReplaceAll(s, `"`, `""`)...)
	return append(b, '"')
}
