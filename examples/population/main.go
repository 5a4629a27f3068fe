// Command population writes a synthetic dealer customer base as the
// observation JSONL that examples/resolve reads, with its ground truth and a
// query file.
//
//	go run ./examples/population -people 1000000 -out obs.jsonl -truth truth.tsv -queries queries.tsv
//
// truth.tsv lists every identifier (kind, a raw spelling, person number, -1
// for identifiers that belong to nobody: junk, showroom tablets);
// queries.tsv samples identifiers in the kind<TAB>value form resolve takes
// (-nqueries 0: all of them, in truth order, for examples/score). -traps
// adds the realistic traps of population.Realistic; -world draws the
// world's behaviour from -seed instead (population.DrawWorld): -seed 1007
// -world is world 7 of the 40 identity's TestAccuracyWorlds judges by.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/throughline/throughline/internal/population"
)

func main() {
	people := flag.Int("people", 10_000, "number of people")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "obs.jsonl", "observations file (- for stdout)")
	truth := flag.String("truth", "", "write ground truth TSV here")
	queries := flag.String("queries", "", "write a queries TSV here")
	nq := flag.Int("nqueries", 10_000, "number of queries (all identifiers when -truth is written and -nqueries is 0)")
	traps := flag.Bool("traps", false, "add the realistic traps: shared family computers, showroom tablets, junk, misattributed calls, forwarded links, cookie churn, second phones and emails")
	world := flag.Bool("world", false, "draw the world's behaviour from -seed (population.DrawWorld), as identity's TestAccuracyWorlds does")
	flag.Parse()
	cfg, err := config(*people, *seed, *traps, *world)
	if err == nil {
		err = run(cfg, *out, *truth, *queries, *nq)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "population:", err)
		os.Exit(1)
	}
}

// config is the generator's configuration for the flags.
func config(people int, seed uint64, traps, world bool) (population.Config, error) {
	cfg := population.Config{People: people, Seed: seed}
	switch {
	case traps && world:
		return cfg, errors.New("-traps and -world are two generators: give one")
	case traps:
		cfg.Traps = population.Realistic()
	case world:
		w := population.DrawWorld(seed)
		cfg.World = &w
	}
	return cfg, nil
}

func create(path string) (*os.File, error) {
	if path == "-" {
		return os.Stdout, nil
	}
	return os.Create(path)
}

func run(cfg population.Config, out, truthPath, queriesPath string, nq int) error {
	start := time.Now()
	people, seed := cfg.People, cfg.Seed
	gen := population.New(cfg)
	f, err := create(out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var line []byte
	n, bytes := 0, 0
	for o := range gen.Observations() {
		line = o.AppendJSON(line[:0])
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			return err
		}
		n++
		bytes += len(line)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if f != os.Stdout {
		if err := f.Close(); err != nil {
			return err
		}
	}
	ids := 0
	if truthPath != "" || queriesPath != "" {
		var tw, qw *bufio.Writer
		var tf, qf *os.File
		if truthPath != "" {
			if tf, err = create(truthPath); err != nil {
				return err
			}
			tw = bufio.NewWriterSize(tf, 1<<20)
		}
		if queriesPath != "" {
			if qf, err = create(queriesPath); err != nil {
				return err
			}
			qw = bufio.NewWriterSize(qf, 1<<20)
		}
		total := 0
		for range gen.Identifiers() {
			total++
		}
		rng := rand.New(rand.NewPCG(seed, 99))
		for id, p := range gen.Identifiers() {
			ids++
			if tw != nil {
				fmt.Fprintf(tw, "%s\t%s\t%d\n", id.Kind, id.Value, p)
			}
			// Reservoir-free sampling: keep each identifier with probability nq/total.
			if qw != nil && (nq == 0 || rng.IntN(total) < nq) {
				fmt.Fprintf(qw, "%s\t%s\n", id.Kind, id.Value)
			}
		}
		if qw != nil && nq != 0 {
			// A few identifiers nobody has, so answers include empty profiles.
			fmt.Fprintf(qw, "email\tnobody@example.com\nphone\t+7 000\ncookie\tGA1.2.1.1\n")
		}
		for _, pair := range []struct {
			w *bufio.Writer
			f *os.File
		}{{tw, tf}, {qw, qf}} {
			if pair.w == nil {
				continue
			}
			if err := pair.w.Flush(); err != nil {
				return err
			}
			if pair.f != os.Stdout {
				if err := pair.f.Close(); err != nil {
					return err
				}
			}
		}
	}
	fmt.Fprintf(os.Stderr, "population: %d people, %d observations, %.1f MB, %d identifiers in %.1fs\n",
		people, n, float64(bytes)/1e6, ids, time.Since(start).Seconds())
	return nil
}
