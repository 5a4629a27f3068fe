package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/segment"
)

// inventory is the group's stock today: every model at every dealership,
// the count drawn from a hash of the seed, the model and the dealership
// (a third of the lines out of stock).
func inventory(seed uint64) []segment.Car {
	var inv []segment.Car
	for _, m := range models {
		for _, d := range dealerships {
			sum := uuid.NewSHA1(uuid.NameSpaceOID, binary.LittleEndian.AppendUint64([]byte(m.model+"\x00"+d.name), seed))
			inv = append(inv, segment.Car{Model: m.model, Trim: "base", Dealership: d.name, Count: int(sum[0] % 3), Level: 1})
		}
	}
	return inv
}

// dealerArbiter is the built-in dealer actions over today's inventory.
func dealerArbiter() (*segment.ActionSet, *segment.Arbiter, error) {
	as := segment.DefaultDealerActions()
	cat, err := as.Catalog(inventory(0))
	if err != nil {
		return nil, nil, err
	}
	ar, err := segment.NewArbiter(cat)
	return as, ar, err
}

// An actionLine is one customer on a salesperson's list for today.
type actionLine struct {
	Customer string // the profile ID's first block: no personal data in a report
	Actions  []segment.Recommendation
	Declined segment.Declined // why the best action not offered was not
}

// actionList is the built-in dealer actions for the customers a
// salesperson answered and who have not bought, today, through the
// salesperson's company's consents: the first ten in profile order that
// have an action.
func (d *dealer) actionList(dealership int, salesperson string, rc *channel.Reacher) ([]actionLine, error) {
	as, ar, err := dealerArbiter()
	if err != nil {
		return nil, err
	}
	eng, err := segment.NewEngine(as.Segments, &segment.Options{Store: d.s, Graph: d.g})
	if err != nil {
		return nil, err
	}
	company, name := dealerships[dealership].company, dealerships[dealership].name
	var out []actionLine
	for _, p := range d.s.Profiles() { // in profile ID order
		tl := d.s.Timeline(p)
		if !slices.ContainsFunc(tl, func(e journey.Event) bool {
			return e.Type == "lead_response" && e.Props["dealership"] == name && e.Props["salesperson"] == salesperson
		}) || slices.ContainsFunc(tl, func(e journey.Event) bool { return e.Type == journey.Contract }) {
			continue
		}
		c := &segment.Customer{Profile: p, Segments: eng.Evaluate(p, d.now), Now: d.now, Dealerships: []string{name}, Assigned: salesperson,
			Reachable: func(ch, purpose string) (bool, string) {
				for _, x := range rc.ReachFor(p, company, purpose, d.now) {
					if x.Channel == ch {
						return x.Reason == channel.Reachable || x.Reason == channel.Quiet, x.String()
					}
				}
				return false, ch + ": not a channel the group sends on"
			}}
		for _, e := range tl {
			if e.Type == journey.CarView && d.now.Sub(e.Time) <= 30*24*time.Hour {
				c.Views = append(c.Views, segment.View{Model: e.Props["model"], Trim: "base", At: e.Time})
			}
		}
		recs, declined := ar.Next(c, 2)
		if len(recs) == 0 {
			continue // nothing for this customer today
		}
		line := actionLine{Customer: p.String()[:8], Actions: recs}
		for _, dc := range declined {
			if dc.Gate != "eligible" && dc.Gate != "excluded" {
				line.Declined = dc
				break
			}
		}
		out = append(out, line)
		if len(out) == 10 {
			break
		}
	}
	return out, nil
}

// An upliftCheck compares the lead → contract rate of the customers the
// catalog's holdout leaves to actions with the holdout's.
type upliftCheck struct {
	Holdout                   float64 // the catalog's share
	Treated, TreatedConverted int
	Control, ControlConverted int
	Diff, Lo, Hi              float64
}

// uplift measures it over every profile with a lead. The generated history
// holds no actions taken, so it is an A/A check: the interval should hold 0.
func (d *dealer) uplift() (upliftCheck, error) {
	as, ar, err := dealerArbiter()
	if err != nil {
		return upliftCheck{}, err
	}
	u := upliftCheck{Holdout: as.Holdout}
	for _, p := range d.s.Profiles() {
		tl := d.s.Timeline(p)
		if !slices.ContainsFunc(tl, func(e journey.Event) bool { return e.Type == journey.Lead }) {
			continue
		}
		bought := slices.ContainsFunc(tl, func(e journey.Event) bool { return e.Type == journey.Contract })
		if ar.InHoldout(p) {
			u.Control++
			if bought {
				u.ControlConverted++
			}
		} else {
			u.Treated++
			if bought {
				u.TreatedConverted++
			}
		}
	}
	u.Diff, u.Lo, u.Hi = segment.Uplift(u.TreatedConverted, u.Treated, u.ControlConverted, u.Control)
	return u, nil
}

func (u upliftCheck) print(w io.Writer) {
	if u.Treated == 0 || u.Control == 0 {
		return
	}
	fmt.Fprintf(w, "\nUplift of actions against the holdout (%.0f%% of customers, chosen by profile ID): lead → contract %.1f%% of %d treated vs %.1f%% of %d held out: %+.1f points, 95%% interval [%+.1f, %+.1f]; the generated history holds no actions taken, so this is an A/A check and the interval should hold 0\n",
		100*u.Holdout, 100*float64(u.TreatedConverted)/float64(u.Treated), u.Treated, 100*float64(u.ControlConverted)/float64(u.Control), u.Control, 100*u.Diff, 100*u.Lo, 100*u.Hi)
}

func printActions(w io.Writer, who string, lines []actionLine) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\nToday's actions for %s (built-in dealer actions; customers answered who have not bought and have an action today, up to ten):\n", who)
	for _, l := range lines {
		var acts []string
		for _, r := range l.Actions {
			acts = append(acts, fmt.Sprintf("%s (score %.1f = propensity %.2f × value %.0f)", r.Action, r.Score, r.Propensity, r.Value))
		}
		fmt.Fprintf(w, "  %s  %s", l.Customer, strings.Join(acts, "; "))
		if l.Declined.Action != "" {
			fmt.Fprintf(w, "  — not %s: %s", l.Declined.Action, l.Declined.Reason)
		}
		fmt.Fprintln(w)
	}
}
