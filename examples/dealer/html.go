package main

import (
	"fmt"
	"html"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// The HTML report is one self-contained file: inline CSS and SVG, no
// script, no fonts or images from the network. It is also well-formed
// XML, so a test can walk its structure without a browser.

var palette = []string{"#3b6ea8", "#e07b39", "#4f9d69", "#c4473a", "#8a63a6", "#b58b3c", "#3aa0a8", "#777777", "#d4609c", "#6b8e23"}

func esc(s string) string { return html.EscapeString(s) }

func (r *report) html(w io.Writer) {
	fmt.Fprintf(w, `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><title>Throughline dealer report, %s</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:980px;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse}td,th{padding:2px 10px;text-align:right}td:first-child,th:first-child{text-align:left}
.note{color:#666}svg text{font:12px system-ui,sans-serif}
</style></head>
<body>
<h1>Throughline dealer report, %s%s</h1>
`, esc(r.Now.Format("2 Jan 2006")), esc(r.Now.Format("2 Jan 2006")), esc(r.viewNote()))
	soft := r.Identifiers[identity.Cookie] + r.Identifiers[identity.Device]
	fmt.Fprintf(w, `<section id="summary"><h2>Profiles</h2>
<p>%d browsers and devices became <b>%d people</b> (%d with an email, phone or CRM number). Merged %d profiles by email, then %d by phone, %d by CRM number, %d by browser or device: of %d profiles made as identifiers were first seen, %d merged and %d were taken apart again by the rules, %d − %d + %d = %d. %d identity observations, %d events.</p></section>
`, soft, r.Profiles, r.WithContact, r.Merges["email"], r.Merges["phone"], r.Merges["CRM number"], r.Merges["browser or device"],
		r.Made, r.merged(), r.Split, r.Made, r.merged(), r.Split, r.Profiles, r.Observations, r.Events)

	var fl []bar
	for _, s := range r.Funnel {
		fl = append(fl, bar{s.Name, float64(s.Reached), fmt.Sprint(s.Reached)})
	}
	section(w, "funnel", "Funnel", "Profiles reaching each step, in order, within 180 days.", hbars(fl, palette[0]))

	var cr []bar
	for _, c := range r.Channels {
		if c.Leads < 20 {
			continue
		}
		cr = append(cr, bar{c.Channel, c.Rate(), fmt.Sprintf("%.1f%% of %d leads", 100*c.Rate(), c.Leads)})
	}
	section(w, "conversion-by-channel", "Lead → contract by channel", "By the channel of the last touch before the lead; channels with 20+ leads.", hbars(cr, palette[1]))

	section(w, "attribution", "Attribution models compared", "Contracts credited to each channel by each model.", r.attributionSVG())

	section(w, "time-to-convert", "Time to convert", "Days from lead to contract, weekly bins.", histogram(r.TimeToConvert, palette[2]))

	section(w, "journey", "One buyer's journey", "Every event of one person, across browsers, phone and email, on one timeline; colour is the channel of the touch.", journeySVG(r.Journey))

	if pc := r.Party; pc.Sales > 0 {
		fmt.Fprintf(w, `<section id="party"><h2>Credit by party</h2><p>Revenue of %d contracts (%.1fM RUB) credited to dealerships and salespeople by their recorded activity (policy %s; %d sales shared between dealerships), beside the channel credit above: two ledgers from the same timelines.</p><table><tr><th>dealership</th><th>share</th><th>M RUB</th></tr>`,
			pc.Sales, pc.Revenue/1e6, esc(creditPolicy.Version), pc.Referred)
		for _, dl := range byValue(pc.Dealerships) {
			fmt.Fprintf(w, `<tr><td>%s</td><td>%.1f%%</td><td>%.1f</td></tr>`, esc(dl), 100*pc.Dealerships[dl]/pc.Revenue, pc.Dealerships[dl]/1e6)
		}
		io.WriteString(w, `</table><table><tr><th>salesperson</th><th>share</th></tr>`)
		for _, sp := range byValue(pc.Salespeople) {
			fmt.Fprintf(w, `<tr><td>%s</td><td>%.1f%%</td></tr>`, esc(sp), 100*pc.Salespeople[sp]/pc.Revenue)
		}
		io.WriteString(w, "</table></section>\n")
	}
	if len(r.Actions) > 0 {
		fmt.Fprintf(w, `<section id="actions"><h2>Today's actions for %s</h2><p>The built-in dealer actions for customers the salesperson answered who have not bought, with each score's factors and why the best action not offered was not.</p><table><tr><th>customer</th><th>actions</th><th>not offered</th></tr>`, esc(r.ActionsFor))
		for _, l := range r.Actions {
			var acts []string
			for _, a := range l.Actions {
				acts = append(acts, fmt.Sprintf("%s (%.1f)", a.Action, a.Score))
			}
			fmt.Fprintf(w, `<tr><td>%s</td><td>%s</td><td>%s</td></tr>`, esc(l.Customer), esc(strings.Join(acts, ", ")), esc(strings.TrimPrefix(l.Declined.Action+": "+l.Declined.Reason, ": ")))
		}
		io.WriteString(w, "</table></section>\n")
	}
	if u := r.Uplift; u.Treated > 0 && u.Control > 0 {
		fmt.Fprintf(w, `<section id="uplift"><h2>Uplift against the holdout</h2><p>Lead → contract %.1f%% of %d customers left to actions vs %.1f%% of %d held out (%.0f%%, chosen by profile ID): %+.1f points, 95%% interval [%+.1f, %+.1f]. The generated history holds no actions taken, so this is an A/A check and the interval should hold 0.</p></section>`+"\n",
			100*float64(u.TreatedConverted)/float64(u.Treated), u.Treated, 100*float64(u.ControlConverted)/float64(u.Control), u.Control, 100*u.Holdout, 100*u.Diff, 100*u.Lo, 100*u.Hi)
	}
	if len(r.ReachBy) > 0 {
		io.WriteString(w, `<section id="reach"><h2>Reach per company</h2><p>People each company of the group may send marketing to now, by its own consent or one naming it a recipient.</p><table><tr><th>company</th><th>email</th><th>sms</th></tr>`)
		for _, c := range slices.Sorted(maps.Keys(r.ReachBy)) {
			fmt.Fprintf(w, `<tr><td>%s</td><td>%d</td><td>%d</td></tr>`, esc(c), r.ReachBy[c]["email"], r.ReachBy[c]["sms"])
		}
		io.WriteString(w, "</table></section>\n")
	}
	fmt.Fprintf(w, `<section id="segments"><h2>Warm customers</h2><p>%d now: 10+ car views in 30 days, a lead, no contract.</p><table><tr><th>day</th><th>entered</th><th>exited</th></tr>`, r.Warm)
	for _, d := range r.WarmDays {
		fmt.Fprintf(w, "<tr><td>%s</td><td>%d</td><td>%d</td></tr>", esc(d.Day.Format("Mon 2 Jan")), d.Entered, d.Exited)
	}
	fmt.Fprintf(w, "</table></section>\n</body></html>\n")
}

func section(w io.Writer, id, title, note, svg string) {
	fmt.Fprintf(w, "<section id=\"%s\"><h2>%s</h2><p class=\"note\">%s</p>\n%s</section>\n", id, esc(title), esc(note), svg)
}

type bar struct {
	label string
	v     float64
	text  string
}

// hbars draws horizontal bars scaled to the largest value.
func hbars(bs []bar, color string) string {
	if len(bs) == 0 {
		return "<p>No data.</p>"
	}
	const left, width, row = 230, 520, 24
	maxv := 0.0
	for _, b := range bs {
		maxv = max(maxv, b.v)
	}
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, left+width+180, len(bs)*row+10)
	for i, b := range bs {
		y := i*row + 5
		wd := 0.0
		if maxv > 0 {
			wd = b.v / maxv * width
		}
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end">%s</text>`, left-8, y+15, esc(b.label))
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`, left, y+2, wd, row-6, color, esc(b.label), esc(b.text))
		fmt.Fprintf(&s, `<text x="%.1f" y="%d">%s</text>`, float64(left)+wd+6, y+15, esc(b.text))
	}
	s.WriteString("</svg>")
	return s.String()
}

// niceScale returns an axis top at or above max and its step, both round
// numbers (1, 2 or 5 times a power of ten), for ticks of steps.
func niceScale(maxv float64, steps int) (top, step float64) {
	if maxv <= 0 {
		return 1, 1 / float64(steps)
	}
	raw := maxv / float64(steps)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if step = m * mag; step >= raw {
			break
		}
	}
	return step * float64(steps), step
}

// attributionSVG draws, for every channel with credit (most first), one
// bar per model side by side.
func (r *report) attributionSVG() string {
	chans := r.channelsByCredit()
	if len(chans) == 0 || len(r.Models) == 0 {
		return "<p>No conversions.</p>"
	}
	const left, plot, group = 60, 280, 110
	maxv := 0.0
	for _, m := range r.Models {
		for _, c := range chans {
			maxv = max(maxv, m.Credit(c).Conversions)
		}
	}
	maxv, step := niceScale(maxv, 4) // the axis ends on a round number
	bw := float64(group-14) / float64(len(r.Models))
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, left+group*len(chans)+20, plot+140+18*((len(r.Models)+3)/4))
	for k := 0; k <= 4; k++ {
		y := float64(plot) - float64(k)/4*float64(plot-10)
		fmt.Fprintf(&s, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/><text x="%d" y="%.1f" text-anchor="end">%s</text>`, left, left+group*len(chans), y, y, left-6, y+4, strconv.FormatFloat(step*float64(k), 'f', -1, 64))
	}
	for i, c := range chans {
		x0 := left + i*group + 7
		for j, m := range r.Models {
			v := m.Credit(c).Conversions
			h := 0.0
			if maxv > 0 {
				h = v / maxv * float64(plot-10)
			}
			fmt.Fprintf(&s, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %.1f contracts</title></rect>`,
				float64(x0)+float64(j)*bw, float64(plot)-h, bw-1, h, palette[j%len(palette)], esc(c), esc(m.Model), v)
		}
		fmt.Fprintf(&s, `<text transform="translate(%d,%d) rotate(30)">%s</text>`, x0+4, plot+14, esc(c))
	}
	for j, m := range r.Models {
		x, y := left+(j%4)*170, plot+130+(j/4)*18
		fmt.Fprintf(&s, `<rect x="%d" y="%d" width="12" height="12" fill="%s"/><text x="%d" y="%d">%s</text>`, x, y, palette[j%len(palette)], x+16, y+11, esc(m.Model))
	}
	s.WriteString("</svg>")
	var t strings.Builder
	t.WriteString("<table><tr><th>channel</th>")
	for _, m := range r.Models {
		fmt.Fprintf(&t, "<th>%s</th>", esc(m.Model))
	}
	t.WriteString("</tr>")
	for _, c := range chans {
		fmt.Fprintf(&t, "<tr><td>%s</td>", esc(c))
		for _, m := range r.Models {
			fmt.Fprintf(&t, "<td>%.1f</td>", m.Credit(c).Conversions)
		}
		t.WriteString("</tr>")
	}
	t.WriteString("</table>")
	return s.String() + t.String()
}

// histogram bins durations by week.
func histogram(ds []time.Duration, color string) string {
	if len(ds) == 0 {
		return "<p>No conversions.</p>"
	}
	const week = 7 * 24 * time.Hour
	bins := make([]int, int(slices.Max(ds)/week)+1)
	for _, d := range ds {
		bins[int(d/week)]++
	}
	if len(bins) > 26 {
		bins = bins[:26]
	}
	const plot, bw, left = 200, 30, 50
	maxv := slices.Max(bins)
	var s strings.Builder
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, left+len(bins)*bw+20, plot+40)
	for i, n := range bins {
		h := float64(n) / float64(maxv) * float64(plot-10)
		fmt.Fprintf(&s, `<rect x="%d" y="%.1f" width="%d" height="%.1f" fill="%s"><title>week %d: %d contracts</title></rect>`, left+i*bw, float64(plot)-h, bw-3, h, color, i+1, n)
		if i%2 == 0 {
			fmt.Fprintf(&s, `<text x="%d" y="%d">%d</text>`, left+i*bw+4, plot+16, i*7)
		}
	}
	fmt.Fprintf(&s, `<text x="%d" y="%d">days</text><text x="%d" y="15" text-anchor="end">%d</text></svg>`, left, plot+34, left-6, maxv)
	return s.String()
}

// journeySVG draws a timeline: one lane per identifier that carried
// events, a dot per event, coloured by the touch's channel.
func journeySVG(tl []journey.Event) string {
	if len(tl) == 0 {
		return "<p>No buyer to show.</p>"
	}
	lanes := []string{}
	laneOf := func(ev journey.Event) int {
		name := "other"
		if len(ev.IDs) > 0 {
			id := ev.IDs[0]
			v := id.Value
			if len(v) > 14 {
				v = v[:6] + "…" + v[len(v)-5:]
			}
			name = string(id.Kind) + " " + v
		}
		if i := slices.Index(lanes, name); i >= 0 {
			return i
		}
		lanes = append(lanes, name)
		return len(lanes) - 1
	}
	colors := map[string]string{}
	t0, t1 := tl[0].Time, tl[len(tl)-1].Time
	span := max(t1.Sub(t0), time.Hour)
	const left, width, lane = 200, 700, 34
	type dot struct {
		x     float64
		lane  int
		color string
		title string
		big   bool
	}
	var dots []dot
	for _, ev := range tl {
		c := "#bbb"
		if ev.IsTouchpoint() {
			ch := ev.Touch.ChannelName()
			if _, ok := colors[ch]; !ok {
				colors[ch] = palette[len(colors)%len(palette)]
			}
			c = colors[ch]
		}
		title := ev.Time.Format("2 Jan 15:04") + " " + string(ev.Type)
		if ev.IsTouchpoint() {
			title += " via " + ev.Touch.ChannelName()
		}
		if m := ev.Props["model"]; m != "" {
			title += " (" + ev.Props["brand"] + " " + m + ")"
		}
		dots = append(dots, dot{float64(left) + float64(ev.Time.Sub(t0))/float64(span)*width, laneOf(ev), c, title,
			ev.Type == journey.Lead || ev.Type == journey.Contract || ev.Type == journey.TestDrive || ev.Type == journey.AdvancePayment})
	}
	var s strings.Builder
	h := len(lanes)*lane + 70 + 18*((len(colors)+3)/4) + 22
	fmt.Fprintf(&s, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" role="img">`, left+width+40, h)
	for i, l := range lanes {
		y := 20 + i*lane
		fmt.Fprintf(&s, `<text x="%d" y="%d" text-anchor="end">%s</text><line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#ddd"/>`, left-10, y+4, esc(l), left, left+width, y, y)
	}
	for _, d := range dots {
		r := 4
		if d.big {
			r = 7
		}
		fmt.Fprintf(&s, `<circle cx="%.1f" cy="%d" r="%d" fill="%s" stroke="#333" stroke-width="0.5"><title>%s</title></circle>`, d.x, 20+d.lane*lane, r, d.color, esc(d.title))
	}
	base := 20 + len(lanes)*lane
	fmt.Fprintf(&s, `<text x="%d" y="%d">%s</text><text x="%d" y="%d" text-anchor="end">%s</text>`, left, base, esc(t0.Format("2 Jan 2006")), left+width, base, esc(t1.Format("2 Jan 2006")))
	names := make([]string, 0, len(colors))
	for n := range colors {
		names = append(names, n)
	}
	slices.Sort(names)
	for i, n := range names {
		x, y := left+(i%4)*175, base+20+(i/4)*18
		fmt.Fprintf(&s, `<circle cx="%d" cy="%d" r="6" fill="%s"/><text x="%d" y="%d">%s</text>`, x, y, colors[n], x+10, y+4, esc(n))
	}
	// The markers' key, on the page and not only in the tooltips.
	y := base + 20 + ((len(names)+3)/4)*18 + 4
	fmt.Fprintf(&s, `<g class="marker-key"><circle cx="%d" cy="%d" r="7" fill="#fff" stroke="#333" stroke-width="0.5"/><text x="%d" y="%d">large: a lead, test drive, advance payment or contract</text>`+
		`<circle cx="%d" cy="%d" r="4" fill="#bbb" stroke="#333" stroke-width="0.5"/><text x="%d" y="%d">grey: an event with no marketing touch; a colour is the touch's channel</text></g>`,
		left, y, left+12, y+4, left+380, y, left+390, y+4)
	s.WriteString("</svg>")
	return s.String()
}
