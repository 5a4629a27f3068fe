package journey

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"sync"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
)

// A parsedLine is one input line, decoded, and resolved, by a worker.
type parsedLine struct {
	line int
	e    Event
	err  error
	p    identity.ProfileID // the profile e resolves to, when err is nil
	at   int                // the index of the identifier that resolved
	key  [2]uint64          // listKey of e.IDs
}

// A loadBatch is up to 4,096 lines on their way through Load.
type loadBatch struct {
	seq, first int    // order, and the number of its first line
	next       int    // the number of the line after its last
	data       []byte // the records, back to back
	ends       []int  // where each record ends in data
	lines      []int  // the number of each record's first line
	parsed     []parsedLine
	follows    uint64               // Follow calls before the batch was resolved
	ids        []identity.ID        // parseBatch's scratch: identifiers to resolve
	resolved   []identity.ProfileID // and what they resolve to
}

// Load adds the events of a JSONL stream as adding them one by one would
// (the same report, the same timelines; ReadJSONL is Load): lines are
// parsed, and their identifiers resolved, on every core, and each batch
// of 4,096 is filed under one acquisition of the store's lock. progress, when
// not nil, is called after each batch with the lines read so far. A done
// ctx stops it between batches: the batches before are filed.
func (s *Store) Load(ctx context.Context, r io.Reader, progress func(lines int)) (ReadReport, error) {
	decoder := func() func([]byte, *Event) error {
		return func(l []byte, e *Event) error { return e.UnmarshalJSON(l) }
	}
	return s.load(ctx, r, 1, nil, decoder, progress)
}

// LoadCSV adds the events of a CSV stream (the format above csvLayout:
// a header naming the columns, then one event a line) as Load adds JSONL:
// on every core, batch by batch, with the same report; its line numbers
// count the header as line 1. A header it cannot read is an error
// (ErrCSVHeader) and nothing is added.
func (s *Store) LoadCSV(ctx context.Context, r io.Reader, progress func(lines int)) (ReadReport, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := br.ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, bufio.ErrBufferFull) {
			err = fmt.Errorf("%w: over 1 MiB", ErrCSVHeader)
		}
		return ReadReport{}, fmt.Errorf("journey: load CSV: %w", err)
	}
	l, err := parseCSVHeader(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")))
	if err != nil {
		return ReadReport{}, err
	}
	decoder := func() func([]byte, *Event) error { return newCSVDecoder(l).decode }
	return s.load(ctx, br, 2, csvQuoteOpen, decoder, progress)
}

// load runs the pipeline: a reader cuts batches, workers decode (each
// with a decoder of its own) and resolve them, and batches are filed in
// input order.
func (s *Store) load(ctx context.Context, r io.Reader, firstLine int, open quoteState, decoder func() func([]byte, *Event) error, progress func(lines int)) (ReadReport, error) {
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs, done := make(chan *loadBatch, workers), make(chan *loadBatch, workers)
	// Filed batches go back to the reader, buffers and all: 20M events
	// would otherwise allocate (and the collector sweep) gigabytes of them.
	free := make(chan *loadBatch, 2*workers+2)
	var readErr error
	go func() {
		defer close(jobs)
		readErr = readBatches(ctx, r, firstLine, open, jobs, free)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			decode, k := decoder(), &listKeyer{seed: s.keySeed}
			for b := range jobs {
				s.parseBatch(b, decode, k)
				done <- b
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	var rep ReadReport
	pending := map[int]*loadBatch{}
	next := 0
	for b := range done {
		pending[b.seq] = b
		for b, ok := pending[next]; ok; b, ok = pending[next] {
			delete(pending, next)
			next++
			if ctx.Err() != nil {
				continue // drain the workers; nothing more is filed
			}
			s.fileBatch(b, &rep)
			if progress != nil {
				progress(b.next - firstLine)
			}
			clear(b.parsed) // what the events referred to is the store's now, or garbage
			b.parsed, b.ends, b.lines, b.data = b.parsed[:0], b.ends[:0], b.lines[:0], b.data[:0]
			select {
			case free <- b:
			default:
			}
		}
	}
	slices.SortFunc(rep.Bad, func(a, b *LineError) int { return cmp.Compare(a.Line, b.Line) })
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("journey: load: %w", err)
	}
	return rep, readErr
}

// parseBatch decodes a batch's lines and resolves their identifiers,
// outside the store's lock: resolving reads the graph, which is safe for
// concurrent use, and fileBatch resolves again if a Follow ran since.
func (s *Store) parseBatch(b *loadBatch, decode func([]byte, *Event) error, k *listKeyer) {
	b.follows = s.follows.Load()
	b.parsed = slices.Grow(b.parsed, len(b.ends))
	start := 0
	for i, end := range b.ends {
		if !b.parse(b.data[start:end], b.lines[i], decode, k) {
			// A record over several lines that does not decode: its quote
			// was a stray one, so each line is a record of its own.
			rec := b.data[start:end]
			for n := b.lines[i]; len(rec) > 0; n++ {
				l := rec[:bytes.IndexByte(rec, '\n')+1]
				if len(l) == 0 {
					l = rec
				}
				b.parse(l, n, decode, k)
				rec = rec[len(l):]
			}
		}
		start = end
	}
	// Resolved a few hundred identifiers at a time: their misses overlap,
	// and the graph's writers wait for no more than that.
	for i := 0; i < len(b.parsed); {
		b.ids = b.ids[:0]
		j := i
		for ; j < len(b.parsed) && len(b.ids) < 256; j++ {
			if b.parsed[j].err == nil {
				b.ids = append(b.ids, b.parsed[j].e.IDs...)
			}
		}
		ps := s.graph.ResolveAll(b.resolved[:0], b.ids)
		b.resolved = ps
		for ; i < j; i++ {
			if pl := &b.parsed[i]; pl.err == nil {
				pl.p, pl.at, pl.err = firstResolved(ps[:len(pl.e.IDs)])
				ps = ps[len(pl.e.IDs):]
			}
		}
	}
	clear(b.ids) // the strings are the events'
}

// parse decodes rec, whose first line is number line, into b.parsed; it
// reports false, parsing nothing, for a record of several lines that
// does not decode.
func (b *loadBatch) parse(rec []byte, line int, decode func([]byte, *Event) error, k *listKeyer) bool {
	l := bytes.TrimSpace(rec)
	if len(l) == 0 {
		return true
	}
	// Decoded in place: a line on the stack would escape to the heap
	// through decode, once for each of millions. A record of several
	// lines is decoded from a copy, since decoding may rewrite the bytes
	// (CSV unquotes in place) and the lines are read again if it fails.
	lines := bytes.IndexByte(l, '\n') >= 0
	if lines {
		l = bytes.Clone(l)
	}
	b.parsed = append(b.parsed, parsedLine{line: line})
	pl := &b.parsed[len(b.parsed)-1]
	if pl.err = decode(l, &pl.e); pl.err == nil {
		pl.key = k.key(pl.e.IDs)
	} else if lines {
		b.parsed = b.parsed[:len(b.parsed)-1]
		pl.e = Event{}
		return false
	}
	return true
}

// readBatches cuts r into batches of 4,096 records (a line over the
// reader's buffer gathered whole). A record is a line, or with open (a
// CSV's) the lines up to the one that closes a quoted field a line left
// open, up to maxRecordLines of them. A quote still open after those, or
// at the end of the input, makes a record that does not decode, and
// parseBatch reads each of its lines as a record of its own: a stray
// quote loses no more than its line.
func readBatches(ctx context.Context, r io.Reader, line int, open quoteState, jobs chan<- *loadBatch, free <-chan *loadBatch) error {
	br := bufio.NewReaderSize(r, 1<<20)
	size := 1 << 16
	for seq := 0; ctx.Err() == nil; seq++ {
		var b *loadBatch
		select {
		case b = <-free:
			b.seq, b.first = seq, line
		default:
			b = &loadBatch{seq: seq, first: line, data: make([]byte, 0, size), ends: make([]int, 0, 4096), lines: make([]int, 0, 4096)}
		}
		for len(b.ends) < 4096 {
			first, quoted := line, false
			var err error
			for {
				start := len(b.data)
				var l []byte
				l, err = br.ReadSlice('\n')
				for errors.Is(err, bufio.ErrBufferFull) { // a line over the buffer: gather it whole
					b.data = append(b.data, l...)
					l, err = br.ReadSlice('\n')
				}
				if b.data = append(b.data, l...); len(b.data) == start {
					break // nothing more
				}
				line++
				if open == nil {
					break
				}
				if quoted = open(b.data[start:], quoted); !quoted || err != nil || line-first == maxRecordLines {
					break
				}
			}
			if line > first {
				b.ends, b.lines = append(b.ends, len(b.data)), append(b.lines, first)
			}
			if err != nil {
				b.next = line
				if len(b.ends) > 0 {
					jobs <- b
				}
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
		size = len(b.data) // the next batch is about as big
		b.next = line
		jobs <- b
	}
	return nil
}

// A quoteState reports whether a record is inside a quoted field after
// line, given whether it was before (CSV's csvQuoteOpen).
type quoteState func(line []byte, inside bool) bool

// maxRecordLines bounds the lines one record may span.
const maxRecordLines = 256

// readAheadGroup is how many lines fileBatch reads ahead at a time: the
// lines' cache lines stay in cache until filed.
const readAheadGroup = 256

// fileBatch files a batch of parsed lines under one lock, in line order
// (so the first of two events with one ID is the one kept, as one by
// one), and counts them into rep.
func (s *Store) fileBatch(b *loadBatch, rep *ReadReport) {
	bad := func(line int, err error) { rep.Bad = append(rep.Bad, &LineError{Line: line, Err: err}) }
	s.mu.Lock()
	defer s.mu.Unlock()
	again := s.follows.Load() != b.follows // the graph moved: resolve again
	for i := range b.parsed {
		if i%readAheadGroup == 0 && !again {
			group := b.parsed[i:min(i+readAheadGroup, len(b.parsed))]
			s.readAhead(len(group), func(i int) (uuid.UUID, identity.ProfileID, [2]uint64, bool) {
				return group[i].e.ID, group[i].p, group[i].key, group[i].err == nil
			})
		}
		pl := &b.parsed[i]
		rep.Lines++
		if again && (pl.err == nil || errors.Is(pl.err, ErrNoProfile)) {
			pl.p, pl.at, pl.err = s.profileAt(pl.e.IDs)
		}
		if pl.err == nil {
			pl.err = s.complete(&pl.e)
		}
		if pl.err != nil {
			bad(pl.line, pl.err)
			continue
		}
		switch added, err := s.fileKeyed(pl.p, pl.e, pl.key); {
		case err != nil:
			bad(pl.line, err)
		case added:
			rep.Added++
			if pl.at > 0 {
				s.fellBack(pl.e.ID, pl.p)
			}
		default:
			rep.Duplicates++
		}
	}
}
