package main

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/throughline/throughline/attribution"
)

// creditPolicy is the group's party credit policy: only recorded activity
// counts, a test drive most.
var creditPolicy = attribution.CreditPolicy{
	Version:      "dealer-2026.12",
	Weights:      map[string]float64{"lead_response": 1, "test_drive": 3, "call": 0.5, "trade_in": 2, "action": 2},
	HalfLife:     30 * 24 * time.Hour,
	ClosingFloor: 0.4,
}

// partyCredit is the revenue credited to each dealership and salesperson
// over every contract, beside the channel credit: the second ledger from
// the same timelines.
type partyCredit struct {
	Sales       int
	Revenue     float64
	Dealerships map[string]float64 // revenue credited
	Salespeople map[string]float64 // "dealership / person" → revenue credited
	Referred    int                // sales whose credit two or more dealerships share
}

func (d *dealer) partyCredit() partyCredit {
	pc := partyCredit{Dealerships: map[string]float64{}, Salespeople: map[string]float64{}}
	for _, p := range d.s.Profiles() {
		for _, sale := range d.s.Sales(p, nil) {
			if sale.Closing == "" {
				continue
			}
			cr := creditPolicy.Credit(sale, nil)
			pc.Sales++
			pc.Revenue += sale.Value
			if len(cr.Dealerships) > 1 {
				pc.Referred++
			}
			for dl, share := range cr.Dealerships {
				pc.Dealerships[dl] += share * sale.Value
				for person, ps := range cr.People[dl] {
					if person != "" {
						pc.Salespeople[dl+" / "+person] += share * ps * sale.Value
					}
				}
			}
		}
	}
	return pc
}

// print writes the dealerships' shares and the five salespeople with most
// credit.
func (pc partyCredit) print(w io.Writer) {
	if pc.Sales == 0 {
		return
	}
	fmt.Fprintf(w, "\nCredit by party (revenue; policy %s: a test drive weighs 3, a lead response 1, a tracked call 0.5, half-life 30 days, the closing dealership keeps at least 40%%): %d contracts, %.1fM RUB, %d shared between dealerships:\n",
		creditPolicy.Version, pc.Sales, pc.Revenue/1e6, pc.Referred)
	for _, dl := range byValue(pc.Dealerships) {
		fmt.Fprintf(w, "  %-26s %5.1f%%  %8.1fM RUB\n", dl, 100*pc.Dealerships[dl]/pc.Revenue, pc.Dealerships[dl]/1e6)
	}
	fmt.Fprintf(w, "  salespeople with most credit:\n")
	for _, sp := range byValue(pc.Salespeople)[:min(5, len(pc.Salespeople))] {
		fmt.Fprintf(w, "    %-36s %5.1f%%\n", sp, 100*pc.Salespeople[sp]/pc.Revenue)
	}
}

// byValue lists m's keys, largest value first.
func byValue(m map[string]float64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(m[b], m[a]), cmp.Compare(a, b)) })
	return keys
}
