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

	"github.com/throughline/throughline/identity"
)

// A parsedLine is one input line, decoded by a worker.
type parsedLine struct {
	line int
	e    Event
	err  error
}

// A loadBatch is up to 4,096 lines on their way through Load.
type loadBatch struct {
	seq, first int    // order, and the number of its first line
	data       []byte // the lines, back to back
	ends       []int  // where each line ends in data
	parsed     []parsedLine
}

// Load adds the events of a JSONL stream as adding them one by one would
// (the same report, the same timelines; ReadJSONL is Load): lines are
// parsed on every core, and each batch of 4,096 is resolved and filed under one
// acquisition of the store's lock, grouped by profile so that a profile's
// events land together. progress, when not nil, is called after each batch
// with the lines read so far. A done ctx stops it between batches: the
// batches before are filed.
func (s *Store) Load(ctx context.Context, r io.Reader, progress func(lines int)) (ReadReport, error) {
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs, done := make(chan *loadBatch, workers), make(chan *loadBatch, workers)
	var readErr error
	go func() {
		defer close(jobs)
		readErr = readBatches(ctx, r, jobs)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range jobs {
				start := 0
				for i, end := range b.ends {
					if l := bytes.TrimSpace(b.data[start:end]); len(l) > 0 {
						p := parsedLine{line: b.first + i}
						p.err = p.e.UnmarshalJSON(l)
						b.parsed = append(b.parsed, p)
					}
					start = end
				}
				b.data = nil
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
			s.fileBatch(b.parsed, &rep)
			if progress != nil {
				progress(b.first - 1 + len(b.ends))
			}
		}
	}
	slices.SortFunc(rep.Bad, func(a, b *LineError) int { return cmp.Compare(a.Line, b.Line) })
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("journey: load: %w", err)
	}
	return rep, readErr
}

// readBatches cuts r into batches of 4,096 lines (a line over the reader's
// buffer gathered whole).
func readBatches(ctx context.Context, r io.Reader, jobs chan<- *loadBatch) error {
	br := bufio.NewReaderSize(r, 1<<20)
	line, size := 1, 1<<16
	for seq := 0; ctx.Err() == nil; seq++ {
		b := &loadBatch{seq: seq, first: line, data: make([]byte, 0, size), ends: make([]int, 0, 4096)}
		for len(b.ends) < 4096 {
			start := len(b.data)
			l, err := br.ReadSlice('\n')
			for errors.Is(err, bufio.ErrBufferFull) { // a line over the buffer: gather it whole
				b.data = append(b.data, l...)
				l, err = br.ReadSlice('\n')
			}
			if b.data = append(b.data, l...); len(b.data) > start {
				b.ends = append(b.ends, len(b.data))
				line++
			}
			if err != nil {
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
		jobs <- b
	}
	return nil
}

// fileBatch files a batch of parsed lines under one lock, grouped by
// profile (in line order within a profile, so the first of two events
// with one ID is the one kept, as one by one), and counts them into rep.
func (s *Store) fileBatch(batch []parsedLine, rep *ReadReport) {
	type item struct {
		i int
		p identity.ProfileID
	}
	items := make([]item, 0, len(batch))
	bad := func(line int, err error) { rep.Bad = append(rep.Bad, &LineError{Line: line, Err: err}) }
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range batch {
		pl := &batch[i]
		rep.Lines++
		if pl.err == nil {
			pl.err = s.complete(&pl.e)
		}
		if pl.err != nil {
			bad(pl.line, pl.err)
			continue
		}
		p, err := s.profileOf(pl.e.IDs)
		if err != nil {
			bad(pl.line, err)
			continue
		}
		items = append(items, item{i, p})
	}
	slices.SortStableFunc(items, func(a, b item) int { return a.p.Compare(b.p) })
	for _, it := range items {
		pl := &batch[it.i]
		switch added, err := s.fileOnce(it.p, pl.e); {
		case err != nil:
			bad(pl.line, err)
		case added:
			rep.Added++
		default:
			rep.Duplicates++
		}
	}
}
