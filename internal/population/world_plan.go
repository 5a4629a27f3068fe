package population

import (
	"math/rand/v2"
)

// worldPlanner builds one person's observation plan in a world.
type worldPlanner struct {
	g        *Generator
	w        *World
	n        uint32
	b        *base
	r        *rand.Rand
	p        *person
	home     worldHome
	useHome  bool    // this member uses the home computer
	homeFrac float64 // for this share of their activity
	typeHome bool    // and types forms there
	start    int64
	span     int64
}

// worldPlan is person n's plan with home cookies not yet given owners.
func (g *Generator) worldPlan(n uint32) *person {
	b := g.worldBase(n)
	w := g.cfg.World
	pl := &worldPlanner{g: g, w: w, n: n, b: b, r: b.r, home: g.worldHousehold(n),
		p: &person{num: n, seed: g.cfg.Seed*0x9e3779b97f4a7c15 + uint64(n), ids: b.ids}}
	r := pl.r
	if len(pl.home.members) > 1 && r.Float64() < w.HomeUse {
		share := w.HomeShare
		if share == 0 {
			share = 0.6
		}
		pl.useHome, pl.homeFrac, pl.typeHome = true, 0.1+(share-0.1)*r.Float64(), r.Float64() < w.HomeTypes
	}
	pl.start = g.cfg.Start.Unix() + int64(r.IntN(g.cfg.Days))*86400 + int64(r.IntN(86400))
	if pl.home.start != 0 {
		pl.start = pl.home.start + int64(r.IntN(7*86400))
	}
	pl.span = int64(86400 * (1 + r.IntN(max(w.MaxSpanDays, 1))))
	pl.plan()
	return pl.p
}

func (pl *worldPlanner) at() int64 { return pl.start + pl.r.Int64N(pl.span) }

func (pl *worldPlanner) ref(id pid) uint8 {
	for i, x := range pl.p.ids {
		if x.kind == id.kind && x.value == id.value {
			return uint8(i)
		}
	}
	pl.p.ids = append(pl.p.ids, id)
	return uint8(len(pl.p.ids) - 1)
}

func (pl *worldPlanner) add(t int64, src, trap string, ids ...uint8) {
	if pl.w.Junk > 0 && src == "web_form" && pl.r.Float64() < pl.w.Junk {
		j := junkValues[pl.r.IntN(len(junkValues))]
		j.owner, j.emit = Nobody, false
		ids = append(ids, pl.ref(j))
		if trap == "" {
			trap = "junk"
		}
	}
	pl.p.obs = append(pl.p.obs, plannedObs{t: t, source: src, ids: ids, trap: trap})
}

// browser picks where an activity at t happens: the home computer for the
// member's home share, else one of their own browsers. typing says the
// activity is a form; members who do not type at home fill forms elsewhere.
func (pl *worldPlanner) browser(t int64, typing bool) (uint8, bool) {
	if pl.useHome && pl.r.Float64() < pl.homeFrac && (!typing || pl.typeHome) {
		return pl.ref(pl.g.homeCookie(pl.home, t)), true
	}
	return pl.b.cookies[pl.r.IntN(len(pl.b.cookies))], false
}

// other is someone else's browser: a household member's with chance
// household (their own first browser, or the home computer they share),
// else a stranger's.
func (pl *worldPlanner) other(t int64, household float64) uint8 {
	g := pl.g
	if ms := pl.home.members; len(ms) > 1 && pl.r.Float64() < household {
		if pl.r.IntN(2) == 0 {
			return pl.ref(g.homeCookie(pl.home, t))
		}
		q := ms[pl.r.IntN(len(ms))]
		if q == pl.n {
			q = ms[(indexOf(ms, pl.n)+1)%len(ms)]
		}
		c := g.worldBase(q).ids[g.worldBase(q).cookies[0]]
		c.emit = false
		return pl.ref(c)
	}
	q := uint32(pl.r.IntN(g.cfg.People))
	if q == pl.n {
		q = (q + 1) % uint32(g.cfg.People)
	}
	ob := g.worldBase(q)
	c := ob.ids[ob.cookies[0]]
	c.emit = false
	return pl.ref(c)
}

func indexOf(s []uint32, v uint32) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return 0
}

// contacts are the person's first email and first phone, those they have.
func (pl *worldPlanner) contacts() []uint8 {
	var c []uint8
	if len(pl.b.emails) > 0 {
		c = append(c, pl.b.emails[0])
	}
	if len(pl.b.phones) > 0 {
		c = append(c, pl.b.phones[0])
	}
	return c
}

func (pl *worldPlanner) plan() {
	b, r, w := pl.b, pl.r, pl.w
	trapOf := func(home bool, trap string) string {
		if home && trap == "" {
			return "family_computer"
		}
		return trap
	}
	// The lead: a form, on the showroom tablet for some, else a browser.
	contacts := pl.contacts()
	var later []uint8 // contacts a one-contact lead left for a later form
	if len(contacts) == 2 && r.Float64() < w.SingleID {
		i := r.IntN(2)
		later = []uint8{contacts[1-i]}
		contacts = []uint8{contacts[i]}
	}
	if w.Signups > 0 && r.Float64() < w.Signups {
		pl.add(pl.start, "web_form", "showroom_tablet", append([]uint8{pl.ref(pl.g.worldTablet(pl.n))}, contacts...)...)
		pl.add(pl.start+int64(r.IntN(3600)), "web_form", "", append([]uint8{b.cookies[0]}, pl.contacts()[:1]...)...)
	} else {
		c, home := pl.browser(pl.start, true)
		if !home {
			c = b.cookies[0]
		} else {
			pl.attach(pl.at(), b.cookies[0], "") // the first browser still comes in
		}
		pl.add(pl.start, "web_form", trapOf(home, ""), append([]uint8{c}, contacts...)...)
	}
	if later != nil {
		t := pl.at()
		c, home := pl.browser(t, true)
		pl.add(t, "web_form", trapOf(home, "single_id"), c, later[0])
	}
	// Other own browsers arrive through personal links and tracked calls.
	for _, c := range b.cookies[1:] {
		pl.attach(pl.at(), c, "")
	}
	pl.seconds()
	pl.crm()
	// Returns: more forms, clicks and calls.
	for range 1 + r.IntN(3) + r.IntN(3) {
		t := pl.at()
		if r.IntN(4) == 0 {
			c, home := pl.browser(t, true)
			pl.add(t, "web_form", trapOf(home, ""), append([]uint8{c}, pl.contacts()[:1+r.IntN(len(pl.contacts()))]...)...)
			continue
		}
		c, home := pl.browser(t, false)
		pl.attach(t, c, trapOf(home, ""))
	}
}

// attach records a click or call that reaches browser c, or someone else's
// when the link was forwarded or the call misattributed.
func (pl *worldPlanner) attach(t int64, c uint8, trap string) {
	b, r, w := pl.b, pl.r, pl.w
	switch x := r.IntN(3); {
	case x == 0 && len(b.emails) > 0, x != 0 && len(b.phones) == 0:
		if r.Float64() < w.Forwarded {
			c, trap = pl.other(t, w.FwdHousehold), "forwarded_link"
		}
		pl.add(t, "email_click", trap, c, b.emails[0])
	case x == 1:
		if r.Float64() < w.Forwarded {
			c, trap = pl.other(t, w.FwdHousehold), "forwarded_link"
		}
		pl.add(t, "sms_click", trap, c, b.phones[0])
	default:
		if r.Float64() < w.Misattributed {
			c, trap = pl.other(t, w.MisHousehold), "misattributed_call"
		}
		pl.add(t, "call", trap, b.phones[0], c)
	}
}

// seconds plans the second email and phone: typed alone on a browser, in a
// survey beside the first phone, or called from.
func (pl *worldPlanner) seconds() {
	b, r := pl.b, pl.r
	if len(b.emails) > 1 {
		t := pl.at()
		if r.IntN(2) == 0 && len(b.phones) > 0 {
			pl.add(t, "csi_survey", "second_email", b.emails[1], b.phones[0])
		} else {
			c, _ := pl.browser(t, true)
			pl.add(t, "web_form", "second_email", c, b.emails[1])
		}
	}
	if len(b.phones) > 1 {
		t := pl.at()
		c, _ := pl.browser(t, true)
		pl.add(t, "web_form", "second_phone", c, b.phones[1])
		if r.IntN(2) == 0 {
			t = pl.at()
			c, _ = pl.browser(t, false)
			pl.add(t, "call", "second_phone", b.phones[1], c)
		}
	}
}

// crm plans the app login, the dealer's record and the showroom survey.
func (pl *worldPlanner) crm() {
	b, r, w := pl.b, pl.r, pl.w
	first := pl.contacts()[0]
	if b.device >= 0 {
		pl.add(pl.at(), "app_login", "", uint8(b.device), first)
	}
	if b.crm < 0 {
		return
	}
	ids := append([]uint8{uint8(b.crm)}, pl.contacts()...)
	if len(b.phones) > 1 && r.IntN(2) == 0 {
		ids = append(ids, b.phones[1])
	}
	pl.add(pl.at(), "crm_import", "", ids...)
	if r.Float64() < w.Surveys {
		pl.add(pl.at(), "csi_survey", "showroom_tablet", pl.ref(pl.g.worldTablet(pl.n)), first)
	}
}

// worldTablet is the showroom tablet of person n's dealership.
func (g *Generator) worldTablet(n uint32) pid {
	d := scramble(n^0xdea1e5) % uint32(max(g.cfg.World.Dealerships, 1))
	return g.tablet(d)
}
