package journey

import (
	"net/url"
	"time"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/channel"
)

// TouchFrom is the Touch of an arrival that package channel classified as
// c: its channel, the tags the rules saw, the referrer and landing page,
// and the click IDs the landing URL carries.
func TouchFrom(a channel.Arrival, c channel.Classification) Touch {
	t := Touch{Channel: c.Channel, Source: c.Tags.Source, Medium: c.Tags.Medium, Campaign: c.Tags.Campaign,
		Referrer: a.Referrer, Landing: a.Landing}
	if u, err := url.Parse(a.Landing); err == nil {
		q := u.Query()
		t.Content, t.Term = q.Get("utm_content"), q.Get("utm_term")
		t.GCLID, t.GBRAID, t.WBRAID, t.YCLID, t.FBCLID = q.Get("gclid"), q.Get("gbraid"), q.Get("wbraid"), q.Get("yclid"), q.Get("fbclid")
	}
	return t
}

// Arrival is t as package channel's classifier takes it, to classify (or
// classify again, under other rules) a stored event's touch.
func (t Touch) Arrival() channel.Arrival {
	return channel.Arrival{Source: t.Source, Medium: t.Medium, Campaign: t.Campaign, Referrer: t.Referrer, Landing: t.Landing}
}

// PathTouch is t as a touch of an attribution path at time at: its channel
// (ChannelName), with the campaign kept for attribution.Rekey.
func (t Touch) PathTouch(at time.Time) attribution.Touch {
	pt := attribution.Touch{Channel: t.ChannelName(), Time: at}
	if t.Campaign != "" {
		pt.Attrs = map[string]string{"campaign": t.Campaign}
	}
	return pt
}
