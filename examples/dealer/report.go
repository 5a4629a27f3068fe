package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/segment"
)

// report is everything the text and HTML reports show.
type report struct {
	Now                   time.Time
	Observations, BadObs  int
	Events, Unfiled       int
	Identifiers           map[identity.Kind]int
	Profiles, WithContact int
	Merges                map[string]int
	Made, Split           int // profiles first seen, and taken apart again: Made − merges + Split = Profiles
	Quarantined           map[string]int
	Funnel                []stage
	Channels              []channelRate
	Models                []attribution.Result
	TimeToConvert         []time.Duration
	Warm                  int
	WarmDays              []dayChange
	Stages                map[string]int
	Audiences             []audienceFile
	Reach                 map[string]map[channel.Reason]int // channel → the best reason any company has
	ReachBy               map[string]map[string]int         // company → channel → reachable
	Party                 partyCredit
	ActionsFor            string // the salesperson whose list for today Actions is
	Actions               []actionLine
	Uplift                upliftCheck
	Viewer                string          // the company whose view the report is ("": the group's)
	Journey               []journey.Event // one buyer's timeline
}

type stage struct {
	Name    string
	Reached int
}

type channelRate struct {
	Channel          string
	Leads, Contracts int
}

func (c channelRate) Rate() float64 {
	if c.Leads == 0 {
		return 0
	}
	return float64(c.Contracts) / float64(c.Leads)
}

type dayChange struct {
	Day             time.Time
	Entered, Exited int
}

type audienceFile struct {
	Company   string // the sending company ("" the host's own)
	Platform  segment.Platform
	Path      string
	Rows      int
	NoConsent int
	Dropped   int
	Err       error
}

func (d *dealer) report(gen *generator, out string) (*report, error) {
	r := &report{Now: d.now, Observations: d.obs, BadObs: d.badObs, Events: d.events, Unfiled: d.unfiled,
		Identifiers: map[identity.Kind]int{}, Merges: d.merges, Made: d.made, Split: d.split, Quarantined: map[string]int{}, Stages: map[string]int{},
		Reach: map[string]map[channel.Reason]int{}, Party: d.partyCredit()}
	for p := range d.g.Profiles() {
		r.Profiles++
		hard := false
		for id := range d.g.Keys(p) {
			r.Identifiers[id.Kind]++
			hard = hard || id.Kind == identity.Email || id.Kind == identity.Phone || id.Kind == identity.CRM
		}
		if hard {
			r.WithContact++
		}
	}
	for _, why := range d.g.Quarantined() {
		r.Quarantined[strings.SplitN(why, ":", 2)[0]]++
	}
	// Funnel and lead-to-contract by the channel of the last touch before
	// the lead.
	f, err := d.s.Funnel(context.Background(), journey.Funnel{Steps: []journey.FunnelStep{{Type: journey.CarView}, {Type: journey.Lead}, {Type: journey.TestDrive}, {Type: journey.Contract}}, Window: 180 * 24 * time.Hour})
	if err != nil {
		return nil, err
	}
	for i, n := range []string{"viewed a car", "left a lead", "test drive", "contract"} {
		r.Funnel = append(r.Funnel, stage{n, f.Reached[i]})
	}
	lc, err := d.s.Funnel(context.Background(), journey.Funnel{Steps: []journey.FunnelStep{{Type: journey.Lead}, {Type: journey.Contract}}, Window: 180 * 24 * time.Hour, Breakdown: journey.ByLastTouch})
	if err != nil {
		return nil, err
	}
	for ch, n := range lc.ByChannel {
		r.Channels = append(r.Channels, channelRate{ch, n[0], n[1]})
	}
	slices.SortFunc(r.Channels, func(a, b channelRate) int { return b.Leads - a.Leads })
	r.TimeToConvert = lc.TimeToConvert
	// Attribution of contracts by every model.
	paths, err := d.s.AllPaths(context.Background(), journey.PathOptions{})
	if err != nil {
		return nil, err
	}
	ms := []attribution.Model{attribution.FirstTouch{}, attribution.LastTouch{}, attribution.LastNonDirect{Direct: []string{"Direct"}},
		attribution.Linear{}, attribution.PositionBased{}, attribution.TimeDecay{}, attribution.Shapley{}, attribution.Markov{Order: 1}}
	if r.Models, err = attribution.Compare(context.Background(), attribution.NewDataset(paths), ms...); err != nil {
		return nil, fmt.Errorf("attribution: %w", err)
	}
	// Segments.
	r.Warm = len(d.e.Members("warm"))
	for _, n := range d.e.Names() {
		if strings.HasPrefix(n, "stage/") {
			r.Stages[strings.TrimPrefix(n, "stage/")] = len(d.e.Members(n))
		}
	}
	week := d.now.Add(-7 * 24 * time.Hour)
	for i := range 7 {
		r.WarmDays = append(r.WarmDays, dayChange{Day: week.Add(time.Duration(i) * 24 * time.Hour)})
	}
	for _, c := range d.changes {
		if c.Segment != "warm" || c.At.Before(week) || c.At.After(d.now) {
			continue
		}
		i := min(int(c.At.Sub(week)/(24*time.Hour)), 6)
		if c.Entered {
			r.WarmDays[i].Entered++
		} else {
			r.WarmDays[i].Exited++
		}
	}
	// Contacts, consents and reachability, from the timelines.
	byProfile := map[identity.ProfileID]*segment.Contact{}
	for id := range d.contacts {
		p, err := d.g.Resolve(id.Kind, id.Value) // raw, as typed
		if err != nil {
			continue // quarantined junk, or erased
		}
		c := byProfile[p]
		if c == nil {
			c = &segment.Contact{Profile: p}
			byProfile[p] = c
		}
		if id.Kind == identity.Email {
			c.Emails = append(c.Emails, id.Value)
		} else {
			c.Phones = append(c.Phones, id.Value)
		}
	}
	msk, _ := time.LoadLocation("Europe/Moscow")
	if msk == nil {
		msk = time.FixedZone("MSK", 3*3600)
	}
	reacher, err := channel.NewReacher(&channel.ReachOptions{Preference: []string{"email", "sms"},
		Quiet: map[string]channel.DailyWindow{"sms": channel.Hours(21, 0, 9, 0)}, Location: msk})
	if err != nil {
		return nil, err
	}
	companies := []string{""} // the host's own, and the companies consents were given to
	for p, c := range byProfile {
		slices.Sort(c.Emails)
		slices.Sort(c.Phones)
		if len(c.Emails) > 0 {
			reacher.SetContact(p, "email", c.Emails[0])
		}
		if len(c.Phones) > 0 {
			reacher.SetContact(p, "sms", c.Phones[0])
		}
		for ev := range d.s.Events(p) {
			if ev.Type != "consent" {
				continue
			}
			if !slices.Contains(companies, ev.Company) {
				companies = append(companies, ev.Company)
			}
			reacher.RecordConsent(p, consentOf(ev))
		}
	}
	// Reach is decided per sending company, by its own consents (or one
	// naming it a recipient); the group line counts a channel reachable
	// when some company may use it.
	slices.Sort(companies)
	r.ReachBy = map[string]map[string]int{}
	for p := range byProfile {
		best := map[string]channel.Reachability{}
		for _, c := range companies {
			for _, x := range reacher.ReachFor(p, c, "marketing", d.now) {
				if c != "" && x.Reason == channel.Reachable {
					if r.ReachBy[c] == nil {
						r.ReachBy[c] = map[string]int{}
					}
					r.ReachBy[c][x.Channel]++
				}
				if b, ok := best[x.Channel]; !ok || x.Reason < b.Reason {
					best[x.Channel] = x
				}
			}
		}
		for ch, x := range best {
			if r.Reach[ch] == nil {
				r.Reach[ch] = map[channel.Reason]int{}
			}
			r.Reach[ch][x.Reason]++
		}
	}
	if r.Uplift, err = d.uplift(); err != nil {
		return nil, err
	}
	// The action list of the salesperson with most credit.
	if top := byValue(r.Party.Salespeople); len(top) > 0 {
		dl, person, _ := strings.Cut(top[0], " / ")
		if i := slices.IndexFunc(dealerships, func(x struct{ company, name, site string }) bool { return x.name == dl }); i >= 0 {
			if r.Actions, err = d.actionList(i, person, reacher); err != nil {
				return nil, err
			}
			r.ActionsFor = top[0]
		}
	}
	// Audiences are made per sending company, from its own paid-media
	// consents and the addresses its evidence carries (the host's own,
	// "", when no company is named).
	senders := slices.DeleteFunc(slices.Clone(companies), func(c string) bool { return c == "" && len(companies) > 1 })
	if d.viewer != "" {
		senders = []string{d.viewer} // in a company's view, only it sends
	}
	r.Viewer = d.viewer
	for _, c := range senders {
		if err := r.writeAudiences(d, c, reacher, byProfile, out); err != nil {
			return nil, err
		}
	}
	r.Journey = d.showcase()
	return r, nil
}

// showcase picks a buyer whose journey shows the most: many channels,
// several browsers, a contract.
func (d *dealer) showcase() []journey.Event {
	var best []journey.Event
	bestScore := -1
	for _, p := range d.e.Members("stage/buyer") {
		tl := d.s.Timeline(p)
		chans, browsers := map[string]bool{}, map[string]bool{}
		for _, ev := range tl {
			if ev.IsTouchpoint() {
				chans[ev.Touch.ChannelName()] = true
			}
			if c := first(ev.IDs, identity.Cookie); c != nil {
				browsers[c.Value] = true
			}
		}
		score := len(chans)*10 + min(len(browsers), 4)*5 - max(0, len(tl)-60)
		if score > bestScore {
			best, bestScore = tl, score
		}
	}
	// Show identifiers in their matching form, so one phone typed three
	// ways is one lane.
	for i := range best {
		ids := slices.Clone(best[i].IDs)
		for j, id := range ids {
			if n, err := d.g.Normalize(id.Kind, id.Value); err == nil {
				ids[j] = n
			}
		}
		best[i].IDs = ids
	}
	return best
}

// viewNote names the company whose view the report is, for titles.
func (r *report) viewNote() string {
	if r.Viewer == "" {
		return ""
	}
	return ", as " + r.Viewer + " sees the group"
}

// merged is every profile merged into another, by any kind.
func (r *report) merged() int {
	n := 0
	for _, m := range r.Merges {
		n += m
	}
	return n
}

func (r *report) print(w io.Writer) {
	fmt.Fprintf(w, "Throughline dealer report, %s", r.Now.Format("2 Jan 2006"))
	if r.Viewer != "" {
		fmt.Fprintf(w, ", as %s sees the group (its own events, and those shared with it under a consent)", r.Viewer)
	}
	fmt.Fprint(w, "\n\n")
	fmt.Fprintf(w, "Input: %d identity observations (%d refused), %d events (%d resolved to no profile)\n", r.Observations, r.BadObs, r.Events, r.Unfiled)
	soft := r.Identifiers[identity.Cookie] + r.Identifiers[identity.Device]
	fmt.Fprintf(w, "Profiles: %d browsers and devices (what a site counts as visitors) became %d people; %d of them have an email, phone or CRM number\n",
		soft, r.Profiles, r.WithContact)
	fmt.Fprintf(w, "Merged: %d profiles by email, then %d by phone, %d by CRM number, %d by browser or device\n",
		r.Merges["email"], r.Merges["phone"], r.Merges["CRM number"], r.Merges["browser or device"])
	fmt.Fprintf(w, "  (%d profiles made as identifiers were first seen, %d merged, %d taken apart again by the rules: %d − %d + %d = %d people)\n",
		r.Made, r.merged(), r.Split, r.Made, r.merged(), r.Split, r.Profiles)
	var q []string
	for k, n := range r.Quarantined {
		q = append(q, fmt.Sprintf("%s %d", k, n))
	}
	slices.Sort(q)
	fmt.Fprintf(w, "Quarantined identifiers (reported, never silently dropped): %s\n", strings.Join(q, ", "))

	fmt.Fprintf(w, "\nFunnel (profiles, each counted once per step):\n")
	for _, s := range r.Funnel {
		fmt.Fprintf(w, "  %-14s %7d\n", s.Name, s.Reached)
	}
	fmt.Fprintf(w, "\nLead → contract by the channel of the last touch before the lead:\n")
	fmt.Fprintf(w, "  %-28s %6s %9s %6s\n", "channel", "leads", "contracts", "rate")
	for _, c := range r.Channels {
		fmt.Fprintf(w, "  %-28s %6d %9d %5.1f%%\n", c.Channel, c.Leads, c.Contracts, 100*c.Rate())
	}
	if len(r.TimeToConvert) > 0 {
		fmt.Fprintf(w, "  median lead → contract: %.0f days\n", r.TimeToConvert[len(r.TimeToConvert)/2].Hours()/24)
	}

	fmt.Fprintf(w, "\nContracts credited to channels, by model:\n")
	chans := r.channelsByCredit()
	fmt.Fprintf(w, "  %-28s", "channel")
	for _, m := range r.Models {
		fmt.Fprintf(w, " %9s", short(m.Model))
	}
	fmt.Fprintln(w)
	for _, ch := range chans {
		fmt.Fprintf(w, "  %-28s", ch)
		for _, m := range r.Models {
			fmt.Fprintf(w, " %9.1f", m.Credit(ch).Conversions)
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintf(w, "\nWarm customers (10+ car views in 30 days, a lead, no contract): %d now\n", r.Warm)
	for _, d := range r.WarmDays {
		fmt.Fprintf(w, "  %s  +%d −%d\n", d.Day.Format("Mon 2 Jan"), d.Entered, d.Exited)
	}
	fmt.Fprintf(w, "Stages (each profile in exactly one):")
	for _, n := range []string{"buyer", "warm", "lead", "browsing", "dormant"} {
		fmt.Fprintf(w, " %s %d", n, r.Stages[n])
	}
	fmt.Fprintln(w)

	r.Party.print(w)
	printActions(w, r.ActionsFor, r.Actions)
	r.Uplift.print(w)
	fmt.Fprintf(w, "\nAudience files per sending company (warm customers with its paid-media consent, the addresses its own evidence carries; a row pairs one email with one phone, so a customer with two emails fills two rows):\n")
	for _, a := range r.Audiences {
		if a.Err != nil {
			fmt.Fprintf(w, "  %-18s %-24s not written: %v\n", a.Company, a.Platform, a.Err)
			continue
		}
		fmt.Fprintf(w, "  %-18s %-24s %5d rows, %d without consent left out, %d malformed values dropped → %s\n", a.Company, a.Platform, a.Rows, a.NoConsent, a.Dropped, a.Path)
	}
	fmt.Fprintf(w, "\nReachable now for marketing:\n")
	for _, ch := range []string{"email", "sms"} {
		m := r.Reach[ch]
		fmt.Fprintf(w, "  %-6s %6d reachable, %d held by quiet hours, %d without consent, %d without a contact\n",
			ch, m[channel.Reachable], m[channel.Quiet], m[channel.NoConsent], m[channel.NoContact])
	}
	if len(r.ReachBy) > 0 {
		fmt.Fprintf(w, "  by the sending company's own consent (or one naming it a recipient):\n")
		for _, c := range slices.Sorted(maps.Keys(r.ReachBy)) {
			fmt.Fprintf(w, "    %-20s email %5d, sms %5d\n", c, r.ReachBy[c]["email"], r.ReachBy[c]["sms"])
		}
	}
}

// channelsByCredit lists channels by last-touch credit, most first.
func (r *report) channelsByCredit() []string {
	seen := map[string]float64{}
	for _, m := range r.Models {
		for _, c := range m.Credits {
			if _, ok := seen[c.Channel]; !ok {
				seen[c.Channel] = 0
			}
			if m.Model == "last" {
				seen[c.Channel] = c.Conversions
			}
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b string) int {
		if seen[a] != seen[b] {
			if seen[a] > seen[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return out
}

func short(model string) string {
	return strings.NewReplacer("last_non_direct", "last_nd", "time_decay", "decay").Replace(model)
}

// writeAudiences writes company's audience files (Google, Meta, Yandex):
// warm customers with its paid-media consent, with the addresses its
// evidence carries.
func (r *report) writeAudiences(d *dealer, company string, reacher *channel.Reacher, byProfile map[identity.ProfileID]*segment.Contact, out string) error {
	var warm []segment.Contact
	v := identity.Viewer{Company: company, Purpose: "paid_media"}
	for _, p := range d.e.Members("warm") {
		if byProfile[p] == nil {
			continue
		}
		c := segment.ContactFor(d.g, p, v, reacher, d.now)
		if len(c.Emails)+len(c.Phones) == 0 {
			continue // no address of this customer's is this company's to use
		}
		slices.Sort(c.Emails)
		slices.Sort(c.Phones)
		warm = append(warm, c)
	}
	prefix := "audience_"
	if company != "" {
		prefix += strings.ToLower(strings.ReplaceAll(strings.TrimSuffix(company, " LLC"), " ", "-")) + "_"
	}
	for _, pl := range []struct {
		p    segment.Platform
		file string
	}{{segment.GoogleCustomerMatch, "google.csv"}, {segment.MetaCustomAudiences, "meta.csv"}, {segment.YandexAudiences, "yandex.csv"}} {
		path := filepath.Join(out, prefix+pl.file)
		af := audienceFile{Company: company, Platform: pl.p, Path: path}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		rep, err := segment.WriteAudience(f, segment.ExportConfig{Platform: pl.p, PaidMedia: segment.PaidMediaConsent(reacher, company, d.now)}, warm)
		f.Close()
		af.Rows, af.NoConsent, af.Dropped, af.Err = rep.Rows, rep.NoConsent, len(rep.Dropped), err
		if err != nil {
			os.Remove(path)
		}
		r.Audiences = append(r.Audiences, af)
	}
	return nil
}
