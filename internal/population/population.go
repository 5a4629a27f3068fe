// Package population generates synthetic dealer customer bases with ground
// truth: who each identifier belongs to. The examples use it to make data
// that looks like a dealer's; tests and scorers use the truth to measure
// identity resolution.
//
// A person leaves a lead through a web form (cookie, email, phone), comes back
// from other browsers through email and SMS links and tracked calls, may use
// the dealer's app (device ID) and may buy (CRM number). Every identifier is
// written in the spellings people and systems use: upper-case and dotted Gmail
// addresses, phones as "8 (916) 123-45-67" or "+7 916 123 45 67", _ga cookies
// with and without their "GA1.2." prefix.
//
// Generation is deterministic for a seed, and streams: observations come out
// in time order while memory holds 16 bytes per observation.
package population

import (
	"cmp"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
)

// Config sizes a population.
type Config struct {
	People int       // number of people; 0 means 10,000
	Seed   uint64    // the same seed gives the same population
	Start  time.Time // first possible observation; zero means 2026-01-01 UTC
	Days   int       // length of the period observations fall in; 0 means 365
	// MaxSpanDays bounds one person's journey (uniform from 1 day); 0 means
	// 90, the dealer's decision time.
	MaxSpanDays int
	Traps       Traps // the zero value: none, every person cleanly separable
	// World, when set, plans people by its behaviour instead of Traps (and
	// MaxSpanDays): see DrawWorld.
	World *World
}

// Traps are the ways real dealer data joins people who are not one person,
// or hides that two identifiers are one person's. Rates are probabilities.
type Traps struct {
	// Families share a home computer: Households is the share of people who
	// live with one to three others; FamilyComputer the chance a member
	// leaves a form or a click from the shared computer.
	Households, FamilyComputer float64
	// ShowroomSurveys is the chance a buyer answers the satisfaction survey on
	// the dealership's tablet (one tablet per dealership, Dealerships of them).
	ShowroomSurveys float64
	Dealerships     int
	// Junk is the chance a form carries a placeholder typed by staff (test
	// addresses, the dealership's own phone or email, 8-800 numbers).
	Junk float64
	// MisattributedCalls is the chance a tracked call is matched to another
	// visitor's session; ForwardedLinks the chance a personal link is opened
	// by someone else (the spouse, or a friend it was forwarded to).
	MisattributedCalls, ForwardedLinks float64
	// CookieChurn is the mean number of extra browsers (cleared cookies, new
	// phones) a person comes back from.
	CookieChurn float64
	// SecondPhone and SecondEmail are the shares of people with two.
	SecondPhone, SecondEmail float64
}

// Realistic are trap rates of the size dealer data shows: a third of
// people live in households that share a computer, one buyer in two answers
// the survey in the showroom, one form in 40 carries a placeholder, one call
// in 20 is matched to the wrong visitor and one personal link in 20 is opened
// by someone else.
func Realistic() Traps {
	return Traps{
		Households: 0.35, FamilyComputer: 0.5,
		ShowroomSurveys: 0.5, Dealerships: 12,
		Junk:               0.025,
		MisattributedCalls: 0.05, ForwardedLinks: 0.05,
		CookieChurn: 1.5,
		SecondPhone: 0.12, SecondEmail: 0.1,
	}
}

// Owner is the person number the truth gives identifiers that belong to
// nobody: junk values and showroom tablets.
const Nobody = -1

func (c Config) withDefaults() Config {
	if c.People == 0 {
		c.People = 10_000
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if c.Days == 0 {
		c.Days = 365
	}
	if c.MaxSpanDays <= 0 {
		c.MaxSpanDays = 90
	}
	return c
}

// phoneNumber is person n's k-th phone (k 0 or 1), national digits: (n·a
// + b) mod 10^9 is a bijection for a coprime to 10^9, so people below
// 5·10^8 never share a number. A Kazakh one (kz) comes from the mobile
// ranges in use there (identity checks +7 against the numbering plan),
// a Russian one from 9xx.
func phoneNumber(n, k uint32, seed uint64, kz bool) string {
	x := (uint64(n) + uint64(k)*500_000_000 + seed) % 1_000_000_000
	y := (x*999_999_937 + 123_456_789) % 1_000_000_000
	if kz {
		return kzMobile[y%uint64(len(kzMobile))] + fmt.Sprintf("%07d", y/10%10_000_000)
	}
	return "9" + fmt.Sprintf("%09d", y)
}

// kzMobile are Kazakh mobile prefixes (+7 7xx) in use.
var kzMobile = []string{"700", "701", "702", "705", "706", "707", "708", "747", "771", "775", "776", "777", "778"}

// An Observation with its ground truth: Person[i] is the index of the person
// IDs[i] belongs to. Trap names the trap the observation sets, if any:
// family_computer, showroom_tablet, junk, misattributed_call,
// forwarded_link, second_phone, second_email.
type Observation struct {
	identity.Observation
	Person []int32
	Trap   string
}

// Generator produces a population.
type Generator struct {
	cfg Config
}

// New returns a generator for cfg.
func New(cfg Config) *Generator { return &Generator{cfg: cfg.withDefaults()} }

// People returns the configured number of people.
func (g *Generator) People() int { return g.cfg.People }

type slot struct {
	t   int64
	pid uint32
	seq uint16
}

// Observations yields every observation in time order (ties by person, then
// by the person's own order).
func (g *Generator) Observations() iter.Seq[Observation] {
	return func(yield func(Observation) bool) {
		var slots []slot
		for pid := range g.cfg.People {
			p := g.person(uint32(pid))
			for i, o := range p.obs {
				slots = append(slots, slot{t: o.t, pid: uint32(pid), seq: uint16(i)})
			}
		}
		slices.SortFunc(slots, func(a, b slot) int {
			return cmp.Or(cmp.Compare(a.t, b.t), cmp.Compare(a.pid, b.pid), cmp.Compare(a.seq, b.seq))
		})
		var cached uint32 = ^uint32(0)
		var p *person
		for _, s := range slots {
			if s.pid != cached {
				p, cached = g.person(s.pid), s.pid
			}
			if !yield(p.render(int(s.seq))) {
				return
			}
		}
	}
}

// Identifiers yields every identifier of every person in canonical-looking
// raw form (the first spelling), with its person, in person order.
func (g *Generator) Identifiers() iter.Seq2[identity.ID, int32] {
	return func(yield func(identity.ID, int32) bool) {
		for pid := range g.cfg.People {
			p := g.person(uint32(pid))
			for _, id := range p.ids {
				if id.emit && !yield(id.plain(), id.owner) {
					return
				}
			}
		}
		// Values that belong to nobody, each once.
		junk, tablets := g.cfg.Traps.Junk > 0, 0
		if g.cfg.Traps.ShowroomSurveys > 0 {
			tablets = g.cfg.Traps.Dealerships
		}
		if w := g.cfg.World; w != nil {
			junk, tablets = w.Junk > 0, max(w.Dealerships, 1)
		}
		if junk {
			for _, j := range junkValues {
				if !yield(j.plain(), Nobody) {
					return
				}
			}
		}
		for d := range tablets {
			if !yield(g.tablet(uint32(d)).plain(), Nobody) {
				return
			}
		}
	}
}

// pid scrambles person numbers so phone numbers and cookie values do not
// follow person order (a bijection on [0, 2^32)).
func scramble(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}

type idKind uint8

const (
	kEmail idKind = iota
	kPhone
	kCookie
	kMetrica
	kDevice
	kCRM
)

type pid struct {
	kind  idKind
	value string // base value: email "local@domain", phone 10 digits, cookie client ID
	owner int32  // the person it belongs to in the truth, or Nobody
	emit  bool   // this person lists it in Identifiers (each identifier once)
}

func (id pid) plain() identity.ID {
	switch id.kind {
	case kEmail:
		return identity.ID{Kind: identity.Email, Value: id.value}
	case kPhone:
		if strings.HasPrefix(id.value, "+") || strings.HasPrefix(id.value, "8") || strings.HasPrefix(id.value, "0") {
			return identity.ID{Kind: identity.Phone, Value: id.value}
		}
		return identity.ID{Kind: identity.Phone, Value: "+7" + id.value}
	case kCookie, kMetrica:
		return identity.ID{Kind: identity.Cookie, Value: id.value}
	case kDevice:
		return identity.ID{Kind: identity.Device, Value: id.value}
	}
	return identity.ID{Kind: identity.CRM, Value: id.value}
}

type plannedObs struct {
	t      int64
	source string
	trust  identity.Trust
	ids    []uint8 // indexes into person.ids
	trap   string
}

type person struct {
	num  uint32
	seed uint64
	ids  []pid
	obs  []plannedObs
}

var (
	firstNames = []string{"ivan", "alexey", "sergey", "dmitry", "andrey", "mikhail", "anna", "elena", "olga", "natalia", "maria", "tatiana", "pavel", "nikolay", "irina", "svetlana", "artem", "yulia", "roman", "ekaterina"}
	lastNames  = []string{"petrov", "ivanov", "smirnov", "kuznetsov", "popov", "vasiliev", "sokolov", "mikhailov", "novikov", "fedorov", "morozov", "volkov", "alekseev", "lebedev", "semenov", "egorov", "pavlov", "kozlov", "stepanov", "nikolaev"}
	domains    = []struct {
		name   string
		weight int
	}{{"gmail.com", 22}, {"yandex.ru", 22}, {"mail.ru", 20}, {"bk.ru", 5}, {"list.ru", 5}, {"inbox.ru", 4}, {"rambler.ru", 5}, {"ya.ru", 3}, {"outlook.com", 4}, {"icloud.com", 5}, {"avtotrade-group.ru", 5}}
	// junkValues are what staff type when a customer gives nothing: test
	// addresses, the dealer's own email and main line, placeholders.
	junkValues = []pid{
		{kind: kEmail, value: "test@test.ru"}, {kind: kEmail, value: "noemail@avtotrade-group.ru"},
		{kind: kEmail, value: "info@avtotrade-group.ru"}, {kind: kPhone, value: "+74957770000"},
		{kind: kPhone, value: "88005553535"}, {kind: kPhone, value: "79999999999"}, {kind: kPhone, value: "0000000000"},
	}
)

func pickDomain(r *rand.Rand) string {
	n := r.IntN(100)
	for _, d := range domains {
		if n < d.weight {
			return d.name
		}
		n -= d.weight
	}
	return domains[0].name
}

// base is what a person owns, with no reference to anyone else.
type base struct {
	first, last string
	s           uint32
	phones      []uint8
	emails      []uint8
	cookies     []uint8
	device, crm int // index or -1
	ids         []pid
	r           *rand.Rand
}

func (g *Generator) base(n uint32) *base {
	seed := g.cfg.Seed*0x9e3779b97f4a7c15 + uint64(n)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	tr := g.cfg.Traps
	b := &base{r: r, s: scramble(n ^ uint32(g.cfg.Seed)), device: -1, crm: -1}
	add := func(k idKind, v string) uint8 {
		b.ids = append(b.ids, pid{kind: k, value: v, owner: int32(n), emit: true})
		return uint8(len(b.ids) - 1)
	}
	b.first, b.last = firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	phoneOf := func(k uint32) string { return phoneNumber(n, k, g.cfg.Seed, r.IntN(100) < 3) }
	b.phones = append(b.phones, add(kPhone, phoneOf(0)))
	if r.Float64() < tr.SecondPhone {
		b.phones = append(b.phones, add(kPhone, phoneOf(1)))
	}
	if r.IntN(100) < 65 {
		styles := []string{b.first + "." + b.last, b.first[:1] + b.last, b.last + "_" + b.first, b.first + b.last}
		b.emails = append(b.emails, add(kEmail, styles[r.IntN(len(styles))]+strconv.FormatUint(uint64(b.s), 10)+"@"+pickDomain(r)))
		if r.Float64() < tr.SecondEmail {
			b.emails = append(b.emails, add(kEmail, b.last+"."+b.first+strconv.FormatUint(uint64(b.s)+7, 10)+"@"+pickDomain(r)))
		}
	}
	ncookies := 1
	if x := r.IntN(100); x >= 95 {
		ncookies = 3
	} else if x >= 75 {
		ncookies = 2
	}
	if tr.CookieChurn > 0 {
		// Exponential number of extra browsers with the given mean.
		ncookies += min(int(r.ExpFloat64()*tr.CookieChurn), 12)
	}
	b.browsersAndRecords(ncookies, func() bool { return r.IntN(100) < 30 }, add)
	return b
}

// browsersAndRecords adds n browsers (Metrica's cookie format when metrica
// says so, else GA's), a device for one person in four and a CRM number for
// three in ten.
func (b *base) browsersAndRecords(n int, metrica func() bool, add func(idKind, string) uint8) {
	r := b.r
	for k := range n {
		if metrica() {
			b.cookies = append(b.cookies, add(kMetrica, strconv.FormatUint(uint64(1600000000+r.IntN(100000000)), 10)+fmt.Sprintf("%011d", uint64(b.s)*16+uint64(k))))
		} else {
			b.cookies = append(b.cookies, add(kCookie, strconv.FormatUint(uint64(b.s)*16+uint64(k), 10)+"."+strconv.Itoa(1700000000+r.IntN(60000000))))
		}
	}
	if r.IntN(100) < 25 {
		b.device = int(add(kDevice, deviceID(r)))
	}
	if r.IntN(100) < 30 {
		b.crm = int(add(kCRM, "CRM-"+strconv.FormatUint(uint64(b.s), 10)))
	}
}

// household returns the members of n's household (n alone if none): people
// come in blocks of four, and a block is a household of the first two to
// four with the probability that makes Households the share of people in one.
func (g *Generator) household(n uint32) []uint32 {
	tr := g.cfg.Traps
	if tr.Households <= 0 {
		return []uint32{n}
	}
	block := n &^ 3
	r := rand.New(rand.NewPCG(g.cfg.Seed^0xfa111e5, uint64(block)))
	size := 2
	switch x := r.IntN(100); {
	case x >= 85:
		size = 4
	case x >= 60:
		size = 3
	}
	if r.Float64() >= tr.Households*4/2.55 || int(block)+size > g.cfg.People || n >= block+uint32(size) {
		return []uint32{n}
	}
	m := make([]uint32, size)
	for i := range m {
		m[i] = block + uint32(i)
	}
	return m
}

// usesFamilyComputer decides, from its own random stream, whether household
// member n fills forms on the shared computer.
func (g *Generator) usesFamilyComputer(n uint32, home []uint32) bool {
	if len(home) < 2 {
		return false
	}
	r := rand.New(rand.NewPCG(g.cfg.Seed^0xfc, uint64(n)))
	return r.Float64() < g.cfg.Traps.FamilyComputer
}

// tablet is dealership d's showroom tablet.
func (g *Generator) tablet(d uint32) pid {
	return pid{kind: kDevice, value: deviceID(rand.New(rand.NewPCG(g.cfg.Seed, uint64(d)+0x7ab))), owner: Nobody}
}

// person builds person n's identifiers and observation plan.
func (g *Generator) person(n uint32) *person {
	if g.cfg.World != nil {
		return g.worldPerson(n)
	}
	b := g.base(n)
	r := b.r
	tr := g.cfg.Traps
	p := &person{num: n, seed: g.cfg.Seed*0x9e3779b97f4a7c15 + uint64(n), ids: b.ids}
	ref := func(id pid) uint8 {
		for i, x := range p.ids {
			if x.kind == id.kind && x.value == id.value {
				return uint8(i)
			}
		}
		p.ids = append(p.ids, id)
		return uint8(len(p.ids) - 1)
	}
	// Someone else's browser: a misattributed call or a forwarded link.
	otherCookie := func(preferred []uint32) uint8 {
		q := uint32(r.IntN(g.cfg.People))
		for _, m := range preferred {
			if m != n {
				q = m
				break
			}
		}
		if q == n {
			q = (n + 1) % uint32(g.cfg.People)
		}
		ob := g.base(q)
		c := ob.ids[ob.cookies[0]]
		c.emit = false
		return ref(c)
	}
	start := g.cfg.Start.Unix() + int64(r.IntN(g.cfg.Days))*86400 + int64(r.IntN(86400))
	span := int64(86400 * (1 + r.IntN(g.cfg.MaxSpanDays)))
	at := func() int64 { return start + r.Int64N(span) }
	trap := ""
	plan := func(t int64, src string, ids ...uint8) {
		po := plannedObs{t: t, source: src, trap: trap}
		if tr.Junk > 0 && src == "web_form" && r.Float64() < tr.Junk {
			j := junkValues[r.IntN(len(junkValues))]
			j.owner, j.emit = Nobody, false // listed once by Identifiers
			ids = append(ids, ref(j))
			if po.trap == "" {
				po.trap = "junk"
			}
		}
		po.ids = ids
		p.obs = append(p.obs, po)
		trap = ""
	}
	email := -1
	if len(b.emails) > 0 {
		email = int(b.emails[0])
	}
	phone := b.phones[0]
	contacts := func() []uint8 {
		if email >= 0 {
			return []uint8{uint8(email), phone}
		}
		return []uint8{phone}
	}
	// The lead: a web form from the first browser.
	plan(start, "web_form", append([]uint8{b.cookies[0]}, contacts()...)...)
	home := g.household(n)
	// Other browsers arrive through personal links and tracked calls.
	for _, c := range b.cookies[1:] {
		switch x := r.IntN(3); {
		case x == 0 && email >= 0:
			plan(at(), "email_click", c, uint8(email))
		case x == 1:
			plan(at(), "sms_click", c, phone)
		default:
			plan(at(), "call", phone, c)
		}
	}
	if len(b.emails) > 1 {
		trap = "second_email"
		if r.IntN(2) == 0 {
			plan(at(), "csi_survey", b.emails[1], phone)
		} else {
			plan(at(), "web_form", b.cookies[r.IntN(len(b.cookies))], b.emails[1])
		}
	}
	if len(b.phones) > 1 {
		trap = "second_phone"
		plan(at(), "web_form", b.cookies[r.IntN(len(b.cookies))], b.phones[1])
		if r.IntN(2) == 0 {
			trap = "second_phone"
			plan(at(), "call", b.phones[1], b.cookies[r.IntN(len(b.cookies))])
		}
	}
	if b.device >= 0 {
		plan(at(), "app_login", uint8(b.device), phone)
	}
	if b.crm >= 0 {
		ids := append([]uint8{uint8(b.crm)}, contacts()...)
		if len(b.phones) > 1 && r.IntN(2) == 0 {
			ids = append(ids, b.phones[1])
		}
		plan(at(), "crm_import", ids...)
		if tr.ShowroomSurveys > 0 && tr.Dealerships > 0 && r.Float64() < tr.ShowroomSurveys {
			d := scramble(n^0xdea1e5) % uint32(tr.Dealerships)
			tablet := g.tablet(d)
			trap = "showroom_tablet"
			plan(at(), "csi_survey", ref(tablet), contacts()[0])
		}
	}
	// The family computer.
	if g.usesFamilyComputer(n, home) {
		// It belongs to the first member who uses it, and that member lists it.
		first := n
		for _, m := range home {
			if g.usesFamilyComputer(m, home) {
				first = m
				break
			}
		}
		fc := pid{kind: kCookie, value: strconv.FormatUint(uint64(home[0])*7919+1_000_000_000_000, 10) + ".1690000000", owner: int32(first), emit: n == first}
		trap = "family_computer"
		plan(at(), "web_form", append([]uint8{ref(fc)}, contacts()...)...)
	}
	// Returns: more forms, calls and clicks from browsers already known.
	for range r.IntN(3) + r.IntN(2) {
		c := b.cookies[r.IntN(len(b.cookies))]
		switch x := r.IntN(3); {
		case x == 0 && email >= 0:
			plan(at(), "web_form", c, uint8(email))
		case x == 1 && email >= 0:
			if tr.ForwardedLinks > 0 && r.Float64() < tr.ForwardedLinks {
				c = otherCookie(home)
				trap = "forwarded_link"
			}
			plan(at(), "email_click", c, uint8(email))
		default:
			if tr.MisattributedCalls > 0 && r.Float64() < tr.MisattributedCalls {
				c = otherCookie(nil)
				trap = "misattributed_call"
			}
			plan(at(), "call", phone, c)
		}
	}
	return p
}

func deviceID(r *rand.Rand) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hex[r.IntN(16)]
		}
	}
	return string(b)
}

// render writes observation i of the plan with fresh spellings.
func (p *person) render(i int) Observation {
	po := p.obs[i]
	r := rand.New(rand.NewPCG(p.seed, uint64(i)+1))
	o := Observation{
		Observation: identity.Observation{Time: time.Unix(po.t, 0).UTC(), Source: po.source, Trust: po.trust},
		Trap:        po.trap,
	}
	for _, k := range po.ids {
		o.IDs = append(o.IDs, spell(r, p.ids[k]))
		o.Person = append(o.Person, p.ids[k].owner)
	}
	return o
}

// spell writes an identifier the way a person or a system might.
func spell(r *rand.Rand, id pid) identity.ID {
	switch id.kind {
	case kEmail:
		v := id.value
		switch r.IntN(6) {
		case 0:
			v = upperFirst(v)
		case 1:
			v = "  " + v + " "
		case 2:
			v = upperAll(v)
		}
		return identity.ID{Kind: identity.Email, Value: v}
	case kPhone:
		d := id.value
		if len(d) != 10 || !allDigits(d) {
			return id.plain()
		}
		var v string
		switch r.IntN(6) {
		case 0:
			v = "8 (" + d[:3] + ") " + d[3:6] + "-" + d[6:8] + "-" + d[8:]
		case 1:
			v = "+7 " + d[:3] + " " + d[3:6] + " " + d[6:8] + " " + d[8:]
		case 2:
			v = "7" + d
		case 3:
			v = d
		case 4:
			v = "8-" + d[:3] + "-" + d[3:]
		default:
			v = "+7" + d
		}
		return identity.ID{Kind: identity.Phone, Value: v}
	case kCookie:
		if r.IntN(2) == 0 {
			return identity.ID{Kind: identity.Cookie, Value: "GA1.2." + id.value}
		}
		return identity.ID{Kind: identity.Cookie, Value: id.value}
	case kDevice:
		if r.IntN(3) == 0 {
			return identity.ID{Kind: identity.Device, Value: upperAll(id.value)}
		}
	}
	return id.plain()
}

func upperFirst(s string) string {
	b := []byte(s)
	up := true
	for i, c := range b {
		if up && c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
		up = c == '.' || c == '_' || c == '@'
	}
	return string(b)
}

func upperAll(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
