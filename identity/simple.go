package identity

// extendsSimply reports whether an observation whose known linking members
// all lie in the simple profile anchored at a changes nothing but adding
// its new members to that profile, so clustering can be skipped: new hard
// identifiers must join the profile's one cluster through mergeable
// evidence with a known hard member, new soft ones must get evidence for it
// from a known hard member, and soft limits must leave room.
func (g *Graph) extendsSimply(a uint32, fresh []uint32, hardOld bool, oflags uint8) bool {
	if len(fresh) == 0 {
		return true
	}
	if !hardOld {
		return false
	}
	for _, n := range fresh {
		r := g.nodes.at(n)
		if g.kinds[r.kind].Class == Hard {
			if oflags&obsAttachOnly != 0 {
				return false
			}
			continue
		}
		if limit := g.policy.softLimit[r.kind]; limit > 0 {
			count := 0
			for m := a; ; {
				if g.nodes.at(m).kind == r.kind {
					count++
				}
				if m = g.nodes.at(m).next; m == a {
					break
				}
			}
			if count >= limit { // the ring already holds the new node
				return false
			}
		}
	}
	return true
}

// freshIsOneProfile reports whether an observation of new identifiers
// alone makes one profile with at most one hard cluster: mergeable evidence
// joins everything it carries; attach-only evidence with one hard identifier
// attaches the soft ones to it.
func (g *Graph) freshIsOneProfile(fresh []uint32, oflags uint8) bool {
	if oflags&obsAttachOnly == 0 {
		return true
	}
	hard := 0
	for _, n := range fresh {
		if g.kinds[g.nodes.at(n).kind].Class == Hard {
			hard++
		}
	}
	return hard == 1 || len(fresh) == 1
}

// bestAnchor returns the node of ns that anchors best.
func (g *Graph) bestAnchor(ns []uint32) uint32 {
	best := ns[0]
	for _, n := range ns[1:] {
		if g.anchorLess(n, best) {
			best = n
		}
	}
	return best
}

// newSimple makes one simple profile of new identifiers.
func (g *Graph) newSimple(fresh []uint32) {
	best := g.bestAnchor(fresh)
	for _, n := range fresh {
		g.nodes.at(n).anchor = best
	}
	g.nodes.at(best).flags |= flagSimple
}

// extendSimple adds new members to the simple profile anchored at a,
// moving the anchor when a new member is a better one.
func (g *Graph) extendSimple(a uint32, fresh []uint32) {
	best := a
	for _, n := range fresh {
		if g.anchorLess(n, best) {
			best = n
		}
	}
	if best == a {
		for _, n := range fresh {
			g.nodes.at(n).anchor = a
		}
		return
	}
	g.nodes.at(a).flags &^= flagSimple
	g.nodes.at(best).flags |= flagSimple
	for m := best; ; {
		g.nodes.at(m).anchor = best
		if m = g.nodes.at(m).next; m == best {
			break
		}
	}
}
