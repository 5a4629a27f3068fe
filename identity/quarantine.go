package identity

import "iter"

// A Status says how the graph treats one identifier.
type Status struct {
	Profile ProfileID
	// Quarantined identifiers never link: Junk ones are on a junk list,
	// Hub ones were seen with too many people. Reason says which rule.
	Quarantined bool
	Junk, Hub   bool
	Reason      string
	// Observations counts the live observations that carry the identifier.
	Observations int
}

// Status reports how the graph treats an identifier (raw or canonical).
func (g *Graph) Status(kind Kind, raw string) (Status, error) {
	id, err := g.Normalize(kind, raw)
	if err != nil {
		return Status{}, err
	}
	k, _ := g.kindOf(kind)
	h := g.hashID(k, id.Value)
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	n, found := g.index.lookup(&g.nodes, h, k, id.Value)
	if !found || g.nodes.at(n).flags&(flagDead|flagErased) != 0 {
		return Status{}, ErrNotFound
	}
	r := g.nodes.at(n)
	st := Status{
		Profile: g.profileIDOf(g.nodes.profile(n)),
		Junk:    r.flags&flagJunk != 0,
		Hub:     r.flags&flagHub != 0,
	}
	st.Quarantined = st.Junk || st.Hub
	if st.Quarantined {
		for _, q := range g.quarantined {
			if q.node == n {
				st.Reason = q.reason
			}
		}
	}
	g.inc.each(r.adj, func(o uint32) {
		if g.ev.at(o).flags&obsRetracted == 0 {
			st.Observations++
		}
	})
	return st, nil
}

// Quarantined yields every quarantined identifier with the reason, in the
// order they were quarantined. The sequence is a snapshot.
func (g *Graph) Quarantined() iter.Seq2[ID, string] {
	return func(yield func(ID, string) bool) {
		l := g.mu.rlock()
		type item struct {
			id     ID
			reason string
		}
		var items []item
		for _, q := range g.quarantined {
			if r := g.nodes.at(q.node); r.flags&flagErased == 0 && r.flags&(flagJunk|flagHub) != 0 {
				items = append(items, item{g.idOf(q.node), q.reason})
			}
		}
		g.mu.runlock(l)
		for _, it := range items {
			if !yield(it.id, it.reason) {
				return
			}
		}
	}
}
