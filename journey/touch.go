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

// touchFields names a Touch's fields as the JSON and CSV formats do, in
// the order JSON writes them; field returns the one of index i.
var touchFields = [...]string{"channel", "source", "medium", "campaign", "content", "term", "gclid", "gbraid", "wbraid", "yclid", "fbclid", "referrer", "landing"}

func (t *Touch) field(i int) *string {
	return [...]*string{&t.Channel, &t.Source, &t.Medium, &t.Campaign, &t.Content, &t.Term, &t.GCLID, &t.GBRAID,
		&t.WBRAID, &t.YCLID, &t.FBCLID, &t.Referrer, &t.Landing}[i]
}

// touchField returns the index of the field a format names name, or -1.
func touchField(name []byte) int {
	for i, f := range touchFields {
		if string(name) == f {
			return i
		}
	}
	return -1
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
