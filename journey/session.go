package journey

import (
	"time"
)

// A SessionPolicy says where one session ends and the next begins.
type SessionPolicy struct {
	// Timeout of inactivity; 0 means 30 minutes.
	Timeout time.Duration
	// SplitAtMidnight ends sessions at midnight in Location (nil: UTC), as
	// Universal Analytics did.
	SplitAtMidnight bool
	Location        *time.Location
	// SplitOnNewCampaign starts a session when a touch brings a campaign
	// (source, medium, campaign) other than the session's (UA).
	SplitOnNewCampaign bool
	// SplitOnAdClick starts a session on every ad click, even within the
	// timeout (Yandex Metrica).
	SplitOnAdClick bool
}

// GA4Sessions, UniversalAnalyticsSessions and MetricaSessions are the session rules of those tools.
var (
	GA4Sessions                = SessionPolicy{Timeout: 30 * time.Minute}
	UniversalAnalyticsSessions = SessionPolicy{Timeout: 30 * time.Minute, SplitAtMidnight: true, SplitOnNewCampaign: true}
	MetricaSessions            = SessionPolicy{Timeout: 30 * time.Minute, SplitOnAdClick: true}
)

// A Session is a run of a profile's events.
type Session struct {
	Start, End time.Time
	// Touch is the session's source: its first event's touch (zero: direct),
	// as Metrica and GA4 take the source from the session's first hit.
	Touch  Touch
	Events []Event
}

// Sessions cuts time-ordered events into sessions by the policy. Direct
// activity (events without a touch) never starts a campaign of its own.
func Sessions(events []Event, pol SessionPolicy) []Session {
	timeout := pol.Timeout
	if timeout == 0 {
		timeout = 30 * time.Minute
	}
	loc := pol.Location
	if loc == nil {
		loc = time.UTC
	}
	var out []Session
	for _, e := range events {
		if n := len(out); n > 0 {
			cur := &out[n-1]
			split := e.Time.Sub(cur.End) > timeout
			if !split && pol.SplitAtMidnight {
				y1, m1, d1 := cur.End.In(loc).Date()
				y2, m2, d2 := e.Time.In(loc).Date()
				split = y1 != y2 || m1 != m2 || d1 != d2
			}
			if !split && pol.SplitOnAdClick && e.Touch.AdClick() {
				split = true
			}
			if !split && pol.SplitOnNewCampaign && !e.Touch.IsZero() && !cur.Touch.IsZero() && campaignOf(e.Touch) != campaignOf(cur.Touch) {
				split = true
			}
			if !split {
				cur.End = e.Time
				cur.Events = append(cur.Events, e)
				continue
			}
		}
		out = append(out, Session{Start: e.Time, End: e.Time, Touch: e.Touch, Events: []Event{e}})
	}
	return out
}

func campaignOf(t Touch) [3]string { return [3]string{t.Source, t.Medium, t.Campaign} }
