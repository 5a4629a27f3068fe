package identity

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// when builds an observation at a day and hour of June 2026.
func when(day, hour int, source string, ids ...string) Observation {
	o := at(day, source, ids...)
	o.Time = o.Time.Add(time.Duration(hour) * time.Hour)
	return o
}

// TestMergeSpec is the executable spec of the merge decision: for each
// scenario, the pairs that must end in one profile and the pairs that
// must not, with the observations fed in order and in reverse.
func TestMergeSpec(t *testing.T) {
	type pair [2]string
	for _, c := range []struct {
		name     string
		obs      []Observation
		together []pair
		apart    []pair
		policy   *Policy
	}{
		{"one form, email and phone", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111")},
			[]pair{{"email:ivan@mail.ru", "phone:+79161111111"}, {"cookie:b1", "email:ivan@mail.ru"}}, nil, nil},
		{"email and phone in two forms, one sitting", []Observation{
			when(0, 0, "web_form", "cookie:b1", "email:ivan@mail.ru"),
			when(0, 0, "web_form", "cookie:b1", "phone:+79161111111")},
			[]pair{{"email:ivan@mail.ru", "phone:+79161111111"}}, nil, nil},
		{"email and phone in two forms days apart, clicks on a second browser", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru"),
			at(4, "web_form", "cookie:b1", "phone:+79161111111"),
			at(5, "email_click", "cookie:b2", "email:ivan@mail.ru"),
			at(6, "sms_click", "cookie:b2", "phone:+79161111111")},
			[]pair{{"email:ivan@mail.ru", "phone:+79161111111"}, {"cookie:b2", "phone:+79161111111"}}, nil, nil},
		{"two people: an email-only and a phone-only form on a shared computer, each with a browser of their own", []Observation{
			at(0, "web_form", "cookie:his", "email:ivan@mail.ru"),
			at(1, "web_form", "cookie:hers", "phone:+79162222222"),
			at(3, "web_form", "cookie:home", "email:ivan@mail.ru"),
			at(9, "web_form", "cookie:home", "phone:+79162222222")},
			nil, []pair{{"email:ivan@mail.ru", "phone:+79162222222"}, {"cookie:home", "email:ivan@mail.ru"}, {"cookie:home", "phone:+79162222222"}}, nil},
		{"a phone typed on two browsers, a different email on each: once one email joins the phone, the other clashes with it", []Observation{
			at(0, "web_form", "cookie:b1", "phone:+79161111111"),
			at(1, "web_form", "cookie:b2", "phone:+79161111111"),
			at(3, "web_form", "cookie:b1", "email:ivan@mail.ru"),
			at(5, "web_form", "cookie:b2", "email:anna@mail.ru")},
			nil, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}}, nil},
		{"a second phone typed once at home stays apart", []Observation{
			at(0, "web_form", "cookie:home", "email:ivan@mail.ru", "phone:+79161111111"),
			at(5, "web_form", "cookie:home", "phone:+79169999999")},
			nil, []pair{{"phone:+79161111111", "phone:+79169999999"}}, nil},
		{"a second phone typed at home and at work, called from home", []Observation{
			at(0, "web_form", "cookie:home", "email:ivan@mail.ru", "phone:+79161111111"),
			at(1, "web_form", "cookie:work", "email:ivan@mail.ru"),
			at(5, "web_form", "cookie:home", "phone:+79169999999"),
			at(6, "web_form", "cookie:work", "phone:+79169999999"),
			at(7, "call", "phone:+79169999999", "cookie:home")},
			[]pair{{"phone:+79161111111", "phone:+79169999999"}}, nil, nil},
		{"a spouse who only clicks on the home computer: no one dominates it", []Observation{
			at(0, "web_form", "cookie:home", "email:ivan@mail.ru", "phone:+79161111111"),
			at(1, "web_form", "cookie:hers", "email:anna@mail.ru", "phone:+79162222222"),
			at(4, "sms_click", "cookie:home", "phone:+79162222222")},
			nil, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}, {"cookie:home", "phone:+79162222222"}, {"cookie:home", "email:ivan@mail.ru"}}, nil},
		{"a spouse who clicked once on a computer he typed on three times", []Observation{
			at(0, "web_form", "cookie:home", "email:ivan@mail.ru", "phone:+79161111111"),
			at(2, "web_form", "cookie:home", "email:ivan@mail.ru", "phone:+79161111111"),
			at(1, "web_form", "cookie:hers", "email:anna@mail.ru", "phone:+79162222222"),
			at(4, "sms_click", "cookie:home", "phone:+79162222222")},
			[]pair{{"cookie:home", "email:ivan@mail.ru"}}, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}, {"cookie:home", "phone:+79162222222"}}, nil},
		{"a spouse who clicks twice on the home computer: it stays on its own", []Observation{
			at(0, "web_form", "cookie:home", "email:ivan@mail.ru", "phone:+79161111111"),
			at(1, "web_form", "cookie:hers", "email:anna@mail.ru", "phone:+79162222222"),
			at(4, "sms_click", "cookie:home", "phone:+79162222222"),
			at(6, "email_click", "cookie:home", "email:anna@mail.ru")},
			nil, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}, {"cookie:home", "email:ivan@mail.ru"}, {"cookie:home", "email:anna@mail.ru"}}, nil},
		{"a spouse who only clicks, and has no browser of her own", []Observation{
			at(0, "web_form", "cookie:home", "email:ivan@mail.ru", "phone:+79161111111"),
			at(2, "web_form", "cookie:showroom-pc", "email:anna@mail.ru", "phone:+79162222222"),
			at(4, "sms_click", "cookie:home", "phone:+79162222222")},
			nil, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}}, nil},
		{"a spouse who types on the home computer", []Observation{
			at(0, "web_form", "cookie:his", "email:ivan@mail.ru", "phone:+79161111111"),
			at(0, "web_form", "cookie:hers", "email:anna@mail.ru", "phone:+79162222222"),
			at(1, "web_form", "cookie:home", "email:ivan@mail.ru"),
			at(2, "web_form", "cookie:home", "phone:+79162222222")},
			nil, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}, {"cookie:home", "email:ivan@mail.ru"}, {"cookie:home", "email:anna@mail.ru"}}, nil},
		{"a spouse with a phone only who types on the home computer", []Observation{
			at(0, "web_form", "cookie:his", "email:ivan@mail.ru", "phone:+79161111111"),
			at(0, "web_form", "cookie:hers", "phone:+79162222222"),
			at(1, "web_form", "cookie:home", "email:ivan@mail.ru", "phone:+79161111111"),
			at(3, "web_form", "cookie:home", "phone:+79162222222")},
			nil, []pair{{"phone:+79161111111", "phone:+79162222222"}}, nil},
		{"a misattributed call", []Observation{
			at(0, "web_form", "cookie:his", "email:ivan@mail.ru", "phone:+79161111111"),
			at(0, "web_form", "cookie:hers", "email:anna@mail.ru", "phone:+79162222222"),
			at(2, "call", "phone:+79162222222", "cookie:his")},
			[]pair{{"cookie:his", "email:ivan@mail.ru"}}, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}, {"cookie:his", "phone:+79162222222"}}, nil},
		{"a misattributed call onto a stranger's browser, then the stranger's phone-only form", []Observation{
			at(0, "web_form", "cookie:his", "email:ivan@mail.ru", "phone:+79161111111"),
			at(2, "call", "phone:+79161111111", "cookie:stranger"),
			at(3, "web_form", "cookie:stranger", "phone:+79163333333")},
			nil, []pair{{"phone:+79161111111", "phone:+79163333333"}}, nil},
		{"a forwarded link opened by a stranger who later types", []Observation{
			at(0, "web_form", "cookie:his", "email:ivan@mail.ru", "phone:+79161111111"),
			at(2, "email_click", "cookie:friend", "email:ivan@mail.ru"),
			at(3, "web_form", "cookie:friend", "email:petr@mail.ru")},
			nil, []pair{{"email:ivan@mail.ru", "email:petr@mail.ru"}}, nil},
		{"a forwarded link opened on a browser its reader typed on", []Observation{
			at(0, "web_form", "cookie:his", "email:ivan@mail.ru", "phone:+79161111111"),
			at(1, "web_form", "cookie:friend", "email:petr@mail.ru", "phone:+79163333333"),
			at(2, "email_click", "cookie:friend", "email:ivan@mail.ru")},
			nil, []pair{{"email:ivan@mail.ru", "email:petr@mail.ru"}, {"cookie:friend", "email:ivan@mail.ru"}}, nil},
		{"one person typing email and phone on one browser in two forms", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(3, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111")},
			[]pair{{"email:ivan@mail.ru", "phone:+79161111111"}}, nil, nil},
		{"two people typing email and phone on one browser", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(3, "web_form", "cookie:b1", "email:anna@mail.ru", "phone:+79162222222")},
			nil, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}, {"cookie:b1", "email:ivan@mail.ru"}, {"cookie:b1", "email:anna@mail.ru"}}, nil},
		{"two people sharing three browsers", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(1, "web_form", "cookie:b2", "email:ivan@mail.ru", "phone:+79161111111"),
			at(2, "web_form", "cookie:b3", "email:ivan@mail.ru", "phone:+79161111111"),
			at(3, "web_form", "cookie:b1", "email:anna@mail.ru", "phone:+79162222222"),
			at(4, "web_form", "cookie:b2", "email:anna@mail.ru", "phone:+79162222222"),
			at(5, "web_form", "cookie:b3", "email:anna@mail.ru", "phone:+79162222222")},
			nil, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}}, nil},
		{"a showroom tablet", showroom(),
			nil, []pair{{"phone:+79160000000", "phone:+79160000001"}, {"phone:+79160000005", "phone:+79160000013"}}, nil},
		{"a click from a new browser attaches it", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(2, "sms_click", "cookie:b2", "phone:+79161111111")},
			[]pair{{"cookie:b2", "email:ivan@mail.ru"}}, nil, nil},
		{"a call from a new browser attaches it", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(2, "call", "phone:+79161111111", "cookie:b2")},
			[]pair{{"cookie:b2", "email:ivan@mail.ru"}}, nil, nil},
		{"a second phone seen only in calls and clicks stays apart", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(2, "call", "phone:+79169999999", "cookie:b1"),
			at(3, "sms_click", "cookie:b1", "phone:+79169999999")},
			nil, []pair{{"phone:+79161111111", "phone:+79169999999"}}, nil},
		{"a second phone typed on a browser the first only called from", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(1, "call", "phone:+79161111111", "cookie:b2"),
			at(3, "web_form", "cookie:b2", "phone:+79169999999")},
			nil, []pair{{"phone:+79161111111", "phone:+79169999999"}}, nil},
		{"a second email in a survey beside the phone", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(3, "csi_survey", "email:ivan.work@yandex.ru", "phone:+79161111111")},
			[]pair{{"email:ivan@mail.ru", "email:ivan.work@yandex.ru"}}, nil, nil},
		{"a CRM record joins an email and a phone", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru"),
			at(0, "web_form", "cookie:b2", "phone:+79161111111"),
			at(9, "crm_import", "crm:CRM-1", "email:ivan@mail.ru", "phone:+79161111111")},
			[]pair{{"cookie:b1", "cookie:b2"}, {"crm:CRM-1", "phone:+79161111111"}}, nil, nil},
		{"an app login attaches the device", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(1, "app_login", "device:5f1c2a3b-0000-4000-8000-000000000001", "phone:+79161111111")},
			[]pair{{"device:5f1c2a3b-0000-4000-8000-000000000001", "email:ivan@mail.ru"}}, nil, nil},
		{"a placeholder email typed by staff for two customers", []Observation{
			at(0, "web_form", "email:test@test.ru", "phone:+79161111111"),
			at(1, "web_form", "email:test@test.ru", "phone:+79162222222")},
			nil, []pair{{"phone:+79161111111", "phone:+79162222222"}}, nil},
		{"the dealer's own phone on the host's junk list", []Observation{
			at(0, "web_form", "email:ivan@mail.ru", "phone:+74957770000"),
			at(1, "web_form", "email:anna@mail.ru", "phone:+74957770000")},
			nil, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}}, &Policy{Junk: []ID{{Phone, "+74957770000"}}}},
		{"the dealer's own landline, not on any list, typed for two customers", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+74957770000"),
			at(1, "web_form", "cookie:b2", "email:anna@mail.ru", "phone:+79162222222", "phone:+74957770000")},
			[]pair{{"email:anna@mail.ru", "phone:+79162222222"}}, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}, {"email:ivan@mail.ru", "phone:+74957770000"}}, nil},
		{"the dealer's email typed beside two customers' emails", []Observation{
			at(0, "web_form", "email:ivan@mail.ru", "email:info@avtotrade-group.ru", "phone:+79161111111"),
			at(1, "web_form", "email:anna@mail.ru", "email:info@avtotrade-group.ru")},
			[]pair{{"email:ivan@mail.ru", "phone:+79161111111"}}, []pair{{"email:ivan@mail.ru", "email:anna@mail.ru"}}, nil},
		{"a household landline typed beside each member's mobile", []Observation{
			at(0, "web_form", "cookie:his", "phone:+74951234567", "phone:+79161111111"),
			at(3, "web_form", "cookie:hers", "phone:+74951234567", "phone:+79162222222")},
			nil, []pair{{"phone:+79161111111", "phone:+79162222222"}}, nil},
		{"one person's landline typed with his email, alone and beside his mobile", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+74951234567"),
			at(2, "web_form", "cookie:b2", "email:ivan@mail.ru", "phone:+74951234567", "phone:+79161111111"),
			at(4, "web_form", "cookie:b3", "phone:+74951234567")},
			[]pair{{"email:ivan@mail.ru", "phone:+79161111111"}, {"cookie:b3", "email:ivan@mail.ru"}}, nil, nil},
		{"a mobile typed beside a second email: a person's, not a shared line", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(5, "web_form", "cookie:b2", "email:ivan.work@yandex.ru", "phone:+79161111111")},
			[]pair{{"email:ivan@mail.ru", "email:ivan.work@yandex.ru"}}, nil, nil},
		{"a person's two mobiles typed together, then one at a time", []Observation{
			at(0, "crm", "email:ivan@mail.ru", "phone:+79161111111", "phone:+79169999999"),
			at(2, "web_form", "cookie:b1", "phone:+79161111111"),
			at(4, "web_form", "cookie:b2", "phone:+79169999999", "email:ivan@mail.ru")},
			[]pair{{"cookie:b1", "email:ivan@mail.ru"}, {"phone:+79161111111", "phone:+79169999999"}}, nil, nil},
		{"a browser three people typed on", []Observation{
			at(0, "web_form", "cookie:b1", "phone:+79161111111"),
			at(1, "web_form", "cookie:b1", "phone:+79162222222"),
			at(2, "web_form", "cookie:b1", "email:petr@mail.ru")},
			nil, []pair{{"phone:+79161111111", "phone:+79162222222"}, {"phone:+79161111111", "email:petr@mail.ru"}, {"phone:+79162222222", "email:petr@mail.ru"}}, nil},
		{"a verified call merges", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			verified(at(2, "call", "phone:+79169999999", "email:ivan@mail.ru"))},
			[]pair{{"phone:+79169999999", "email:ivan@mail.ru"}}, nil, nil},
		{"a second email typed on two browsers of the person", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru", "phone:+79161111111"),
			at(1, "web_form", "cookie:b2", "email:ivan@mail.ru", "phone:+79161111111"),
			at(3, "web_form", "cookie:b1", "email:ivan.work@yandex.ru"),
			at(4, "web_form", "cookie:b2", "email:ivan.work@yandex.ru"),
			at(5, "email_click", "cookie:b1", "email:ivan.work@yandex.ru")},
			[]pair{{"email:ivan@mail.ru", "email:ivan.work@yandex.ru"}}, nil, nil},
		{"a phone typed once where only one email-only person was ever seen", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru"),
			at(4, "email_click", "cookie:b2", "email:ivan@mail.ru"),
			at(9, "web_form", "cookie:b1", "phone:+79161111111")},
			[]pair{{"email:ivan@mail.ru", "phone:+79161111111"}}, nil, nil},
		{"the same phone when a household member's contacts are in sight", []Observation{
			at(0, "web_form", "cookie:b1", "email:ivan@mail.ru"),
			at(1, "web_form", "cookie:hers", "email:anna@mail.ru", "phone:+79162222222"),
			at(2, "sms_click", "cookie:b1", "phone:+79162222222"),
			at(9, "web_form", "cookie:b1", "phone:+79161111111")},
			nil, []pair{{"email:ivan@mail.ru", "phone:+79161111111"}, {"email:anna@mail.ru", "phone:+79161111111"}}, nil},
		{"two people who each typed once on the home computer, each with a phone of their own seen only by clicks, stay apart even where the score-0 bridges merge", []Observation{
			at(0, "web_form", "cookie:home", "email:ivan@mail.ru"),
			at(2, "web_form", "cookie:home", "phone:+79162222222"),
			at(3, "email_click", "cookie:his", "email:ivan@mail.ru"),
			at(4, "sms_click", "cookie:hers", "phone:+79162222222")},
			nil, []pair{{"email:ivan@mail.ru", "phone:+79162222222"}}, &Policy{Threshold: -0.5}},
		{"a host's threshold that refuses everything", []Observation{
			when(0, 0, "web_form", "cookie:b1", "email:ivan@mail.ru"),
			when(0, 0, "web_form", "cookie:b1", "phone:+79161111111")},
			nil, []pair{{"email:ivan@mail.ru", "phone:+79161111111"}}, &Policy{Threshold: 100}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, reverse := range []bool{false, true} {
				obs := slices.Clone(c.obs)
				if reverse {
					slices.Reverse(obs)
				}
				g := mustGraph(t, &Options{Policy: deref(c.policy)})
				for _, o := range obs {
					mustObserve(t, g, o)
				}
				for _, p := range c.together {
					if !together(t, g, p[0], p[1]) {
						rs, _ := g.WhyNot(mustID(p[0]), mustID(p[1]))
						t.Errorf("reverse %v: %s and %s apart: %v", reverse, p[0], p[1], rs)
					}
				}
				for _, p := range c.apart {
					if together(t, g, p[0], p[1]) {
						t.Errorf("reverse %v: %s and %s together", reverse, p[0], p[1])
					}
				}
			}
		})
	}
}

// showroom is 14 customers' surveys on one tablet.
func showroom() []Observation {
	var os []Observation
	for i := range 14 {
		os = append(os, at(i, "csi_survey", "device:showroom-tablet-1", fmt.Sprintf("phone:+7916000%04d", i)))
	}
	return os
}

func verified(o Observation) Observation {
	o.Trust = TrustVerified
	return o
}

func deref(p *Policy) Policy {
	if p == nil {
		return Policy{}
	}
	return *p
}

func mustID(s string) ID {
	k, v, _ := strings.Cut(s, ":")
	return ID{Kind(k), v}
}
