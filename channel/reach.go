package channel

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// ConsentStatus is a person's answer for one (channel, purpose).
type ConsentStatus uint8

const (
	ConsentUnknown ConsentStatus = iota // never asked: no consent
	ConsentGranted
	ConsentDenied
	ConsentRevoked // granted once, withdrawn later
)

func (s ConsentStatus) String() string {
	switch s {
	case ConsentGranted:
		return "granted"
	case ConsentDenied:
		return "denied"
	case ConsentRevoked:
		return "revoked"
	}
	return "unknown"
}

// Consent is one consent event: the person's answer to one company (an
// operator of personal data under 152-FZ) for one channel and purpose.
// Purpose "*" covers every purpose of the channel (a "stop all SMS"
// reply). A revocation is a later event. Company "" is the host's own, for
// a host that is one company.
//
// A grant counts for its Company and for the group companies it names in
// Recipients; a denial or revocation counts for every company of the
// group: opt-outs only ever tighten.
type Consent struct {
	Channel, Purpose string
	Status           ConsentStatus
	At               time.Time
	Company          string
	Recipients       []string  // other group companies the consent lets contact the person
	Document         string    // the version of the consent text
	TextHash         string    // a hash of the text the person was shown
	Source           string    // where it was given: "web_form", "showroom", ...
	ValidUntil       time.Time // zero: until revoked
}

// consentKey is what consents are kept by: the latest answer per company,
// channel and purpose.
type consentKey [3]string

func (c Consent) key() consentKey { return consentKey{c.Company, c.Channel, c.Purpose} }

func (c Consent) valid() bool {
	return c.Channel != "" && c.Purpose != "" && c.Status <= ConsentRevoked
}

// SuppressionReason says why an address is suppressed.
type SuppressionReason uint8

const (
	Unsubscribed SuppressionReason = iota + 1
	Bounced                        // undeliverable: blocks everything
	Complaint                      // marked as spam
	Manual                         // set by staff: blocks everything
)

func (r SuppressionReason) String() string {
	switch r {
	case Unsubscribed:
		return "unsubscribed"
	case Bounced:
		return "bounced"
	case Complaint:
		return "complaint"
	case Manual:
		return "manual"
	}
	return "unknown"
}

// Reason says why a channel cannot reach a person now.
type Reason uint8

const (
	Reachable Reason = iota
	NoContact
	NoConsent
	Suppressed
	Capped
	Quiet
)

// DailyWindow is a daily time window in the recipient's local time, in minutes
// after midnight; Start > End wraps past midnight (21:00–09:00). Start ==
// End is empty.
type DailyWindow struct{ Start, End int }

// Hours returns the window from h1:m1 to h2:m2.
func Hours(h1, m1, h2, m2 int) DailyWindow { return DailyWindow{h1*60 + m1, h2*60 + m2} }

func (w DailyWindow) contains(min int) bool {
	switch {
	case w.Start == w.End:
		return false
	case w.Start < w.End:
		return min >= w.Start && min < w.End
	}
	return min >= w.Start || min < w.End
}

// Cap limits messages per channel, shared by all campaigns: per calendar
// day in the recipient's time zone, and per rolling 7 days.
type Cap struct{ Day, Week int }

// ReachOptions configures a Reacher.
type ReachOptions struct {
	// Preference orders the channels Reach reports, most preferred first;
	// only these channels are considered.
	Preference []string
	// Caps by channel; the key "*" caps all channels together.
	Caps map[string]Cap
	// Quiet hours by channel (key "*" for all without their own entry).
	Quiet map[string]DailyWindow
	// Transactional purposes (receipts, service reminders) need no consent
	// unless the person denied that very purpose, and ignore caps, quiet
	// hours and unsubscribes; bounces and manual suppressions still apply.
	// Nil means {"transactional"}.
	Transactional []string
	// Location is the time zone of people without one; nil means UTC.
	Location *time.Location
	// Sync and SyncInterval say when a Reacher made by OpenReacher flushes
	// its journal, as for the identity graph (identity.SyncMode): the zero
	// value fsyncs every change, since a lost refusal means messaging
	// someone who said no.
	Sync         identity.SyncMode
	SyncInterval time.Duration
	// LockTimeout is how long OpenReacher waits for a directory another
	// Reacher holds before failing with ErrLocked; 0 fails at once.
	LockTimeout time.Duration
	fs          journal.FS // a test's fault injection; nil is the OS
	// Logger hears about recoveries and compactions (OpenReacher,
	// Snapshot); nil is silent.
	Logger *slog.Logger
	// Graph, when set, keys what the Reacher is told by the identifiers
	// the profile held then, and answers for a profile from the records
	// of the identifiers it holds in Graph now (keyed mode; see
	// OpenReacherBackend): answers that do not depend on when merges and
	// splits were followed, as replicas sharing one log need.
	Graph *identity.Graph
}

// ErrReachConfig reports an invalid configuration or record.
var ErrReachConfig = errors.New("channel: invalid reach configuration")

// A Reacher keeps contacts, consents, suppressions and sends per profile
// and answers Reach. It is safe for concurrent use; every call takes the
// time from its caller. One made by [OpenReacher] keeps its state on disk.
type Reacher struct {
	cfg     ReachOptions
	mu      sync.Mutex
	people  map[identity.ProfileID]*person
	supp    map[[2]string]suppression // (channel, address)
	persist *reachPersistence
	zones   map[string]*time.Location // loaded by name; nil: unknown
	// Keyed mode (cfg.Graph set): the records by subject, in order, and
	// their index by identifier.
	recs []keyedRec
	byID map[identity.ID][]int
}

type person struct {
	loc      *time.Location
	contacts map[string]string
	consents map[consentKey]Consent // latest by (company, channel, purpose)
	sends    []send
}

type send struct {
	channel string
	at      time.Time
}

type suppression struct {
	reason SuppressionReason
	at     time.Time
}

// NewReacher returns an empty Reacher.
func NewReacher(opts *ReachOptions) (*Reacher, error) {
	var cfg ReachOptions
	if opts != nil {
		cfg = *opts
	}
	if len(cfg.Preference) == 0 {
		return nil, fmt.Errorf("%w: no channels in Preference", ErrReachConfig)
	}
	for ch, w := range cfg.Quiet {
		if w.Start < 0 || w.Start >= 24*60 || w.End < 0 || w.End > 24*60 {
			return nil, fmt.Errorf("%w: quiet hours of %s out of range", ErrReachConfig, ch)
		}
	}
	for ch, c := range cfg.Caps {
		if c.Day < 0 || c.Week < 0 {
			return nil, fmt.Errorf("%w: negative cap for %s", ErrReachConfig, ch)
		}
	}
	if cfg.Transactional == nil {
		cfg.Transactional = []string{"transactional"}
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return &Reacher{cfg: cfg, people: map[identity.ProfileID]*person{}, supp: map[[2]string]suppression{}}, nil
}

func (r *Reacher) person(p identity.ProfileID) *person {
	x := r.people[p]
	if x == nil {
		x = &person{contacts: map[string]string{}, consents: map[consentKey]Consent{}}
		r.people[p] = x
	}
	return x
}

// SetContact sets the address (email, phone, push token) to use for a
// channel; an empty address removes it. The error is a journal write's, on
// a Reacher made by OpenReacher; nothing changes then.
func (r *Reacher) SetContact(p identity.ProfileID, channel, address string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cfg.Graph != nil {
		return r.keyed(recContact, p, enc{}.str(channel).str(address), false)
	}
	if err := r.journalIf(recContact, func() enc { return enc{}.profile(p).str(channel).str(address) }); err != nil {
		return err
	}
	r.setContact(p, channel, address)
	return nil
}

func (r *Reacher) setContact(p identity.ProfileID, channel, address string) {
	if address == "" {
		if x := r.people[p]; x != nil {
			delete(x.contacts, channel)
		}
		return
	}
	r.person(p).contacts[channel] = address
}

// SetLocation sets the person's time zone (nil: the configured default).
func (r *Reacher) SetLocation(p identity.ProfileID, loc *time.Location) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cfg.Graph != nil {
		return r.keyed(recLocation, p, r.appendLocation(enc{}, loc), false)
	}
	if err := r.journalIf(recLocation, func() enc { return r.appendLocation(enc{}.profile(p), loc) }); err != nil {
		return err
	}
	r.person(p).loc = loc
	return nil
}

// RecordConsent records a consent event. Events may arrive out of order:
// the latest by At wins, and of two at the same instant the more
// restrictive (denied, revoked) wins.
func (r *Reacher) RecordConsent(p identity.ProfileID, c Consent) error {
	if !c.valid() {
		return fmt.Errorf("%w: consent needs channel, purpose and a known status", ErrReachConfig)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cfg.Graph != nil {
		return r.keyed(recConsent, p, appendConsent(enc{}, c), c.Status != ConsentGranted)
	}
	if err := r.journalIf(recConsent, func() enc { return appendConsent(enc{}.profile(p), c) }); err != nil {
		return err
	}
	c.Recipients = slices.Clone(c.Recipients)
	keepLatest(r.person(p).consents, c.key(), c)
	return nil
}

// Suppress puts an address on the channel's suppression list. A later
// Unsuppress (a re-subscribe) removes it.
func (r *Reacher) Suppress(channel, address string, reason SuppressionReason, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.journalIf(recSuppress, func() enc { return enc{}.str(channel).str(address).byte(byte(reason)).time(at) }); err != nil {
		return err
	}
	r.supp[[2]string{channel, address}] = suppression{reason, at}
	return nil
}

// Unsuppress removes an address from the channel's suppression list.
func (r *Reacher) Unsuppress(channel, address string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.journalIf(recUnsuppress, func() enc { return enc{}.str(channel).str(address) }); err != nil {
		return err
	}
	delete(r.supp, [2]string{channel, address})
	return nil
}

// RecordSend counts a message sent to p over channel at at towards the
// caps. Transactional messages should not be recorded.
func (r *Reacher) RecordSend(p identity.ProfileID, channel string, at time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cfg.Graph != nil {
		return r.keyed(recSend, p, enc{}.str(channel).time(at), true)
	}
	if err := r.journalIf(recSend, func() enc { return enc{}.profile(p).str(channel).time(at) }); err != nil {
		return err
	}
	r.recordSend(p, channel, at, true)
	return nil
}

// recordSend inserts a send in time order; trim drops those older than 8
// days before it (the week cap's window plus a day of clock skew).
func (r *Reacher) recordSend(p identity.ProfileID, channel string, at time.Time, trim bool) {
	x := r.person(p)
	i, _ := slices.BinarySearchFunc(x.sends, at, func(s send, t time.Time) int { return s.at.Compare(t) })
	x.sends = slices.Insert(x.sends, i, send{channel, at})
	if !trim {
		return
	}
	cut := at.Add(-8 * 24 * time.Hour)
	k := 0
	for k < len(x.sends) && x.sends[k].at.Before(cut) {
		k++
	}
	x.sends = x.sends[k:]
}

// Reachability is one channel's answer.
type Reachability struct {
	Channel string
	Contact string // the address to use, when there is one
	Reason  Reason // Reachable, or why not
	// Until is when a Capped or Quiet channel opens again: the end of quiet
	// hours (a message is held until then, not dropped) or the cap's reset.
	Until time.Time
	// Suppression is set when Reason is Suppressed.
	Suppression SuppressionReason
	// Local is the recipient's time zone, for printing Until.
	Local *time.Location
	// Company and Purpose are set when Reason is NoConsent: the consent
	// missing (Company "" is the host's own).
	Company, Purpose string
}

// String describes the answer: "email: reachable", "sms: quiet until
// 09:00", "push: no consent".
func (x Reachability) String() string {
	switch x.Reason {
	case Reachable:
		return x.Channel + ": reachable"
	case NoContact:
		return x.Channel + ": no contact"
	case NoConsent:
		if x.Company != "" {
			return x.Channel + ": no " + x.Purpose + " consent given to " + x.Company
		}
		return x.Channel + ": no consent"
	case Suppressed:
		return x.Channel + ": suppressed (" + x.Suppression.String() + ")"
	case Capped:
		return x.Channel + ": capped until " + x.Until.In(x.Local).Format("2006-01-02 15:04")
	case Quiet:
		return x.Channel + ": quiet until " + x.Until.In(x.Local).Format("15:04")
	}
	return x.Channel + ": ?"
}

// Reach returns, for each channel of the preference order, whether it can
// reach p for purpose at now, with the contact to use or the reason it
// cannot. The reachable channels, in order, are the ones to use. It is
// ReachFor the host's own company ("").
func (r *Reacher) Reach(p identity.ProfileID, purpose string, now time.Time) []Reachability {
	return r.ReachFor(p, "", purpose, now)
}

// ReachFor is Reach for one company of a group: marketing needs that
// company's own consent (or one naming it a recipient); transactional
// purposes rest on the contract; opt-outs and suppressions given to any
// company hold for all.
func (r *Reacher) ReachFor(p identity.ProfileID, company, purpose string, now time.Time) []Reachability {
	r.mu.Lock()
	defer r.mu.Unlock()
	x := r.personFor(p)
	loc := x.loc
	if loc == nil {
		loc = r.cfg.Location
	}
	trans := slices.Contains(r.cfg.Transactional, purpose)
	out := make([]Reachability, 0, len(r.cfg.Preference))
	for _, ch := range r.cfg.Preference {
		res := Reachability{Channel: ch, Local: loc}
		res.Contact = x.contacts[ch]
		switch {
		case res.Contact == "":
			res.Reason = NoContact
		case !r.consented(x, company, ch, purpose, trans, now):
			res.Reason, res.Company, res.Purpose = NoConsent, company, purpose
		default:
			if s, ok := r.supp[[2]string{ch, res.Contact}]; ok && (!trans || s.reason == Bounced || s.reason == Manual) {
				res.Reason, res.Suppression = Suppressed, s.reason
			} else if !trans {
				if until, capped := r.capped(x, ch, now, loc); capped {
					res.Reason, res.Until = Capped, until
				} else if until, quiet := r.quiet(ch, now, loc); quiet {
					res.Reason, res.Until = Quiet, until
				}
			}
		}
		out = append(out, res)
	}
	return out
}

// Consented reports whether company holds p's consent for purpose on
// channel at now, by the rules ReachFor applies (its own grants or one
// naming it a recipient; any company's refusal tightens): for a purpose
// with no address to reach, such as "paid_media" for audiences and
// offline conversions sent to ad platforms.
func (r *Reacher) Consented(p identity.ProfileID, company, channel, purpose string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.consented(r.personFor(p), company, channel, purpose, slices.Contains(r.cfg.Transactional, purpose), now)
}

// Shares reports whether the person p gave collector, for purpose (or
// "*"), a consent naming viewer a recipient that holds at now: granted,
// not expired, and not answered later by a refusal of the same consent.
// It makes a Reacher the identity.Basis of the group's views: evidence
// collector gathered may be shown to viewer for that purpose.
func (r *Reacher) Shares(p identity.ProfileID, collector, viewer, purpose string, now time.Time) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.personFor(p).consents { // the latest answer per (company, channel, purpose)
		if c.Company == collector && (c.Purpose == purpose || c.Purpose == "*") && c.Status == ConsentGranted &&
			!c.At.After(now) && (c.ValidUntil.IsZero() || now.Before(c.ValidUntil)) && slices.Contains(c.Recipients, viewer) {
			return true
		}
	}
	return false
}

// personFor is what the Reacher holds for p (folded from its records in
// keyed mode), empty when nothing; the lock is held.
func (r *Reacher) personFor(p identity.ProfileID) *person {
	x := r.people[p]
	if r.cfg.Graph != nil {
		x = r.materialize(p)
	}
	if x == nil {
		x = &person{}
	}
	return x
}

// consented decides company's consent to contact x on ch for purpose at
// now: the latest answer among the company's own grants, grants of other
// companies naming it a recipient, and every company's denials and
// revocations (opt-outs tighten group-wide), for purpose itself or "*".
// Transactional purposes rest on the contract: allowed unless refused.
func (r *Reacher) consented(x *person, company, ch, purpose string, trans bool, now time.Time) bool {
	var best Consent
	found := false
	for _, c := range x.consents {
		if c.Channel != ch || (c.Purpose != purpose && (trans || c.Purpose != "*")) {
			continue
		}
		if c.Status == ConsentGranted {
			if c.Company != company && !slices.Contains(c.Recipients, company) {
				continue // another company's grant, not shared with this one
			}
			if !c.ValidUntil.IsZero() && !now.Before(c.ValidUntil) {
				continue // expired
			}
		}
		if !found || c.At.After(best.At) || c.At.Equal(best.At) && c.Status != ConsentGranted {
			best, found = c, true
		}
	}
	if trans {
		return !found || best.Status == ConsentGranted
	}
	return found && best.Status == ConsentGranted
}

// capped checks the channel's own cap and the all-channel cap.
func (r *Reacher) capped(x *person, ch string, now time.Time, loc *time.Location) (time.Time, bool) {
	var until time.Time
	check := func(key string) {
		c, ok := r.cfg.Caps[key]
		if !ok {
			return
		}
		ln := now.In(loc)
		dayStart := time.Date(ln.Year(), ln.Month(), ln.Day(), 0, 0, 0, 0, loc)
		nextDay := time.Date(ln.Year(), ln.Month(), ln.Day()+1, 0, 0, 0, 0, loc)
		weekStart := now.Add(-7 * 24 * time.Hour)
		var day, week []time.Time
		for _, s := range x.sends {
			if key != "*" && s.channel != ch || s.at.After(now) {
				continue
			}
			if s.at.After(weekStart) {
				week = append(week, s.at)
			}
			if !s.at.Before(dayStart) {
				day = append(day, s.at)
			}
		}
		if c.Day > 0 && len(day) >= c.Day && nextDay.After(until) {
			until = nextDay
		}
		if c.Week > 0 && len(week) >= c.Week {
			// Opens when enough of the window's sends age out.
			t := week[len(week)-c.Week].Add(7 * 24 * time.Hour)
			if t.After(until) {
				until = t
			}
		}
	}
	check(ch)
	check("*")
	return until, !until.IsZero()
}

// quiet reports whether now falls in the channel's quiet hours in loc and
// when they end.
func (r *Reacher) quiet(ch string, now time.Time, loc *time.Location) (time.Time, bool) {
	w, ok := r.cfg.Quiet[ch]
	if !ok {
		w, ok = r.cfg.Quiet["*"]
	}
	ln := now.In(loc)
	min := ln.Hour()*60 + ln.Minute()
	if !ok || !w.contains(min) {
		return time.Time{}, false
	}
	day := ln.Day()
	if w.Start > w.End && min >= w.Start {
		day++ // wrapped: ends tomorrow morning
	}
	end := time.Date(ln.Year(), ln.Month(), day, w.End/60, w.End%60, 0, 0, loc)
	return end, true
}

// Next picks from Reach's answer the channel to use: the first reachable
// one now, else the quiet one that opens first (hold the message until
// then). It reports false when nothing can reach the person.
func Next(rs []Reachability, now time.Time) (Reachability, time.Time, bool) {
	var held *Reachability
	for i := range rs {
		switch rs[i].Reason {
		case Reachable:
			return rs[i], now, true
		case Quiet:
			if held == nil || rs[i].Until.Before(held.Until) {
				held = &rs[i]
			}
		}
	}
	if held != nil {
		return *held, held.Until, true
	}
	return Reachability{}, time.Time{}, false
}

var _ identity.Basis = (*Reacher)(nil)
