package identity_test

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/population"
)

// A bridgePattern is a bridge's features as levels of comparisons, the
// way Fellegi–Sunter record linkage reads a candidate pair.
type bridgePattern [9]uint8

var patternLevels = [9]struct {
	name   string
	levels int
}{{"clash", 3}, {"typed", 2}, {"own", 3}, {"also", 3}, {"crowded", 2}, {"session", 2}, {"smaller", 4}, {"far", 2}, {"verified", 2}}

func patternOf(b identity.Bridge) bridgePattern {
	var p bridgePattern
	p[0] = uint8(min(len(b.Clash), 2))
	p[1] = uint8(min(b.Typed, 2) - 1)
	switch {
	case b.BothOwn:
		p[2] = 2
	case b.Apart:
		p[2] = 1
	}
	p[3] = uint8(min(b.Shared-b.Typed, 2))
	p[4] = b2u(b.Crowded)
	p[5] = b2u(b.Session)
	switch {
	case b.Person:
		p[6] = 1
	case b.Lone && !b.Alone:
		p[6] = 2
	case b.Lone:
		p[6] = 3
	}
	p[7] = b2u(!b.Near)
	p[8] = b2u(b.Verified)
	return p
}

func b2u(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

func (p bridgePattern) String() string {
	own := [...]string{"covered", "apart", "both own"}[p[2]]
	small := [...]string{"", " person", " lone", " lone-alone"}[p[6]]
	s := fmt.Sprintf("clash %d typed %d %s also %d%s", p[0], p[1]+1, own, p[3], small)
	for _, f := range []struct {
		i    int
		name string
	}{{4, " crowded"}, {5, " session"}, {7, " far"}, {8, " verified"}} {
		if p[f.i] == 1 {
			s += f.name
		}
	}
	return s
}

// patternCount is how often a pattern was decided in a world: bridges
// between one person's clusters (same), between two people's (two), and
// how many of them merged.
type patternCount struct{ same, two, merged int }

// TestBridgePatterns is an analysis, not a check (THROUGHLINE_PATTERNS=1):
// over 12 worlds it tabulates every typed bridge decision by feature
// pattern against the truth, and fits a Fellegi–Sunter model to each
// world's patterns by EM, without the truth, to show what merging at a
// target posterior would give. It writes the table to
// $THROUGHLINE_PATTERNS_OUT (or logs it).
func TestBridgePatterns(t *testing.T) {
	if os.Getenv("THROUGHLINE_PATTERNS") == "" {
		t.Skip("set THROUGHLINE_PATTERNS=1 to tabulate bridge decisions over 12 worlds")
	}
	const worlds = 12
	per := make([]map[bridgePattern]*patternCount, worlds)
	var wg sync.WaitGroup
	for i := range worlds {
		wg.Go(func() { per[i] = worldPatterns(t, 1000+uint64(i)) })
	}
	wg.Wait()
	var b strings.Builder
	writePatternTable(&b, per)
	b.WriteString("\nFellegi–Sunter EM per world (no truth used): bridges merged by one person / two people\n")
	for i, counts := range per {
		writeEMRow(&b, i, counts)
	}
	if out := os.Getenv("THROUGHLINE_PATTERNS_OUT"); out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Log("\n" + b.String())
}

// worldPatterns resolves one world of 10,000 people with the default rules
// and counts its final bridge decisions by pattern.
func worldPatterns(t *testing.T, seed uint64) map[bridgePattern]*patternCount {
	w := population.DrawWorld(seed)
	gen := population.New(population.Config{People: 10_000, Seed: seed, World: &w})
	g, err := identity.New(worldOptions())
	if err != nil {
		t.Error(err)
		return nil
	}
	for o := range gen.Observations() {
		g.Observe(o.Observation)
	}
	person := map[identity.ID]int32{}
	for id, p := range gen.Identifiers() {
		if c, err := g.Normalize(id.Kind, id.Value); err == nil {
			person[c] = p
		}
	}
	counts := map[bridgePattern]*patternCount{}
	identity.ProbeBridges(g, func(a, b identity.ID, br identity.Bridge, merged bool) {
		if br.Typed == 0 {
			return // clicks and calls alone never merge
		}
		p := patternOf(br)
		c := counts[p]
		if c == nil {
			c = &patternCount{}
			counts[p] = c
		}
		pa, oka := person[a]
		pb, okb := person[b]
		switch {
		case !oka || !okb:
			t.Errorf("bridge between %v and %v: not in the population", a, b)
		case pa == pb:
			c.same++
		default:
			c.two++
		}
		if merged {
			c.merged++
		}
	})
	return counts
}

func writePatternTable(b *strings.Builder, per []map[bridgePattern]*patternCount) {
	total := map[bridgePattern]*patternCount{}
	for _, counts := range per {
		for p, c := range counts {
			t := total[p]
			if t == nil {
				t = &patternCount{}
				total[p] = t
			}
			t.same, t.two, t.merged = t.same+c.same, t.two+c.two, t.merged+c.merged
		}
	}
	keys := slices.Collect(func(yield func(bridgePattern) bool) {
		for p := range total {
			if !yield(p) {
				return
			}
		}
	})
	slices.SortFunc(keys, func(x, y bridgePattern) int {
		tx, ty := total[x], total[y]
		return cmp.Or(cmp.Compare(ty.same+ty.two, tx.same+tx.two), slices.Compare(x[:], y[:]))
	})
	fmt.Fprintf(b, "%-58s %6s %5s %6s | per world one/two\n", "pattern", "one", "two", "merged")
	for _, p := range keys {
		t := total[p]
		fmt.Fprintf(b, "%-58s %6d %5d %6d |", p, t.same, t.two, t.merged)
		for _, counts := range per {
			if c := counts[p]; c != nil {
				fmt.Fprintf(b, " %d/%d", c.same, c.two)
			} else {
				b.WriteString(" -")
			}
		}
		b.WriteString("\n")
	}
}

// writeEMRow fits the model to one world's pattern counts and prints what
// the default rules merged beside what merging at posterior τ would.
func writeEMRow(b *strings.Builder, world int, counts map[bridgePattern]*patternCount) {
	var pats []bridgePattern
	var n []float64
	var defSame, defTwo int
	for p, c := range counts {
		pats, n = append(pats, p), append(n, float64(c.same+c.two))
		if c.merged > 0 {
			defSame, defTwo = defSame+c.same, defTwo+c.two
		}
	}
	post := fitEM(pats, n, 200)
	fmt.Fprintf(b, "world %2d  default %5d / %3d", world, defSame, defTwo)
	for _, tau := range []float64{0.999, 0.9999} {
		var s, two int
		for i, p := range pats {
			if post[i] >= tau {
				s, two = s+counts[p].same, two+counts[p].two
			}
		}
		fmt.Fprintf(b, "  τ %g %5d / %3d", tau, s, two)
	}
	b.WriteString("\n")
}

// fitEM estimates λ, m and u by expectation–maximisation over the pattern
// counts (comparisons independent given the class, as Fellegi–Sunter
// assume) and returns each pattern's posterior of being one person. The
// start reads clashes, browsers of one's own on both sides and a person
// on the smaller side as signs of two people.
func fitEM(pats []bridgePattern, n []float64, iters int) []float64 {
	m, u := make([][]float64, len(patternLevels)), make([][]float64, len(patternLevels))
	for c, l := range patternLevels {
		m[c], u[c] = make([]float64, l.levels), make([]float64, l.levels)
		for i := range l.levels {
			m[c][i], u[c][i] = 1/float64(l.levels), 1/float64(l.levels)
		}
	}
	m[0], u[0] = []float64{0.6, 0.35, 0.05}, []float64{0.2, 0.4, 0.4}
	m[2], u[2] = []float64{0.9, 0.08, 0.02}, []float64{0.3, 0.35, 0.35}
	m[6], u[6] = []float64{0.4, 0.05, 0.3, 0.25}, []float64{0.3, 0.5, 0.1, 0.1}
	lambda := 0.5
	post := make([]float64, len(pats))
	for range iters {
		for i, p := range pats {
			lm, lu := math.Log(lambda), math.Log(1-lambda)
			for c, l := range p {
				lm, lu = lm+math.Log(m[c][l]), lu+math.Log(u[c][l])
			}
			post[i] = 1 / (1 + math.Exp(lu-lm))
		}
		var sm, su float64
		for c := range m {
			clear(m[c])
			clear(u[c])
		}
		for i, p := range pats {
			sm, su = sm+n[i]*post[i], su+n[i]*(1-post[i])
			for c, l := range p {
				m[c][l] += n[i] * post[i]
				u[c][l] += n[i] * (1 - post[i])
			}
		}
		lambda = sm / (sm + su)
		for c := range m {
			for l := range m[c] {
				m[c][l] = (m[c][l] + 0.5) / (sm + 0.5*float64(len(m[c])))
				u[c][l] = (u[c][l] + 0.5) / (su + 0.5*float64(len(u[c])))
			}
		}
	}
	return post
}
