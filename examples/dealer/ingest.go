package main

import (
	"context"
	"errors"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/segment"
)

// dealer is the whole system after ingestion.
type dealer struct {
	g        *identity.Graph
	s        *journey.Store
	e        *segment.Engine
	now      time.Time
	merges   map[string]int // merged profiles by the kind that joined them
	made     int            // profiles first seen (Change.Created)
	split    int            // profiles the rules took apart again
	obs      int
	badObs   int
	events   int
	unfiled  int
	changes  []segment.Transition
	contacts map[identity.ID]bool // raw emails and phones as typed
	viewer   string               // the company whose view this is ("": the group's)
}

// The segments the dealer's marketers run.
var dealerSet = segment.Set{
	Segments: []segment.Segment{
		{Name: "warm", When: segment.And{
			segment.Count{Event: segment.Filter{Type: journey.CarView}, Min: 10, Window: segment.Window{Last: 30 * 24 * time.Hour}},
			segment.Count{Event: segment.Filter{Type: journey.Lead}, Min: 1},
			segment.None{Event: segment.Filter{Type: journey.Contract}},
		}},
	},
	Segmentations: []segment.Segmentation{{Name: "stage", Tabs: []segment.Segment{
		{Name: "buyer", When: segment.Count{Event: segment.Filter{Type: journey.Contract}, Min: 1}},
		{Name: "warm", When: segment.InSegment{Name: "warm"}},
		{Name: "lead", When: segment.Count{Event: segment.Filter{Type: journey.Lead}, Min: 1}},
		{Name: "browsing", When: segment.Count{Event: segment.Filter{Type: journey.CarView}, Min: 1, Window: segment.Window{Last: 90 * 24 * time.Hour}}},
	}, Other: "dormant"}},
}

func ingest(steps []step, now time.Time, prog *progress) (*dealer, error) {
	g, err := identity.New(nil)
	if err != nil {
		return nil, err
	}
	s, err := journey.New(g, &journey.Options{Conversions: []journey.EventType{journey.Contract}, SizeHint: len(steps)})
	if err != nil {
		return nil, err
	}
	set := dealerSet
	e, err := segment.NewEngine(&set, &segment.Options{Store: s, Graph: g})
	if err != nil {
		return nil, err
	}
	d := &dealer{g: g, s: s, e: e, now: now, merges: map[string]int{}, contacts: map[identity.ID]bool{}}
	prog.phase("ingesting")
	var day time.Time
	if len(steps) > 0 {
		day = steps[0].t.Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	for i, st := range steps {
		if st.t.After(now) {
			break
		}
		for !st.t.Before(day) {
			chs, err := e.Refresh(context.Background(), day)
			if err != nil {
				return nil, err
			}
			d.changes = append(d.changes, chs...)
			day = day.Add(24 * time.Hour)
		}
		if st.obs != nil {
			d.observe(*st.obs, st.t)
		}
		if st.ev != nil {
			d.events++
			chs, err := e.Add(*st.ev, st.t)
			if errors.Is(err, journey.ErrNoProfile) && len(st.ev.IDs) > 0 {
				// A visitor seen for the first time: its first identifier
				// becomes an anonymous profile, as a site's tracker makes one
				// on the first page view.
				d.observe(identity.Observation{Time: st.t, Source: "pageview", IDs: st.ev.IDs[:1]}, st.t)
				chs, err = e.Add(*st.ev, st.t)
			}
			switch {
			case errors.Is(err, journey.ErrNoProfile):
				d.unfiled++
			case err != nil:
				return nil, err
			}
			d.changes = append(d.changes, chs...)
		}
		if i%4096 == 0 {
			prog.update(i, len(steps))
		}
	}
	for !now.Before(day) {
		chs, err := e.Refresh(context.Background(), day)
		if err != nil {
			return nil, err
		}
		d.changes = append(d.changes, chs...)
		day = day.Add(24 * time.Hour)
	}
	chs, err := e.Refresh(context.Background(), now)
	if err != nil {
		return nil, err
	}
	d.changes = append(d.changes, chs...)
	return d, nil
}

func (d *dealer) observe(o identity.Observation, t time.Time) {
	d.obs++
	before := d.g.Stats().Profiles
	ch, err := d.g.Observe(o)
	if err != nil {
		d.badObs++
		return
	}
	// The accounts reconcile: made − merged + split is the profiles there
	// are, whatever one observation did at once.
	d.made += len(ch.Created)
	gone := len(ch.Created) - (d.g.Stats().Profiles - before)
	for _, id := range o.IDs {
		if id.Kind == identity.Email || id.Kind == identity.Phone {
			d.contacts[id] = true
		}
	}
	switch by := "browser or device"; {
	case gone < 0:
		d.split -= gone
	case gone > 0:
		switch {
		case first(o.IDs, identity.Email) != nil:
			by = "email"
		case first(o.IDs, identity.Phone) != nil:
			by = "phone"
		case first(o.IDs, identity.CRM) != nil:
			by = "CRM number"
		}
		d.merges[by] += gone
	}
	d.changes = append(d.changes, d.e.Follow(ch, t)...)
}
