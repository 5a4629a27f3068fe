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
	"time"

	"github.com/throughline/throughline/identity"
)

// Config sizes a population.
type Config struct {
	People int       // number of people; 0 means 10,000
	Seed   uint64    // the same seed gives the same population
	Start  time.Time // first possible observation; zero means 2026-01-01 UTC
	Days   int       // length of the period observations fall in; 0 means 365
}

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
	return c
}

// An Observation with its ground truth: Person[i] is the index of the person
// IDs[i] belongs to.
type Observation struct {
	identity.Observation
	Person []int32
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
				if !yield(id.plain(), int32(pid)) {
					return
				}
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
}

func (id pid) plain() identity.ID {
	switch id.kind {
	case kEmail:
		return identity.ID{Kind: identity.Email, Value: id.value}
	case kPhone:
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

// person builds person n's identifiers and observation plan.
func (g *Generator) person(n uint32) *person {
	seed := g.cfg.Seed*0x9e3779b97f4a7c15 + uint64(n)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	p := &person{num: n, seed: seed}
	s := scramble(n ^ uint32(g.cfg.Seed))
	add := func(k idKind, v string) uint8 {
		p.ids = append(p.ids, pid{k, v})
		return uint8(len(p.ids) - 1)
	}
	first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	// Phones: unique 10-digit mobile numbers (9xx); 3% in Kazakhstan (7xx).
	// (n·a + b) mod 10^9 is a bijection for a coprime to 10^9, so people
	// below 5·10^8 never share a number.
	phoneOf := func(k uint32) string {
		prefix := "9"
		if r.IntN(100) < 3 {
			prefix = "7"
		}
		x := (uint64(n) + uint64(k)*500_000_000 + g.cfg.Seed) % 1_000_000_000
		return prefix + fmt.Sprintf("%09d", (x*999_999_937+123_456_789)%1_000_000_000)
	}
	phone := add(kPhone, phoneOf(0))
	var email = uint8(255)
	if r.IntN(100) < 65 {
		styles := []string{first + "." + last, first[:1] + last, last + "_" + first, first + last}
		email = add(kEmail, styles[r.IntN(len(styles))]+strconv.FormatUint(uint64(s), 10)+"@"+pickDomain(r))
	}
	ncookies := 1
	if x := r.IntN(100); x >= 95 {
		ncookies = 3
	} else if x >= 75 {
		ncookies = 2
	}
	var cookies []uint8
	for k := range ncookies {
		if r.IntN(100) < 30 {
			cookies = append(cookies, add(kMetrica, strconv.FormatUint(uint64(1600000000+r.IntN(100000000)), 10)+fmt.Sprintf("%011d", uint64(s)*7+uint64(k))))
		} else {
			cookies = append(cookies, add(kCookie, strconv.FormatUint(uint64(s)*3+uint64(k), 10)+"."+strconv.Itoa(1700000000+r.IntN(60000000))))
		}
	}
	start := g.cfg.Start.Unix() + int64(r.IntN(g.cfg.Days))*86400 + int64(r.IntN(86400))
	span := int64(86400 * (1 + r.IntN(90)))
	at := func() int64 { return start + r.Int64N(span) }
	plan := func(t int64, src string, tr identity.Trust, ids ...uint8) {
		p.obs = append(p.obs, plannedObs{t: t, source: src, trust: tr, ids: ids})
	}
	// The lead: a web form from the first browser.
	if email != 255 {
		plan(start, "web_form", 0, cookies[0], email, phone)
	} else {
		plan(start, "web_form", 0, cookies[0], phone)
	}
	// Other browsers arrive through personal links and tracked calls.
	for _, c := range cookies[1:] {
		switch x := r.IntN(3); {
		case x == 0 && email != 255:
			plan(at(), "email_click", 0, c, email)
		case x == 1:
			plan(at(), "sms_click", 0, c, phone)
		default:
			plan(at(), "call", 0, phone, c)
		}
	}
	if email != 255 && r.IntN(100) < 10 {
		e2 := add(kEmail, last+"."+first+strconv.FormatUint(uint64(s)+7, 10)+"@"+pickDomain(r))
		plan(at(), "csi_survey", 0, e2, phone)
	}
	if r.IntN(100) < 10 {
		p2 := add(kPhone, phoneOf(1))
		plan(at(), "web_form", 0, cookies[r.IntN(len(cookies))], p2)
	}
	if r.IntN(100) < 25 {
		d := add(kDevice, deviceID(r))
		plan(at(), "app_login", 0, d, phone)
	}
	if r.IntN(100) < 30 {
		c := add(kCRM, "CRM-"+strconv.FormatUint(uint64(s), 10))
		if email != 255 {
			plan(at(), "crm_import", 0, c, phone, email)
		} else {
			plan(at(), "crm_import", 0, c, phone)
		}
	}
	// Returns: more forms and calls from browsers already known.
	for range r.IntN(3) + r.IntN(2) {
		c := cookies[r.IntN(len(cookies))]
		if email != 255 && r.IntN(2) == 0 {
			plan(at(), "web_form", 0, c, email)
		} else {
			plan(at(), "call", 0, phone, c)
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
	}
	for _, k := range po.ids {
		o.IDs = append(o.IDs, spell(r, p.ids[k]))
		o.Person = append(o.Person, int32(p.num))
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
