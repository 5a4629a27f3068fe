package population

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/throughline/throughline/identity"
)

// A World is one draw of how a customer base behaves. Merge rules tuned on
// one generator learn that generator's habits; a family of worlds whose
// behaviour is drawn from wide ranges, judged by its worst member, is what
// keeps them honest. Config.World selects the world planner (Traps are
// then ignored); DrawWorld draws one.
//
// Rates are probabilities. The ranges DrawWorld draws from are in its doc.
type World struct {
	// Households is the share of people who live with one to four others;
	// HomeUse the chance a member uses the shared home computer, for a share
	// of their activity drawn from [0.1, HomeShare] (0 means 0.6: at 1, some
	// members live on it); HomeTypes the chance such a member types forms
	// there (the others only click links and take calls on it). HomeChurn
	// is the mean number of extra cookies the home computer goes through
	// over the period.
	Households, HomeUse, HomeShare, HomeTypes, HomeChurn float64
	// Overlap is the chance a household's members shop at the same time
	// (journeys starting within a week of each other).
	Overlap float64
	// NoEmail and NoPhone are the shares of people without one.
	NoEmail, NoPhone float64
	// SecondPhone and SecondEmail are the shares of people with two.
	SecondPhone, SecondEmail float64
	// Misattributed is the chance a tracked call is matched to another
	// visitor's browser, a household member's with chance MisHousehold;
	// Forwarded the chance a personal link is opened by someone else, a
	// household member with chance FwdHousehold.
	Misattributed, MisHousehold float64
	Forwarded, FwdHousehold     float64
	// Surveys is the chance a buyer answers the survey on the showroom
	// tablet; Signups the chance a lead is typed on it; Dealerships how
	// many tablets there are.
	Surveys, Signups float64
	Dealerships      int
	// MaxSpanDays bounds one person's journey (uniform from 1 day).
	MaxSpanDays int
	// SingleID is the chance a form carries one contact only.
	SingleID float64
	// CookieChurn is the mean number of extra browsers a person comes back
	// from; Metrica the share of cookies in Yandex Metrica's format.
	CookieChurn, Metrica float64
	// Junk is the chance a form carries a placeholder typed by staff.
	Junk float64
}

// DrawWorld draws a world from seed, each parameter uniform in its range:
// households 0–0.6 of people, home use 0.3–1 for up to 0.6–1 of a
// member's activity, typing at home 0–1, home
// cookie churn 0–3, overlapping household journeys 0–1, no email and no
// phone 0–0.2 each, second phones and emails 0–0.25, misattributed calls
// 0–0.06 and forwarded links 0–0.05 (each landing in the household with
// chance 0–1), surveys on the tablet 0.2–0.7, sign-ups on it 0–0.1, 3–20
// dealerships, journeys up to 1–180 days, one-contact forms 0–0.5, cookie
// churn 0.3–3, Metrica cookies 0.1–0.6, junk 0–0.04.
func DrawWorld(seed uint64) World {
	r := rand.New(rand.NewPCG(seed, 0x3031d))
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	return World{
		Households: u(0, 0.6), HomeUse: u(0.3, 1), HomeTypes: u(0, 1), HomeChurn: u(0, 3), Overlap: u(0, 1),
		NoEmail: u(0, 0.2), NoPhone: u(0, 0.2),
		SecondPhone: u(0, 0.25), SecondEmail: u(0, 0.25),
		Misattributed: u(0, 0.06), MisHousehold: u(0, 1),
		Forwarded: u(0, 0.05), FwdHousehold: u(0, 1),
		Surveys: u(0.2, 0.7), Signups: u(0, 0.1), Dealerships: 3 + r.IntN(18),
		MaxSpanDays: 1 + r.IntN(180),
		SingleID:    u(0, 0.5),
		CookieChurn: u(0.3, 3), Metrica: u(0.1, 0.6),
		Junk:      u(0, 0.04),
		HomeShare: u(0.6, 1), // drawn last: the other draws stay as they were before it
	}
}

func (w World) String() string {
	return fmt.Sprintf("households %.2f home use %.2f (share ≤ %.2f) types %.2f churn %.1f overlap %.2f | no email %.2f no phone %.2f | second phone %.2f email %.2f | misattributed %.3f (home %.1f) forwarded %.3f (home %.1f) | surveys %.2f signups %.2f dealerships %d | span %dd single %.2f churn %.1f metrica %.2f junk %.3f",
		w.Households, w.HomeUse, w.HomeShare, w.HomeTypes, w.HomeChurn, w.Overlap, w.NoEmail, w.NoPhone, w.SecondPhone, w.SecondEmail,
		w.Misattributed, w.MisHousehold, w.Forwarded, w.FwdHousehold, w.Surveys, w.Signups, w.Dealerships,
		w.MaxSpanDays, w.SingleID, w.CookieChurn, w.Metrica, w.Junk)
}

// homeMarker is the owner a home computer's cookie carries until the
// household's use of it is counted.
const homeMarker = -3

// worldHousehold returns n's household in a world: people come in blocks
// of five, and a block is a household of its first two to five with the
// probability that makes Households the share of people in one. Members
// share a start time when the household overlaps.
type worldHome struct {
	members []uint32
	start   int64 // shared journey start; 0 when members shop on their own
	cookies int   // the home computer's cookies over the period
}

func (g *Generator) worldHousehold(n uint32) worldHome {
	w := g.cfg.World
	block := n - n%5
	r := rand.New(rand.NewPCG(g.cfg.Seed^0xb10c, uint64(block)))
	size := 2
	switch x := r.IntN(100); {
	case x >= 90:
		size = 5
	case x >= 70:
		size = 4
	case x >= 40:
		size = 3
	}
	meanSize := 2.0*0.4 + 3*0.3 + 4*0.2 + 5*0.1
	pHouse := w.Households * 5 / meanSize
	var h worldHome
	if r.Float64() >= pHouse || int(block)+size > g.cfg.People || n >= block+uint32(size) {
		h.members = []uint32{n}
		return h
	}
	for i := range size {
		h.members = append(h.members, block+uint32(i))
	}
	if r.Float64() < w.Overlap {
		h.start = g.cfg.Start.Unix() + int64(r.IntN(g.cfg.Days))*86400
	}
	h.cookies = 1 + min(int(r.ExpFloat64()*w.HomeChurn), 6)
	return h
}

// homeCookie is the home computer's cookie in use at time t: its cookies
// follow one another over the period.
func (g *Generator) homeCookie(h worldHome, t int64) pid {
	era := int64(g.cfg.Days) * 86400 / int64(h.cookies)
	i := min(max((t-g.cfg.Start.Unix())/era, 0), int64(h.cookies-1))
	return pid{kind: kCookie, value: strconv.FormatUint(uint64(h.members[0])*7919+uint64(i)*131+2_000_000_000_000, 10) + ".1680000000", owner: homeMarker}
}

// worldBase is what a person owns in a world.
func (g *Generator) worldBase(n uint32) *base {
	w := g.cfg.World
	seed := g.cfg.Seed*0x9e3779b97f4a7c15 + uint64(n)
	r := rand.New(rand.NewPCG(seed, 0x3031d))
	b := &base{r: r, s: scramble(n ^ uint32(g.cfg.Seed)), device: -1, crm: -1}
	add := func(k idKind, v string) uint8 {
		b.ids = append(b.ids, pid{kind: k, value: v, owner: int32(n), emit: true})
		return uint8(len(b.ids) - 1)
	}
	b.first, b.last = firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	phoneOf := func(k uint32) string { return phoneNumber(n, k, g.cfg.Seed, false) }
	x := r.Float64()
	hasPhone, hasEmail := x >= w.NoPhone, x < w.NoPhone || x >= w.NoPhone+w.NoEmail
	if hasPhone {
		b.phones = append(b.phones, add(kPhone, phoneOf(0)))
		if r.Float64() < w.SecondPhone {
			b.phones = append(b.phones, add(kPhone, phoneOf(1)))
		}
	}
	if hasEmail {
		styles := []string{b.first + "." + b.last, b.first[:1] + b.last, b.last + "_" + b.first, b.first + b.last}
		b.emails = append(b.emails, add(kEmail, styles[r.IntN(len(styles))]+strconv.FormatUint(uint64(b.s), 10)+"@"+pickDomain(r)))
		if r.Float64() < w.SecondEmail {
			b.emails = append(b.emails, add(kEmail, b.last+"."+b.first+strconv.FormatUint(uint64(b.s)+7, 10)+"@"+pickDomain(r)))
		}
	}
	ncookies := 1 + min(int(r.ExpFloat64()*w.CookieChurn), 10)
	b.browsersAndRecords(ncookies, func() bool { return r.Float64() < w.Metrica }, add)
	return b
}

// worldPerson is person n's identifiers and plan in a world, with the home
// computer's cookies given to the household member who used each most.
func (g *Generator) worldPerson(n uint32) *person {
	p := g.worldPlan(n)
	var owners map[string]int32
	for i, id := range p.ids {
		if id.owner != homeMarker {
			continue
		}
		if owners == nil {
			owners = g.homeOwners(n)
		}
		p.ids[i].owner = owners[id.value]
		p.ids[i].emit = owners[id.value] == int32(n)
	}
	return p
}

// homeOwners counts each member's observations on each home cookie; the
// most frequent user owns it (ties: the lower person number).
func (g *Generator) homeOwners(n uint32) map[string]int32 {
	type use struct {
		count int
		who   int32
	}
	best := map[string]use{}
	for _, m := range g.worldHousehold(n).members {
		p := g.worldPlan(m)
		counts := map[string]int{}
		for _, o := range p.obs {
			for _, k := range o.ids {
				if p.ids[k].owner == homeMarker {
					counts[p.ids[k].value]++
				}
			}
		}
		for v, c := range counts {
			if b, ok := best[v]; !ok || c > b.count {
				best[v] = use{c, int32(m)}
			}
		}
	}
	out := make(map[string]int32, len(best))
	for v, u := range best {
		out[v] = u.who
	}
	return out
}

// DealerValues are the dealer group's own email and phone, which staff
// type into forms when a customer gives none; a host lists them in
// identity's Policy.Junk.
func DealerValues() []identity.ID {
	return []identity.ID{{Kind: identity.Email, Value: "noemail@avtotrade-group.ru"}, {Kind: identity.Email, Value: "info@avtotrade-group.ru"}, {Kind: identity.Phone, Value: "+74957770000"}}
}
