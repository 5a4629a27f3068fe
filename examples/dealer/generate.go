package main

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/population"
	"github.com/throughline/throughline/journey"
)

// A step is one thing that happened: an identity observation, an event, or
// both (a form sends identifiers and is a lead).
type step struct {
	t   time.Time
	obs *identity.Observation
	ev  *journey.Event
}

// source is a way people arrive at the dealer's site, as the landing URL
// and referrer show it; package channel classifies it, not this table.
type source struct {
	name     string // for the generator's weights only
	weight   float64
	landing  string // query appended to the car page; %s is the model
	referrer string
}

var sources = []source{
	{"yandex direct", 22, "utm_source=yandex&utm_medium=cpc&utm_campaign=%s_search&placement=search&yclid=", ""},
	{"yandex network", 18, "utm_source=yandex&utm_medium=cpc&utm_campaign=%s_rsya&placement=context&yclid=", ""},
	{"retargeting", 10, "utm_source=yandex&utm_medium=cpc&utm_campaign=retargeting_%s&rt=5512&yclid=", ""},
	{"organic", 18, "", "https://yandex.ru/search/?text=%s"},
	{"classifieds", 12, "", "https://auto.ru/cars/new/%s/"},
	{"vk", 8, "utm_source=vk&utm_medium=social&utm_campaign=%s_post", ""},
	{"direct", 12, "", ""},
}

// leadBias multiplies a source's weight for the session right before a
// lead, by whether the person goes on to buy: retargeting reaches people
// already deciding, display networks people still browsing. This is where
// the generator is calibrated to the reference dealer's 27% vs 13%
// lead-to-contract; the report measures the result, it does not assume it.
var leadBias = map[string][2]float64{ // [buyer, not buyer]
	"retargeting":    {1.15, 1.0},
	"yandex network": {0.9, 2.2},
}

var models = []struct{ brand, model string }{
	{"Kia", "k5"}, {"Kia", "sportage"}, {"Haval", "jolion"}, {"Haval", "f7"}, {"Chery", "tiggo-7-pro"},
	{"Geely", "monjaro"}, {"Lada", "vesta"}, {"Toyota", "camry"}, {"Changan", "uni-k"}, {"Exeed", "txl"},
}

// generator turns a synthetic population's identity observations into a
// dealer's steps: browsing sessions from ~7 sources before each lead, car
// card views (10+ for buyers), test drives, pay-by-link advances,
// contracts and surveys.
type generator struct {
	r       *rand.Rand
	cls     *channel.Classifier
	seed    uint64
	n       uint64
	steps   []step
	buyers  map[int32]bool
	browsed map[string]bool // cookies that already had their pre-lead sessions
	devices map[int32]int   // browsers and devices per person in the population
}

func generate(people int, seed uint64, now time.Time) ([]step, *generator) {
	start := now.Add(-200 * 24 * time.Hour)
	pop := population.New(population.Config{People: people, Seed: seed, Start: start, Days: 190, Traps: population.Realistic()})
	g := &generator{
		r:      rand.New(rand.NewPCG(seed, 0xdea1e7)),
		cls:    channel.Default(),
		seed:   seed,
		buyers: map[int32]bool{}, browsed: map[string]bool{}, devices: map[int32]int{},
	}
	// People on a single browser or device get a second one (a phone they
	// browse car cards on), as buyers use 2 to 10.
	for id, person := range pop.Identifiers() {
		if person >= 0 && (id.Kind == identity.Cookie || id.Kind == identity.Device) {
			g.devices[person]++
		}
	}
	// Who buys decides how they browse, so read the population first.
	var all []population.Observation
	for o := range pop.Observations() {
		if o.Source == "crm_import" && len(o.Person) > 0 && o.Person[0] >= 0 {
			g.buyers[o.Person[0]] = true
		}
		all = append(all, o)
	}
	g.steps = make([]step, 0, 30*people)
	for _, o := range all {
		g.observation(o, now)
	}
	return g.steps, g
}

func (g *generator) id() uuid.UUID {
	g.n++
	var u uuid.UUID
	binary.BigEndian.PutUint64(u[:8], g.seed)
	binary.BigEndian.PutUint64(u[8:], g.n)
	u[6] = u[6]&0x0f | 0x80 // version 8: custom
	u[8] = u[8]&0x3f | 0x80
	return u
}

// The group: three companies (each an operator of personal data), their
// dealerships, and each dealership's salespeople.
var dealerships = []struct{ company, name, site string }{
	{"North Motors LLC", "North Motors Khimki", "khimki.north-motors.ru"}, {"North Motors LLC", "North Motors Mytishchi", "mytishchi.north-motors.ru"},
	{"South Auto LLC", "South Auto Podolsk", "south-auto.ru"}, {"East Car LLC", "East Car Balashikha", "eastcar.ru"},
}

var salespeople = []string{"Ivanova", "Petrov", "Sidorova"}

// A party is the dealership a person deals with and its salesperson, and,
// for one buyer in six, the dealership its salesperson refers the buyer
// to, which closes the sale.
type party struct {
	dealership, referredTo int // referredTo -1: none
	salesperson            string
	groupWide              bool // its consents name the group's other companies
}

// otherCompanies are the group's companies but c, in order.
func otherCompanies(c string) []string {
	var out []string
	for _, d := range dealerships {
		if d.company != c && !slices.Contains(out, d.company) {
			out = append(out, d.company)
		}
	}
	return out
}

// partyOf draws a person's party from a hash of the person and the seed,
// so the generator's random stream, and everything drawn from it, stays
// as it was.
func (g *generator) partyOf(person int32) party {
	sum := uuid.NewSHA1(uuid.NameSpaceOID, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, g.seed), uint64(person)))
	h := binary.LittleEndian.Uint64(sum[:8])
	p := party{dealership: int(h % uint64(len(dealerships))), referredTo: -1, salesperson: salespeople[h>>8%uint64(len(salespeople))]}
	if h>>16%6 == 0 {
		p.referredTo = (p.dealership + 1) % len(dealerships)
	}
	p.groupWide = h>>24%3 == 0
	return p
}

// at returns props with dealership d and the salesperson (none when "").
func at(props map[string]string, d int, salesperson string) map[string]string {
	out := maps.Clone(props)
	out["dealership"] = dealerships[d].name
	if salesperson != "" {
		out["salesperson"] = salesperson
	}
	return out
}

func (g *generator) event(t time.Time, typ journey.EventType, ids []identity.ID, touch journey.Touch, props map[string]string) {
	e := &journey.Event{ID: g.id(), Time: t, Type: typ, IDs: ids, Touch: touch, Props: props}
	g.steps = append(g.steps, step{t: t, ev: e})
}

func (g *generator) observation(o population.Observation, now time.Time) {
	person := int32(population.Nobody)
	if len(o.Person) > 0 {
		person = o.Person[0]
	}
	obs := o.Observation
	s := step{t: o.Time, obs: &obs}
	cookie := first(o.IDs, identity.Cookie)
	car := models[g.r.IntN(len(models))]
	props := map[string]string{"brand": car.brand, "model": car.model}
	switch o.Source {
	case "web_form":
		if cookie != nil && !g.browsed[cookie.Value] {
			g.browsed[cookie.Value] = true
			g.browse(*cookie, o.Time, person, car)
		}
		if person >= 0 && g.devices[person] < 2 {
			g.devices[person] = 2
			g.secondDevice(o, person, car)
		}
		s.ev = &journey.Event{ID: g.id(), Time: o.Time, Type: journey.Lead, IDs: o.IDs, Props: props}
		pt := g.partyOf(person)
		if person >= 0 {
			// The form is on the dealership's site, and its company
			// collects it; the dealership's salesperson answers the lead
			// within hours.
			s.ev.Company, s.ev.Site = dealerships[pt.dealership].company, dealerships[pt.dealership].site
			obs.Company, obs.Site = s.ev.Company, s.ev.Site
			g.event(o.Time.Add(time.Duration(1+int(o.Time.Unix()%5))*time.Hour), "lead_response", o.IDs, journey.Touch{}, at(props, pt.dealership, pt.salesperson))
			g.steps[len(g.steps)-1].ev.Company = dealerships[pt.dealership].company
		}
		// The form asks for consents: email and SMS offers, and ads
		// targeting (paid media), each ticked by about half.
		for _, c := range [][2]string{{"email", "marketing"}, {"sms", "marketing"}, {"ads", "paid_media"}} {
			status := "denied"
			if g.r.IntN(100) < 55 {
				status = "granted"
			}
			g.event(o.Time.Add(time.Second), "consent", o.IDs, journey.Touch{},
				map[string]string{"channel": c[0], "purpose": c[1], "status": status})
			if person >= 0 {
				// Given to the company whose site the form is on; one
				// person in three also names the group's other companies.
				ev := g.steps[len(g.steps)-1].ev
				ev.Company = dealerships[pt.dealership].company
				if pt.groupWide {
					ev.Props["recipients"] = strings.Join(otherCompanies(ev.Company), ",")
				}
			}
		}
		if g.buyers[person] {
			if phone := first(o.IDs, identity.Phone); phone != nil {
				td := o.Time.Add(time.Duration(2+g.r.IntN(9)) * 24 * time.Hour)
				if td.Before(now) {
					g.event(td, journey.TestDrive, []identity.ID{*phone}, journey.Touch{}, at(props, pt.dealership, pt.salesperson))
					g.steps[len(g.steps)-1].ev.Company = dealerships[pt.dealership].company
				}
			}
		} else if cookie != nil && g.r.IntN(3) == 0 {
			// Retargeting chases those who did not buy.
			t := o.Time.Add(time.Duration(1+g.r.IntN(20)) * 24 * time.Hour)
			if t.Before(now) {
				g.session(*cookie, t, sources[2], car, 1+g.r.IntN(2))
			}
		}
	case "email_click", "sms_click":
		medium := "email"
		if o.Source == "sms_click" {
			medium = "sms"
		}
		s.ev = &journey.Event{ID: g.id(), Time: o.Time, Type: journey.EventType(o.Source), IDs: o.IDs,
			Touch: g.touch("https://avtotrade-group.ru/offers?utm_source=crm&utm_medium="+medium+"&utm_campaign=personal_offer", "")}
	case "call":
		s.ev = &journey.Event{ID: g.id(), Time: o.Time, Type: journey.Call, IDs: o.IDs, Props: props}
		if person >= 0 { // a tracked call to the person's dealership
			pt := g.partyOf(person)
			s.ev.Props, s.ev.Company = at(props, pt.dealership, ""), dealerships[pt.dealership].company
		}
	case "app_login":
		s.ev = &journey.Event{ID: g.id(), Time: o.Time, Type: journey.PageView, IDs: o.IDs, Props: map[string]string{"app": "1"}}
	case "crm_import":
		price := 1_500_000 + g.r.IntN(30)*100_000
		if phone := first(o.IDs, identity.Phone); phone != nil {
			// The advance is paid by a link sent in an SMS, days before.
			adv := o.Time.Add(-time.Duration(2+g.r.IntN(6)) * 24 * time.Hour)
			g.event(adv, journey.AdvancePayment, []identity.ID{*phone}, journey.Touch{},
				map[string]string{"brand": car.brand, "model": car.model})
			g.steps[len(g.steps)-1].ev.Value = journey.Money{Minor: 50_000_00, Currency: "RUB"}
		}
		s.ev = &journey.Event{ID: g.id(), Time: o.Time, Type: journey.Contract, IDs: o.IDs, Props: props,
			Value: journey.Money{Minor: int64(price) * 100, Currency: "RUB"}}
		if person >= 0 { // closed by the person's dealership, or the one it was referred to
			pt := g.partyOf(person)
			d := pt.dealership
			if pt.referredTo >= 0 {
				d = pt.referredTo
			}
			s.ev.Props, s.ev.Company = at(props, d, salespeople[(slices.Index(salespeople, pt.salesperson)+1)%len(salespeople)]), dealerships[d].company
		}
	case "csi_survey":
		s.ev = &journey.Event{ID: g.id(), Time: o.Time, Type: journey.Survey, IDs: o.IDs, Props: map[string]string{"score": fmt.Sprint(6 + g.r.IntN(5))}}
	}
	g.steps = append(g.steps, s)
}

// secondDevice adds a phone browser a person looks at car cards on before
// the lead, anonymously; half of them later open an SMS link on it, which
// is what lets identity attach it.
func (g *generator) secondDevice(lead population.Observation, person int32, car struct{ brand, model string }) {
	phone := identity.ID{Kind: identity.Cookie, Value: fmt.Sprintf("GA1.2.%d.%d", 2_000_000_000+int(person), 1_760_000_000+g.r.IntN(10_000_000))}
	t := lead.Time.Add(-time.Duration(1+g.r.IntN(10)) * 24 * time.Hour)
	g.session(phone, t, g.pick(false, false), car, 1+g.r.IntN(3))
	if tel := first(lead.IDs, identity.Phone); tel != nil && g.r.IntN(2) == 0 {
		at := lead.Time.Add(time.Duration(1+g.r.IntN(5)) * 24 * time.Hour)
		ids := []identity.ID{phone, *tel}
		g.steps = append(g.steps, step{t: at, obs: &identity.Observation{Time: at, Source: "sms_click", IDs: ids},
			ev: &journey.Event{ID: g.id(), Time: at, Type: journey.SMSClick, IDs: ids,
				Touch: g.touch("https://avtotrade-group.ru/offers?utm_source=crm&utm_medium=sms&utm_campaign=personal_offer", "")}})
	}
}

// browse makes the sessions that come before a lead: a few visits from
// different sources over up to 60 days, 10+ car card views for a buyer.
func (g *generator) browse(cookie identity.ID, lead time.Time, person int32, car struct{ brand, model string }) {
	buyer := g.buyers[person]
	sessions := 2 + g.r.IntN(5)
	views := 0
	need := 3 + g.r.IntN(12)
	if buyer {
		need = 10 + g.r.IntN(8)
	}
	for k := sessions - 1; k >= 0; k-- {
		// The last session (k == 0) is the one the lead comes from.
		t := lead.Add(-time.Duration(k)*time.Duration(1+g.r.IntN(14))*24*time.Hour - time.Duration(10+g.r.IntN(20))*time.Minute)
		if k == 0 {
			t = lead.Add(-time.Duration(5+g.r.IntN(25)) * time.Minute)
		}
		n := 1 + g.r.IntN(4)
		if k == 0 && views+n < need {
			n = need - views
		}
		views += n
		g.session(cookie, t, g.pick(k == 0, buyer), car, n)
	}
}

func (g *generator) pick(leadSession, buyer bool) source {
	total := 0.0
	w := make([]float64, len(sources))
	for i, s := range sources {
		w[i] = s.weight
		if b, ok := leadBias[s.name]; ok && leadSession {
			if buyer {
				w[i] *= b[0]
			} else {
				w[i] *= b[1]
			}
		}
		total += w[i]
	}
	x := g.r.Float64() * total
	for i, s := range sources {
		if x < w[i] {
			return s
		}
		x -= w[i]
	}
	return sources[len(sources)-1]
}

// session is one visit: the arrival's touch, then car card views.
func (g *generator) session(cookie identity.ID, t time.Time, src source, car struct{ brand, model string }, views int) {
	landing := "https://avtotrade-group.ru/cars/" + car.model
	if src.landing != "" {
		landing += "?" + fmt.Sprintf(src.landing, car.model)
		if landing[len(landing)-1] == '=' {
			landing += fmt.Sprint(1_000_000 + g.r.IntN(9_000_000))
		}
	}
	ref := ""
	if src.referrer != "" {
		ref = fmt.Sprintf(src.referrer, url.QueryEscape(car.brand+" "+car.model))
	}
	touch := g.touch(landing, ref)
	for i := range views {
		m := car
		if i > 0 && g.r.IntN(3) == 0 {
			m = models[g.r.IntN(len(models))] // comparing other cars
		}
		tc := journey.Touch{}
		if i == 0 {
			tc = touch
		}
		g.event(t.Add(time.Duration(i)*2*time.Minute), journey.CarView, []identity.ID{cookie}, tc,
			map[string]string{"brand": m.brand, "model": m.model})
	}
}

// touch classifies an arrival with package channel and keeps its tags.
func (g *generator) touch(landing, referrer string) journey.Touch {
	res := g.cls.Classify(channel.Arrival{Landing: landing, Referrer: referrer})
	t := journey.Touch{Channel: res.Channel, Source: res.Tags.Source, Medium: res.Tags.Medium, Campaign: res.Tags.Campaign,
		Referrer: referrer, Landing: landing}
	if u, err := url.Parse(landing); err == nil {
		t.YCLID = u.Query().Get("yclid")
	}
	return t
}

func first(ids []identity.ID, k identity.Kind) *identity.ID {
	for i := range ids {
		if ids[i].Kind == k {
			return &ids[i]
		}
	}
	return nil
}
