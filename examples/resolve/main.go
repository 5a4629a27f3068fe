// Command resolve builds profiles from observations and answers which
// profile each queried identifier belongs to.
//
//	go run ./examples/resolve -observations obs.jsonl -queries queries.tsv > answer.tsv
//
// obs.jsonl holds one observation a line:
//
//	{"time":"2026-06-01T10:43:01Z","source":"web_form","ids":[{"kind":"email","value":"Ivan.Petrov@Gmail.com"},{"kind":"phone","value":"8 (916) 123-45-67"}]}
//
// Kinds are email, phone, cookie, device and crm. An identifier that does not
// normalize is skipped and counted, never fatal; a malformed line is reported
// with its line number (the first 20) and skipped, the answer for the rest is
// written, and the exit status is 1 unless -partial accepts partial input;
// blank lines are ignored. No usable observation at all fails; flags and the
// queries file are checked before the observations are read.
//
// queries.tsv holds kind<TAB>raw value a line. The answer has one line per
// query, in query order: kind<TAB>raw value<TAB>profile ID, the profile empty
// where no profile holds the identifier (or it does not normalize).
//
// A summary goes to stderr: lines read, what was skipped and why, profiles,
// wall time and peak memory, with a progress line every few seconds on long
// inputs. The input streams: memory grows with the graph, not the file.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/cli"
)

func main() {
	obsPath := flag.String("observations", "", "observations JSONL file (required; - for stdin)")
	queryPath := flag.String("queries", "", "queries TSV file (kind<TAB>value a line)")
	region := flag.String("phone-region", "RU", "default region for phone numbers")
	quiet := flag.Bool("quiet", false, "no progress lines")
	noRules := flag.Bool("no-rules", false, "turn the merge rules off: profiles are the connected components of the observations")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile here")
	partial := flag.Bool("partial", false, "accept input with malformed lines (reported and skipped) with exit status 0")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: resolve -observations obs.jsonl [-queries queries.tsv] > answer.tsv")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *obsPath == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	// The graph is a few large pointer-free chunks, so frequent collections
	// are cheap, while the default GOGC=100 would let parsing garbage double
	// the peak memory. A GOGC set by the user wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "resolve:", err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	opts := &identity.Options{PhoneRegion: *region, Policy: identity.Policy{Disabled: *noRules}}
	if err := (identity.PhoneNormalizer{Region: *region}).Check(); err != nil {
		fmt.Fprintln(os.Stderr, cli.Message("resolve", fmt.Errorf("-phone-region: %w", err)))
		os.Exit(2)
	}
	if err := run(*obsPath, *queryPath, opts, *quiet, *partial, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, cli.Message("resolve", err))
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func open(path string) (io.ReadCloser, error) {
	if path == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	return os.Open(path)
}

func run(obsPath, queryPath string, opts *identity.Options, quiet, partial bool, stdout, stderr io.Writer) error {
	start := time.Now()
	// The queries file is opened first: a wrong path fails before a long
	// load, not after it.
	var queries io.ReadCloser
	if queryPath != "" {
		q, err := open(queryPath)
		if err != nil {
			return err
		}
		defer q.Close()
		queries = q
	}
	in, err := open(obsPath)
	if err != nil {
		return err
	}
	defer in.Close()
	var size int64
	if f, ok := in.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			size = st.Size()
		}
	}
	// About one new identifier per 160 bytes of observations.
	o := identity.Options{}
	if opts != nil {
		o = *opts
	}
	o.SizeHint = int(size / 160)
	g, err := identity.New(&o)
	if err != nil {
		return err
	}
	var progress func(lines int, read int64)
	if !quiet {
		last := time.Now()
		progress = func(lines int, read int64) {
			if time.Since(last) < 3*time.Second {
				return
			}
			last = time.Now()
			pct := ""
			if size > 0 {
				pct = fmt.Sprintf(" (%.0f%%)", 100*float64(read)/float64(size))
			}
			fmt.Fprintf(stderr, "resolve: %d lines, %.0f MB%s, %.1fs\n", lines, float64(read)/1e6, pct, time.Since(start).Seconds())
		}
	}
	st, err := load(g, in, stderr, progress)
	if err != nil {
		return err
	}
	loaded := time.Since(start)
	answered := 0
	if queries != nil {
		if answered, err = answer(g, queries, stdout); err != nil {
			return fmt.Errorf("%s: %w", queryPath, err)
		}
	}
	gs := g.Stats()
	fmt.Fprintf(stderr, "resolve: %d lines read, %d observations applied, %d lines skipped (malformed), %d observations without a valid identifier\n",
		st.lines, st.applied, st.badLines, st.empty)
	if len(st.skipped) > 0 {
		keys := make([]string, 0, len(st.skipped))
		for k := range st.skipped {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, st.skipped[k]))
		}
		fmt.Fprintf(stderr, "resolve: identifiers skipped: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(stderr, "resolve: %d identifiers in %d profiles, %d quarantined; %d queries answered\n", gs.Identifiers, gs.Profiles, gs.Quarantined, answered)
	fmt.Fprintf(stderr, "resolve: wall %.2fs (load %.2fs), peak memory %.0f MB\n",
		time.Since(start).Seconds(), loaded.Seconds(), float64(peakRSS())/1e6)
	if st.applied == 0 {
		return fmt.Errorf("%s: no usable observation in %d lines", obsPath, st.lines)
	}
	if st.badLines > 0 && !partial {
		return fmt.Errorf("%s: %d malformed lines: %w", obsPath, st.badLines, cli.ErrPartial)
	}
	return nil
}

type loadStats struct {
	lines, applied, badLines, empty int
	skipped                         map[string]int // "kind: reason class" -> count
}

// A batch of raw lines travels from the reader to a worker and back, in
// order, as prepared observations (or, for queries, answers).
type batch struct {
	seq       int
	firstLine int
	data      []byte // the lines, back to back
	ends      []int  // end offset of each line in data
	prepared  []identity.Prepared
	badLines  []string // "line N: error"
	skipped   map[string]int
	lines     int
	readBytes int64
	out       []byte // answers, for queries
}

const batchLines = 4096

// load reads observations on one goroutine, parses and normalizes them on
// every core, and applies them in file order on this one.
func load(g *identity.Graph, in io.Reader, stderr io.Writer, progress func(int, int64)) (loadStats, error) {
	st := loadStats{skipped: map[string]int{}}
	rep := &cli.Reporter{W: stderr, Cmd: "resolve"}
	err := pipeline(in, func(b *batch) { prepare(g, b) }, func(b *batch) error {
		st.lines += b.lines
		st.badLines += len(b.badLines)
		for _, msg := range b.badLines {
			rep.Printf("%s", msg)
		}
		for k, n := range b.skipped {
			st.skipped[k] += n
		}
		_, err := g.ObserveBatch(b.prepared)
		for _, p := range b.prepared {
			if p.Len() > 0 {
				st.applied++
			} else {
				st.empty++
			}
		}
		if err != nil && !errors.Is(err, identity.ErrNoIdentifiers) {
			return err
		}
		if progress != nil {
			progress(st.lines, b.readBytes)
		}
		return nil
	})
	rep.Done()
	return st, err
}

// pipeline reads in as batches of lines on one goroutine, runs work on
// each batch on every core, and hands the batches to apply in read order
// on this one. The first error, apply's or the reader's, is returned; the
// batches after it are drained, not applied.
func pipeline(in io.Reader, work func(*batch), apply func(*batch) error) error {
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan *batch, workers)
	done := make(chan *batch, workers)
	var readErr error
	go func() {
		defer close(jobs)
		readErr = readBatches(in, jobs)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range jobs {
				work(b)
				done <- b
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	pending := map[int]*batch{}
	next := 0
	var err error
	for b := range done {
		pending[b.seq] = b
		for b, ok := pending[next]; ok; b, ok = pending[next] {
			delete(pending, next)
			next++
			if err == nil {
				err = apply(b)
			}
		}
	}
	if err != nil {
		return err
	}
	return readErr
}

func readBatches(in io.Reader, jobs chan<- *batch) error {
	r := bufio.NewReaderSize(in, 1<<20)
	line, seq := 1, 0
	var read int64
	b := &batch{firstLine: line}
	flush := func() {
		b.seq = seq
		b.readBytes = read
		size := len(b.data) // read before the send: the worker owns b after it
		jobs <- b
		seq++
		b = &batch{firstLine: line, data: make([]byte, 0, size), ends: make([]int, 0, batchLines)}
	}
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it whole.
			long := append([]byte(nil), chunk...)
			for errors.Is(err, bufio.ErrBufferFull) {
				chunk, err = r.ReadSlice('\n')
				long = append(long, chunk...)
			}
			chunk = long
		}
		if len(chunk) > 0 {
			read += int64(len(chunk))
			b.data = append(b.data, chunk...)
			b.ends = append(b.ends, len(b.data))
			line++
			if len(b.ends) == batchLines {
				flush()
			}
		}
		if err == io.EOF {
			if len(b.ends) > 0 {
				flush()
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func prepare(g *identity.Graph, b *batch) {
	b.skipped = map[string]int{}
	b.prepared = make([]identity.Prepared, 0, len(b.ends))
	start := 0
	var o identity.Observation
	for i, end := range b.ends {
		raw := bytes.TrimRight(b.data[start:end], "\r\n")
		start = end
		b.lines++
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		if err := o.UnmarshalJSON(raw); err != nil {
			b.badLines = append(b.badLines, "line "+strconv.Itoa(b.firstLine+i)+": "+err.Error())
			continue
		}
		p, err := g.Prepare(o)
		if err != nil {
			countSkipped(b.skipped, err)
		}
		b.prepared = append(b.prepared, p)
	}
	b.data, b.ends = nil, nil
}

// countSkipped counts each skipped identifier by kind and class of reason.
func countSkipped(m map[string]int, err error) {
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var pe *identity.ParseError
		kind := "?"
		if errors.As(e, &pe) {
			kind = string(pe.Kind)
		}
		class := "malformed"
		switch {
		case errors.Is(e, identity.ErrEmpty):
			class = "empty"
		case errors.Is(e, identity.ErrRefused):
			class = "refused"
		case errors.Is(e, identity.ErrUnknownKind):
			class = "unknown kind"
		}
		m[kind+": "+class]++
	}
}

// answer resolves each query line and writes kind, value and profile.
func answer(g *identity.Graph, in io.Reader, stdout io.Writer) (int, error) {
	// Queries are answered on every core (ResolveAll takes the graph's read
	// lock, which readers share, once for a batch's lines, whose lookups
	// it overlaps), and written in query order.
	w := bufio.NewWriterSize(stdout, 1<<20)
	n := 0
	err := pipeline(in, func(b *batch) {
		b.out = make([]byte, 0, len(b.data)+len(b.data)/2)
		ids := make([]identity.ID, 0, len(b.ends))
		start := 0
		for _, end := range b.ends {
			line := strings.TrimRight(string(b.data[start:end]), "\r\n")
			start = end
			kind, value, _ := strings.Cut(line, "\t")
			ids = append(ids, identity.ID{Kind: identity.Kind(kind), Value: value})
		}
		for i, p := range g.ResolveAll(make([]identity.ProfileID, 0, len(ids)), ids) {
			b.out = append(append(append(append(b.out, ids[i].Kind...), '\t'), ids[i].Value...), '\t')
			if !p.IsZero() {
				b.out, _ = p.AppendText(b.out)
			}
			b.out = append(b.out, '\n')
		}
		b.data = nil
	}, func(b *batch) error {
		n += len(b.ends)
		_, err := w.Write(b.out)
		return err
	})
	if err != nil {
		return n, err
	}
	return n, w.Flush()
}

// peakRSS reads the process's peak resident set (Linux); elsewhere it falls
// back to the memory the Go runtime obtained from the OS.
func peakRSS() int64 {
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
				f := strings.Fields(rest)
				if len(f) >= 1 {
					if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						return kb * 1024
					}
				}
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.Sys)
}
