package segment

import (
	"fmt"
	"slices"
	"strings"
)

// A program is a compiled Set: units (a segment, or a segmentation with
// its tabs) in dependency order, the distinct event filters, and for each
// filter the units an event passing it can change.
type program struct {
	units    []unit
	all      []int // every unit's index, in evaluation order
	filters  []*cfilter
	kinds    []string
	names    []string // by membership bit
	byName   map[string]int
	byFilter [][]int // filter → units to re-evaluate, in evaluation order
	words    int
}

// A unit is evaluated as a whole: a plain segment has one tab; a
// segmentation's tabs take the profile in order and other takes the rest.
type unit struct {
	tabs    []tab
	other   int // bit of the segmentation's other tab; -1 for a segment
	deps    []int
	filters []int
}

type tab struct {
	root node
	bit  int
}

func (u *unit) eval(c *evalCtx) {
	found := false
	for _, t := range u.tabs {
		in := !found && t.root.eval(c)
		setBit(c.bits, t.bit, in)
		found = found || in
	}
	if u.other >= 0 {
		setBit(c.bits, u.other, !found)
	}
}

func setBit(b []uint64, i int, v bool) {
	if v {
		b[i/64] |= 1 << (i % 64)
	} else {
		b[i/64] &^= 1 << (i % 64)
	}
}

func hasBit(b []uint64, i int) bool { return b[i/64]&(1<<(i%64)) != 0 }

// compileSet compiles and checks a set; env is nil to validate only.
func compileSet(s *Set, env *Options) (*program, error) {
	k := newCompiler(env)
	prog := &program{byName: map[string]int{}}
	var unitRefs [][]ref
	// name registers a segment or tab under its full name.
	name := func(n, prefix, path string) int {
		full := n
		if prefix != "" {
			full = prefix + "/" + n
		}
		switch {
		case n == "":
			k.fail(path, "required")
		case strings.Contains(n, "/"):
			k.fail(path, "%q: a name may not contain \"/\" (it separates a segmentation from its tabs)", n)
		case prog.byName[full] != 0:
			k.fail(path, "%q is defined twice", full)
		}
		bit := len(prog.names)
		prog.names = append(prog.names, full)
		if n != "" {
			prog.byName[full] = bit + 1 // +1 so that the zero value means absent
		}
		return bit
	}
	compileUnit := func(u *unit, tabs []Segment, prefix, path string) {
		k.refs = nil
		mark := len(k.used)
		for i, t := range tabs {
			p := path
			if prefix != "" {
				p = fmt.Sprintf("%s.tabs[%d]", path, i)
			}
			bit := name(t.Name, prefix, join(p, "name"))
			u.tabs = append(u.tabs, tab{root: k.cond(t.When, join(p, "when")), bit: bit})
		}
		u.filters = slices.Compact(slices.Sorted(slices.Values(k.used[mark:])))
		unitRefs = append(unitRefs, k.refs)
	}
	for i, sg := range s.Segments {
		u := unit{other: -1}
		compileUnit(&u, []Segment{sg}, "", fmt.Sprintf("segments[%d]", i))
		prog.units = append(prog.units, u)
	}
	for i, sn := range s.Segmentations {
		p := fmt.Sprintf("segmentations[%d]", i)
		u := unit{}
		if sn.Name == "" || strings.Contains(sn.Name, "/") {
			k.fail(p+".name", "required, without \"/\"")
		} else if prog.byName[sn.Name] != 0 {
			k.fail(p+".name", "%q is defined twice", sn.Name)
		}
		if len(sn.Tabs) == 0 {
			k.fail(p+".tabs", "empty")
		}
		compileUnit(&u, sn.Tabs, sn.Name, p)
		other := sn.Other
		if other == "" {
			other = "other"
		}
		u.other = name(other, sn.Name, p+".other")
		prog.units = append(prog.units, u)
	}
	// Resolve references and order units so that a unit comes after every
	// unit it reads.
	unitOf := make([]int, len(prog.names))
	for ui, u := range prog.units {
		for _, t := range u.tabs {
			unitOf[t.bit] = ui
		}
		if u.other >= 0 {
			unitOf[u.other] = ui
		}
	}
	refPath := map[[2]int]string{}
	for ui, refs := range unitRefs {
		for _, r := range refs {
			b := prog.byName[r.name] - 1
			if b < 0 {
				if r.name != "" {
					k.fail(r.path, "no segment or tab %q in the set", r.name)
				}
				continue
			}
			r.n.bit = b
			dep := unitOf[b]
			if !slices.Contains(prog.units[ui].deps, dep) {
				prog.units[ui].deps = append(prog.units[ui].deps, dep)
				refPath[[2]int{ui, dep}] = r.path
			}
		}
	}
	order := k.topo(prog, refPath)
	prog.filters = k.filters
	prog.kinds = make([]string, len(k.kinds))
	for i, kd := range k.kinds {
		prog.kinds[i] = string(kd)
	}
	if err := k.err(); err != nil {
		return nil, err
	}
	// Renumber units in evaluation order.
	units := make([]unit, len(order))
	pos := make([]int, len(order))
	for i, ui := range order {
		units[i] = prog.units[ui]
		pos[ui] = i
	}
	for i := range units {
		for j, d := range units[i].deps {
			units[i].deps[j] = pos[d]
		}
	}
	prog.units = units
	prog.all = make([]int, len(units))
	for i := range prog.all {
		prog.all[i] = i
	}
	prog.words = (len(prog.names) + 63) / 64
	// An event passing filter f changes the units that use f and every
	// unit that reads those, transitively.
	prog.byFilter = make([][]int, len(prog.filters))
	for f := range prog.filters {
		hit := make([]bool, len(units))
		for i, u := range units { // dependencies come first
			hit[i] = slices.Contains(u.filters, f)
			for _, d := range u.deps {
				hit[i] = hit[i] || hit[d]
			}
			if hit[i] {
				prog.byFilter[f] = append(prog.byFilter[f], i)
			}
		}
	}
	return prog, nil
}

// topo orders units after their dependencies and reports cycles.
func (k *compiler) topo(prog *program, refPath map[[2]int]string) []int {
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(prog.units))
	var order, stack []int
	var visit func(u int) bool
	visit = func(u int) bool {
		switch state[u] {
		case done:
			return true
		case active:
			i := slices.Index(stack, u)
			var names []string
			for _, x := range append(stack[i:], u) {
				names = append(names, prog.names[prog.units[x].bitZero()])
			}
			k.fail(refPath[[2]int{stack[len(stack)-1], u}], "segments depend on each other: %s", strings.Join(names, " → "))
			return false
		}
		state[u] = active
		stack = append(stack, u)
		for _, d := range prog.units[u].deps {
			if !visit(d) {
				return false
			}
		}
		stack = stack[:len(stack)-1]
		state[u] = done
		order = append(order, u)
		return true
	}
	for u := range prog.units {
		if state[u] == unseen && !visit(u) {
			return nil
		}
	}
	return order
}

func (u *unit) bitZero() int {
	if len(u.tabs) > 0 {
		return u.tabs[0].bit
	}
	return u.other
}
