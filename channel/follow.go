package channel

import (
	"slices"

	"github.com/throughline/throughline/identity"
)

// Follow applies an identity change to what the Reacher keeps per profile,
// so that consents, contacts and sends are never stranded under a retired
// profile ID. Pass every Change the graph returns, with the graph.
//
// Merged profiles pool their consents (the latest answer per channel and
// purpose wins, a tie goes to the refusal, as in RecordConsent) and their
// sends (a cap counts everything sent to the person); the surviving
// profile's contacts and time zone win, the merged ones fill gaps.
//
// A split cannot tell which of the people gave a consent, so every
// resulting profile keeps the refusals (denied, revoked) and the sends,
// while grants and contacts stay only with the profile that kept the
// original ID: a consent is never extended to someone who may not have
// given it. The host sets the others' contacts again from their
// identifiers.
//
// An ID retired because a better identifier joined its profile moves
// whole to the ID the graph gives it now.
//
// On a Reacher made by OpenReacher, each step is journaled before it is
// applied; a journal error stops Follow there and is returned.
func (r *Reacher) Follow(g *identity.Graph, ch identity.Change) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cfg.Graph != nil { // keyed: nothing is kept under profile IDs
		if len(ch.Erased) > 0 {
			r.forgetTags(ch.Erased)
		}
		return nil
	}
	for _, m := range ch.Merges {
		for _, from := range m.From {
			// A profile that still stands is a split's business, never a
			// merge's (identity reports it so; the check guards hand-made
			// changes).
			if cur, ok := live(g, from); ok && cur == from {
				continue
			}
			if err := r.journaledMerge(m.Into, from); err != nil {
				return err
			}
		}
	}
	for _, s := range ch.Splits {
		if r.people[s.From] == nil {
			continue
		}
		if err := r.journalIf(recSplit, func() enc {
			e := enc{}.profile(s.From)
			for _, into := range s.Into {
				e = e.profile(into)
			}
			return e
		}); err != nil {
			return err
		}
		r.split(s.From, s.Into)
	}
	for _, old := range ch.Retired {
		if _, ok := r.people[old]; !ok {
			continue
		}
		if cur, ok := live(g, old); ok && cur != old {
			if err := r.journaledMerge(cur, old); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *Reacher) journaledMerge(into, from identity.ProfileID) error {
	if r.people[from] == nil || into == from {
		return nil
	}
	if err := r.journalIf(recMerge, func() enc { return enc{}.profile(into).profile(from) }); err != nil {
		return err
	}
	r.merge(into, from)
	return nil
}

// split hands from's refusals and sends to every profile of into, and
// keeps its grants and contacts only if from is among them.
func (r *Reacher) split(from identity.ProfileID, into []identity.ProfileID) {
	orig := r.people[from]
	if orig == nil {
		return
	}
	for _, p := range into {
		if p == from {
			continue
		}
		x := r.person(p)
		for k, c := range orig.consents {
			if c.Status != ConsentGranted {
				keepLatest(x.consents, k, c)
			}
		}
		x.sends = mergeSends(x.sends, orig.sends)
	}
	if !slices.Contains(into, from) {
		// The original ID is gone: its grants go nowhere.
		delete(r.people, from)
	}
}

// live reports the ID p's identifiers answer to now.
func live(g *identity.Graph, p identity.ProfileID) (identity.ProfileID, bool) {
	if g == nil {
		return identity.ProfileID{}, false
	}
	return g.Current(p)
}

// merge moves everything kept for from into into.
func (r *Reacher) merge(into, from identity.ProfileID) {
	src := r.people[from]
	if src == nil || into == from {
		return
	}
	dst := r.person(into)
	for k, c := range src.consents {
		keepLatest(dst.consents, k, c)
	}
	for ch, addr := range src.contacts {
		if _, ok := dst.contacts[ch]; !ok {
			dst.contacts[ch] = addr
		}
	}
	if dst.loc == nil {
		dst.loc = src.loc
	}
	dst.sends = mergeSends(dst.sends, src.sends)
	delete(r.people, from)
}

// keepLatest stores c unless a later answer (or a refusal at the same
// instant) is already there.
func keepLatest(m map[consentKey]Consent, k consentKey, c Consent) {
	old, ok := m[k]
	if !ok || c.At.After(old.At) || c.At.Equal(old.At) && c.Status != ConsentGranted {
		m[k] = c
	}
}

func mergeSends(a, b []send) []send {
	out := slices.Concat(a, b)
	slices.SortStableFunc(out, func(x, y send) int { return x.at.Compare(y.at) })
	return out
}
