package journey

import (
	"time"

	"github.com/throughline/throughline/identity"
)

// TimelineFor is Timeline as v sees it (see identity.Viewer): the events
// v's company collected, those collected with no company named, and those
// another company collected when the person gave it a basis for v's
// purpose naming v's company (basis, for example a channel.Reacher; nil:
// none). The basis is asked once per collecting company.
func (s *Store) TimelineFor(p identity.ProfileID, v identity.Viewer, basis identity.Basis, now time.Time) []Event {
	if cur, ok := s.graph.Current(p); ok {
		p = cur
	}
	tl := s.Timeline(p)
	seen := map[string]bool{}
	out := tl[:0]
	for _, e := range tl {
		ok, asked := seen[e.Company]
		if !asked {
			ok = v.Sees(p, e.Company, basis, now)
			seen[e.Company] = ok
		}
		if ok {
			out = append(out, e)
		}
	}
	return out
}
