package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

type journeyResult struct {
	people, events  int
	bad             int
	graph, load     time.Duration
	funnel          time.Duration
	heap            uint64 // the store's, after a collection
	peakRSS         uint64
	reached         []int
	bytesPerEvent   float64
	eventsPerSecond float64
}

// loadJourney observes each person's CRM number (the CRM export a dealer
// loads first), then loads the events file with LoadCSV and counts the
// funnel.
func loadJourney(ctx context.Context, path string, people int) (journeyResult, error) {
	var r journeyResult
	t0 := time.Now()
	g, err := identity.New(nil)
	if err != nil {
		return r, err
	}
	batch := make([]identity.Prepared, 0, 4096)
	for p := range people {
		pr, err := g.Prepare(identity.Observation{Source: "crm_import", IDs: []identity.ID{{Kind: identity.CRM, Value: fmt.Sprint("p", p)}}})
		if err != nil {
			return r, err
		}
		if batch = append(batch, pr); len(batch) == cap(batch) || p == people-1 {
			if _, err := g.ObserveBatch(batch); err != nil {
				return r, err
			}
			batch = batch[:0]
		}
	}
	r.graph = time.Since(t0)
	f, err := os.Open(path)
	if err != nil {
		return r, err
	}
	defer f.Close()
	before := liveHeap()
	s, err := journey.New(g, &journey.Options{SizeHint: people * 20})
	if err != nil {
		return r, err
	}
	t1 := time.Now()
	rep, err := s.LoadCSV(ctx, f, nil)
	r.load = time.Since(t1)
	if err != nil {
		return r, err
	}
	if rep.Added == 0 {
		return r, fmt.Errorf("no event loaded (%d lines, %d bad)", rep.Lines, len(rep.Bad))
	}
	r.heap = liveHeap() - before
	r.people, r.events, r.bad = len(s.Profiles()), rep.Added, len(rep.Bad)
	t2 := time.Now()
	res, err := s.Funnel(ctx, journey.Funnel{Steps: []journey.FunnelStep{{Type: journey.Lead}, {Type: journey.TestDrive}, {Type: journey.Contract}},
		Window: window, Anchor: journey.AnchorFirst})
	r.funnel = time.Since(t2)
	if err != nil {
		return r, err
	}
	r.reached = res.Reached
	r.peakRSS = peakRSS()
	r.bytesPerEvent = float64(r.heap) / float64(r.events)
	r.eventsPerSecond = float64(r.events) / r.load.Seconds()
	runtime.KeepAlive(s)
	return r, nil
}

func (r journeyResult) print(w io.Writer) {
	fmt.Fprintf(w, "journey: %d events of %d profiles (%d bad lines)\n", r.events, r.people, r.bad)
	fmt.Fprintf(w, "journey: CRM numbers observed in %.2f s; LoadCSV %.2f s (%.0f events/s)\n", r.graph.Seconds(), r.load.Seconds(), r.eventsPerSecond)
	fmt.Fprintf(w, "journey: store heap %.0f MB (%.1f bytes an event), peak RSS %.0f MB (graph and all)\n", float64(r.heap)/1e6, r.bytesPerEvent, float64(r.peakRSS)/1e6)
	fmt.Fprintf(w, "journey: funnel lead → test_drive → contract (first lead, 30 days) %v in %.2f s\n", r.reached, r.funnel.Seconds())
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func peakRSS() uint64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return uint64(ru.Maxrss) * 1024 // kilobytes on Linux
}
