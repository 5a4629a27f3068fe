package population

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/throughline/throughline/identity"
)

// A Score compares a resolution with the truth, pairwise: over all pairs of
// identifiers, how many the resolver put together that belong together
// (precision) and how many that belong together it put together (recall).
// Identifiers that belong to nobody count as people of their own.
type Score struct {
	Identifiers          int
	Precision, Recall    float64
	ContactPrecision     float64 // over emails, phones and CRM numbers alone
	ContactRecall        float64
	Profiles, People     int
	OverMerged           int // profiles holding identifiers of two or more people
	Split                int // people whose identifiers are in two or more profiles
	LargestProfilePeople int // people in the most mixed profile
}

// A Labeled identifier: its profile as resolved, its person in the truth.
type Labeled struct {
	Contact bool
	Profile string // "" when unresolved: a profile of its own
	Person  int32  // Nobody: a person of its own
}

// Evaluate scores labeled identifiers.
func Evaluate(ids []Labeled) Score {
	var s Score
	s.Identifiers = len(ids)
	all := pairCounts(ids, false)
	con := pairCounts(ids, true)
	s.Precision, s.Recall = all.precision(), all.recall()
	s.ContactPrecision, s.ContactRecall = con.precision(), con.recall()
	s.Profiles, s.People = all.profiles, all.people
	s.OverMerged, s.Split, s.LargestProfilePeople = all.overMerged, all.split, all.largest
	return s
}

type counts struct {
	tp, predicted, truePairs                     float64
	profiles, people, overMerged, split, largest int
}

func (c counts) precision() float64 {
	if c.predicted == 0 {
		return 1
	}
	return c.tp / c.predicted
}

func (c counts) recall() float64 {
	if c.truePairs == 0 {
		return 1
	}
	return c.tp / c.truePairs
}

func pairs(n int) float64 { return float64(n) * float64(n-1) / 2 }

func pairCounts(ids []Labeled, contactsOnly bool) counts {
	type cell struct {
		profile string
		person  int32
	}
	byProfile := map[string]int{}
	byPerson := map[int32]int{}
	byCell := map[cell]int{}
	peopleIn := map[string]map[int32]bool{}
	profilesOf := map[int32]map[string]bool{}
	unique := 0
	for i, id := range ids {
		if contactsOnly && !id.Contact {
			continue
		}
		prof, pers := id.Profile, id.Person
		if prof == "" {
			prof = fmt.Sprintf("\x00unresolved-%d", i)
		}
		if pers == Nobody {
			pers = -2 - int32(unique)
			unique++
		}
		byProfile[prof]++
		byPerson[pers]++
		byCell[cell{prof, pers}]++
		if peopleIn[prof] == nil {
			peopleIn[prof] = map[int32]bool{}
		}
		peopleIn[prof][pers] = true
		if profilesOf[pers] == nil {
			profilesOf[pers] = map[string]bool{}
		}
		profilesOf[pers][prof] = true
	}
	var c counts
	for _, n := range byCell {
		c.tp += pairs(n)
	}
	for _, n := range byProfile {
		c.predicted += pairs(n)
	}
	for _, n := range byPerson {
		c.truePairs += pairs(n)
	}
	c.profiles, c.people = len(byProfile), len(byPerson)
	for _, ps := range peopleIn {
		if len(ps) > 1 {
			c.overMerged++
		}
		c.largest = max(c.largest, len(ps))
	}
	for _, ps := range profilesOf {
		if len(ps) > 1 {
			c.split++
		}
	}
	return c
}

// Print writes the score as a short report.
func (s Score) Print(w io.Writer) {
	fmt.Fprintf(w, "identifiers %d, people %d, profiles %d\n", s.Identifiers, s.People, s.Profiles)
	fmt.Fprintf(w, "all identifiers: precision %.4f recall %.4f\n", s.Precision, s.Recall)
	fmt.Fprintf(w, "contacts only:   precision %.4f recall %.4f\n", s.ContactPrecision, s.ContactRecall)
	fmt.Fprintf(w, "over-merged profiles %d (largest holds %d people), split people %d\n", s.OverMerged, s.LargestProfilePeople, s.Split)
}

// A TrapScore counts, for one kind of trap, the observations that set it
// and those the resolver got right: every pair of identifiers the
// observation carries is together exactly when the truth says they belong
// to one person.
type TrapScore struct {
	Trap          string
	Observations  int
	Right         int
	PairsTogether int // of pairs that belong together, how many are
	PairsShould   int
	PairsApart    int // of pairs that belong apart, how many are
	PairsShouldnt int
}

// Traps scores each trap of a generated population against a resolver
// (profile of an identifier, "" when unresolved).
func (g *Generator) Traps(profile func(identity.ID) string) []TrapScore {
	by := map[string]*TrapScore{}
	for o := range g.Observations() {
		if o.Trap == "" {
			continue
		}
		ts := by[o.Trap]
		if ts == nil {
			ts = &TrapScore{Trap: o.Trap}
			by[o.Trap] = ts
		}
		ts.Observations++
		right := true
		profs := make([]string, len(o.IDs))
		for i, id := range o.IDs {
			profs[i] = profile(id)
		}
		for i := range o.IDs {
			for j := i + 1; j < len(o.IDs); j++ {
				same := o.Person[i] == o.Person[j] && o.Person[i] != Nobody
				together := profs[i] != "" && profs[i] == profs[j]
				if same {
					ts.PairsShould++
					if together {
						ts.PairsTogether++
					}
				} else {
					ts.PairsShouldnt++
					if !together {
						ts.PairsApart++
					}
				}
				right = right && same == together
			}
		}
		if right {
			ts.Right++
		}
	}
	out := make([]TrapScore, 0, len(by))
	for _, ts := range by {
		out = append(out, *ts)
	}
	slices.SortFunc(out, func(a, b TrapScore) int { return strings.Compare(a.Trap, b.Trap) })
	return out
}
