package main

import (
	"strings"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// consentBasis is a Reacher holding every consent of the timelines, with
// its company and recipients: the basis on which one company sees what
// another collected (identity.Basis).
func (d *dealer) consentBasis() *channel.Reacher {
	r, _ := channel.NewReacher(&channel.ReachOptions{Preference: []string{"email", "sms"}}) // valid options
	for _, p := range d.s.Profiles() {
		for ev := range d.s.Events(p) {
			if ev.Type != "consent" {
				continue
			}
			r.RecordConsent(p, consentOf(ev))
		}
	}
	return r
}

// consentOf reads a consent event: channel, purpose, status, the company
// it was given to and the recipients it names.
func consentOf(ev journey.Event) channel.Consent {
	st := channel.ConsentDenied
	if ev.Props["status"] == "granted" {
		st = channel.ConsentGranted
	}
	var recipients []string
	if rs := ev.Props["recipients"]; rs != "" {
		recipients = strings.Split(rs, ",")
	}
	return channel.Consent{Channel: ev.Props["channel"], Purpose: ev.Props["purpose"], Status: st, At: ev.Time, Company: ev.Company, Recipients: recipients}
}

// viewSteps keeps of steps what company may see (identity.Viewer, for
// marketing): every identity observation (the group holds one profile per
// person), and the events its own company collected, those no company is
// named on, and those another company collected under a consent naming
// it. The report of the steps kept is the company's view of the group.
func (d *dealer) viewSteps(steps []step, company string) []step {
	basis := d.consentBasis()
	v := identity.Viewer{Company: company, Purpose: "marketing"}
	var out []step
	for _, st := range steps {
		if st.ev != nil && !d.sees(v, basis, *st.ev) {
			if st.obs == nil {
				continue
			}
			st.ev = nil // the form's identifiers stay; its event is another company's
		}
		out = append(out, st)
	}
	return out
}

func (d *dealer) sees(v identity.Viewer, basis identity.Basis, e journey.Event) bool {
	if e.Company == "" || e.Company == v.Company {
		return true
	}
	for _, id := range e.IDs {
		if p, err := d.g.Resolve(id.Kind, id.Value); err == nil {
			return v.Sees(p, e.Company, basis, d.now)
		}
	}
	return false
}
