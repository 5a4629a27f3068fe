// Command loadfigures measures issue 18's bulk load: it writes a dealer's
// event history as one CSV file (profiles interleaved in time order, as a
// live stream arrives), loads it into a journey store and, with PostgreSQL
// installed, into a table by COPY on a throwaway server on 127.0.0.1, and
// prints both times, both memory figures and a 3-step funnel's counts
// from both (each person entering at the first lead, 30-day window).
//
//	loadfigures -gen events.csv [-people 1000000 -per 20 -seed 1]
//	loadfigures -load events.csv [-people 1000000]
//	loadfigures -pg events.csv
//
// Each mode is its own process (scripts/load-figures.sh runs them), so
// the heap and peak resident memory it prints are its own.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/throughline/throughline/internal/cli"
)

func main() {
	gen := flag.String("gen", "", "write the events CSV to this file")
	load := flag.String("load", "", "load this events CSV into a journey store")
	pg := flag.String("pg", "", "COPY this events CSV into PostgreSQL")
	people := flag.Int("people", 1_000_000, "people (their CRM numbers are p0, p1…)")
	per := flag.Int("per", 20, "events a person")
	seed := flag.Uint64("seed", 1, "seed of the generated history")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, cli.Message("loadfigures", err))
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	ctx := context.Background()
	var err error
	switch {
	case *gen != "":
		err = writeEvents(*gen, *people, *per, *seed)
	case *load != "":
		var r journeyResult
		if r, err = loadJourney(ctx, *load, *people); err == nil {
			r.print(os.Stdout)
		}
	case *pg != "":
		var r pgResult
		if r, err = loadPostgres(ctx, *pg); err == nil {
			r.print(os.Stdout)
		}
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, cli.Message("loadfigures", err))
		os.Exit(1)
	}
}

// The funnel both sides count: lead, test drive, contract, within 30 days
// of each person's first lead.
const window = 30 * 24 * time.Hour
