package identity

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// largeSmallStar computes connected components the way a distributed
// engine does (Kiveris et al., "Connected Components in MapReduce and
// Beyond"): alternate large-star and small-star rounds until the edge set
// is a forest of stars, each centred on its component's least vertex.
func largeSmallStar(edges [][2]int) map[int]int {
	type set = map[[2]int]bool
	norm := func(e set) set { return e }
	adj := func(e set) map[int][]int {
		a := map[int][]int{}
		for x := range e {
			a[x[0]] = append(a[x[0]], x[1])
			a[x[1]] = append(a[x[1]], x[0])
		}
		return a
	}
	cur := set{}
	for _, e := range edges {
		if e[0] != e[1] {
			cur[[2]int{min(e[0], e[1]), max(e[0], e[1])}] = true
		}
	}
	for {
		// Large star: connect every larger neighbour of u to u's least
		// neighbour (u included).
		next := set{}
		for u, ns := range adj(cur) {
			m := slices.Min(append(ns, u))
			for _, v := range ns {
				if v > u {
					next[[2]int{min(v, m), max(v, m)}] = true
				}
			}
		}
		// Small star: connect u and its smaller neighbours to their least.
		small := set{}
		for u, ns := range adj(norm(next)) {
			var le []int
			for _, v := range ns {
				if v <= u {
					le = append(le, v)
				}
			}
			if len(le) == 0 {
				continue
			}
			m := slices.Min(le)
			for _, v := range append(le, u) {
				if v != m {
					small[[2]int{min(v, m), max(v, m)}] = true
				}
			}
		}
		if len(small) == len(cur) {
			same := true
			for e := range small {
				same = same && cur[e]
			}
			if same {
				break
			}
		}
		cur = small
	}
	label := map[int]int{}
	for u, ns := range adj(cur) {
		label[u] = slices.Min(append(ns, u))
	}
	return label
}

func TestEdgesAndLabelsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	g, err := New(&Options{Policy: Policy{Disabled: true}})
	if err != nil {
		t.Fatal(err)
	}
	id := func(i int) ID {
		switch i % 3 {
		case 0:
			return ID{Email, fmt.Sprintf("u%d@mail.ru", i)}
		case 1:
			return ID{Phone, fmt.Sprintf("+7916%07d", i)}
		}
		return ID{Cookie, fmt.Sprintf("GA1.2.%d.1700000000", 100000+i)}
	}
	var obs []ObservationID
	for range 1500 {
		k := 1 + rng.IntN(3)
		var ids []ID
		for range k {
			ids = append(ids, id(rng.IntN(2500)))
		}
		ch, err := g.Observe(Observation{Source: "web_form", IDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		obs = append(obs, ch.Observation)
	}
	for _, o := range obs[:40] { // retracted evidence is not exported
		g.Retract(o)
	}
	var buf bytes.Buffer
	n, skipped, err := g.WriteEdges(context.Background(), &buf)
	if err != nil || skipped != 0 || n == 0 {
		t.Fatal(n, skipped, err)
	}
	// Map vertices to numbers, run the distributed algorithm, write labels.
	num, names := map[string]int{}, []string{}
	var edges [][2]int
	sc := bufio.NewScanner(&buf)
	sc.Scan()
	if sc.Text() != "src\tdst" {
		t.Fatalf("header %q", sc.Text())
	}
	for sc.Scan() {
		a, b, _ := strings.Cut(sc.Text(), "\t")
		var e [2]int
		for i, v := range []string{a, b} {
			x, ok := num[v]
			if !ok {
				x = len(names)
				num[v], names = x, append(names, v)
			}
			e[i] = x
		}
		edges = append(edges, e)
	}
	if len(edges) != n {
		t.Fatalf("%d edge lines, WriteEdges said %d", len(edges), n)
	}
	labels := largeSmallStar(edges)
	var lb bytes.Buffer
	lb.WriteString("id\tlabel\n")
	for v, l := range labels {
		fmt.Fprintf(&lb, "%s\tc%d\n", names[v], l)
	}
	g2, _ := New(&Options{Policy: Policy{Disabled: true}})
	rep, err := g2.ImportLabels(context.Background(), &lb)
	if err != nil || len(rep.Bad) != 0 || rep.Identifiers != len(labels) {
		t.Fatalf("%+v %v", rep, err)
	}
	// The imported graph's profiles are the original's, identifier for
	// identifier, for everything that had an edge.
	for _, v := range names {
		x, _ := ParseIDString(v)
		p1, err1 := g.ResolveID(x)
		p2, err2 := g2.ResolveID(x)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v %v", v, err1, err2)
		}
		for _, w := range g.keys(p1) {
			if _, ok := num[w.String()]; !ok {
				continue // a singleton's identifier has no edge
			}
			if q, _ := g2.ResolveID(w); q != p2 {
				t.Fatalf("%s and %s together in the graph, apart after the round trip", v, w)
			}
		}
	}
	comps := map[int]bool{}
	for _, l := range labels {
		comps[l] = true
	}
	if rep.Components != len(comps) {
		t.Fatalf("%d components imported, %d computed", rep.Components, len(comps))
	}
}

func TestEdgesLeaveOutJunkAndHubs(t *testing.T) {
	g, _ := New(nil)
	g.Observe(Observation{Source: "web_form", IDs: []ID{{Email, "test@test.ru"}, {Phone, "+79161234567"}}})
	g.Observe(Observation{Source: "web_form", IDs: []ID{{Email, "anna@mail.ru"}, {Phone, "+79161234567"}, {Cookie, "GA1.2.1.2"}}})
	var buf bytes.Buffer
	n, _, err := g.WriteEdges(context.Background(), &buf)
	if err != nil || n != 2 || strings.Contains(buf.String(), "test@test.ru") {
		t.Fatalf("%d edges:\n%s", n, buf.String())
	}
	want := "src\tdst\nemail:anna@mail.ru\tphone:+79161234567\nemail:anna@mail.ru\tcookie:1.2\n"
	if buf.String() != want {
		t.Fatalf("edges:\n%q\nwant\n%q", buf.String(), want)
	}
}

func TestImportLabelsBadLines(t *testing.T) {
	g, _ := New(&Options{Policy: Policy{Disabled: true}})
	in := "id\tlabel\nemail:a@b.ru\t1\nno-tab-here\nnokind\t2\nphone:12\t3\nemail:c@d.ru\t1\n\nemail:e@f.ru\t\n"
	rep, err := g.ImportLabels(context.Background(), strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Identifiers != 2 || rep.Components != 1 || len(rep.Bad) != 4 {
		t.Fatalf("%+v", rep)
	}
	for _, e := range rep.Bad {
		if !errors.Is(e, ErrLabels) {
			t.Fatalf("%v does not wrap ErrLabels", e)
		}
	}
	a, _ := g.Resolve(Email, "a@b.ru")
	c, _ := g.Resolve(Email, "c@d.ru")
	if a != c || a.IsZero() {
		t.Fatal("one label, one profile")
	}
}

func FuzzImportLabels(f *testing.F) {
	f.Add("id\tlabel\nemail:a@b.ru\t1\nphone:+79161234567\t1\ncookie:GA1.2.3.4\t2\n")
	f.Add("src\tdst\nemail:\t\t\n")
	f.Add("crm:\x00\t1\n")
	f.Fuzz(func(t *testing.T, in string) {
		g, _ := New(&Options{Policy: Policy{Disabled: true}})
		rep, err := g.ImportLabels(context.Background(), strings.NewReader(in))
		if err != nil {
			return // only I/O errors, e.g. a line over the buffer
		}
		if rep.Identifiers+len(rep.Bad) > rep.Lines {
			t.Fatalf("%+v", rep)
		}
		for _, e := range rep.Bad {
			if !errors.Is(e, ErrLabels) {
				t.Fatal(e)
			}
		}
	})
}

// TestEdgesCancelled: WriteEdges and ImportLabels stop with the context's
// error when it is done.
func TestEdgesCancelled(t *testing.T) {
	g := mustGraph(t, nil)
	mustObserve(t, g, at(0, "web_form", "cookie:c1", "email:anna@mail.ru"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := g.WriteEdges(ctx, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteEdges: %v", err)
	}
	labels := strings.Repeat("email:x@mail.ru\t1\n", 5000)
	if _, err := mustGraph(t, nil).ImportLabels(ctx, strings.NewReader(labels)); !errors.Is(err, context.Canceled) {
		t.Errorf("ImportLabels: %v", err)
	}
}
