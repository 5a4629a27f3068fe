package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/segment"
)

// small runs the whole flow on a small dealer group.
func small(t *testing.T, seed uint64) (string, string) {
	t.Helper()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(options{customers: 3000, seed: seed, out: dir, now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), quiet: true}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	if errb.Len() != 0 {
		t.Fatalf("-quiet wrote to stderr: %q", errb.String())
	}
	return out.String(), dir
}

func number(t *testing.T, s, pattern string) float64 {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("%q not in the report:\n%s", pattern, s)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestReport(t *testing.T) {
	out, dir := small(t, 1)
	browsers := number(t, out, `Profiles: (\d+) browsers and devices`)
	people := number(t, out, `became (\d+) people`)
	if people >= browsers || people < 2500 || people > 5000 {
		t.Errorf("%v browsers became %v people", browsers, people)
	}
	if number(t, out, `Merged: (\d+) profiles by email`) == 0 || number(t, out, `then (\d+) by phone`) == 0 {
		t.Error("no merges by email and phone")
	}
	// Reach per sending company: each company's own consents (or ones
	// naming it) reach at most the group's reachable people, and some.
	group := number(t, out, `(?m)^  email +(\d+) reachable`)
	for _, c := range []string{"North Motors LLC", "South Auto LLC", "East Car LLC"} {
		n := number(t, out, `(?m)^    `+regexp.QuoteMeta(c)+` +email +(\d+),`)
		if n == 0 || n > group {
			t.Errorf("%s reaches %v by email, the group %v", c, n, group)
		}
	}
	// A salesperson's actions for today, each with its score.
	if !regexp.MustCompile(`(?m)^Today's actions for .+ / .+\n  [0-9a-f]{8}  [a-z_]+ \(score [\d.]+ = propensity`).MatchString(out) {
		t.Error("no salesperson's action list with scores")
	}
	// The uplift against the holdout: an A/A check on generated history,
	// whose interval holds 0.
	lo, hi := number(t, out, `95% interval \[([+-][\d.]+),`), number(t, out, `95% interval \[[+-][\d.]+, ([+-][\d.]+)\]`)
	if lo > 0 || hi < 0 || number(t, out, `of (\d+) held out`) == 0 {
		t.Errorf("the A/A uplift interval [%v, %v] does not hold 0, or no one is held out", lo, hi)
	}
	// One direct channel, not "Direct" beside GA's "(direct)".
	if strings.Contains(out, "(direct)") {
		t.Error(`the report lists "(direct)" beside "Direct"`)
	}
	// The merge accounts reconcile with the people counted.
	made, merged, split := number(t, out, `\((\d+) profiles made`), number(t, out, `first seen, (\d+) merged`), number(t, out, `merged, (\d+) taken apart`)
	sum := number(t, out, `Merged: (\d+) profiles by email`) + number(t, out, `then (\d+) by phone`) + number(t, out, `, (\d+) by CRM number`) + number(t, out, `, (\d+) by browser or device`)
	if made-merged+split != people || sum != merged {
		t.Errorf("made %v − merged %v + split %v ≠ %v people, or the merges by kind sum to %v", made, merged, split, people, sum)
	}
	if number(t, out, `resolved to no profile\)`+"|"+`\((\d+) resolved to no profile`) > 0 {
		t.Error("events lost")
	}
	// The funnel narrows; retargeting converts leads better than the
	// display network, as at the reference dealer.
	views, leads, contracts := number(t, out, `viewed a car +(\d+)`), number(t, out, `left a lead +(\d+)`), number(t, out, `contract +(\d+)\n`)
	if !(views >= leads && leads > contracts && contracts > 0) {
		t.Errorf("funnel %v %v %v", views, leads, contracts)
	}
	rt, yan := number(t, out, `Retargeting +\d+ +\d+ +([\d.]+)%`), number(t, out, `Yandex Advertising Network +\d+ +\d+ +([\d.]+)%`)
	if rt <= yan {
		t.Errorf("retargeting %v%% vs display %v%%", rt, yan)
	}
	for _, m := range []string{"first", "last", "last_nd", "linear", "position", "decay", "shapley", "markov"} {
		if !regexp.MustCompile(`channel +.*\b` + m + `\b`).MatchString(out) {
			t.Errorf("model %s missing", m)
		}
	}
	if number(t, out, `no contract\): (\d+) now`) == 0 {
		t.Error("no warm customers")
	}
	for _, s := range []string{"Stages (each profile in exactly one): buyer", "Reachable now for marketing", "email ", "sms "} {
		if !strings.Contains(out, s) {
			t.Errorf("%q missing", s)
		}
	}
	// Audience files: the platform's header, hashed values only.
	for _, f := range []struct{ name, header string }{{"audience_north-motors_google.csv", "Email,Phone"}, {"audience_south-auto_meta.csv", "email,phone"}} {
		b, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if lines[0] != f.header || len(lines) < 2 {
			t.Fatalf("%s: %q", f.name, lines[0])
		}
		for _, l := range lines[1:] {
			if !regexp.MustCompile(`^([0-9a-f]{64})?,([0-9a-f]{64})?$`).MatchString(l) {
				t.Fatalf("%s: clear text or bad row %q", f.name, l)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	a, _ := small(t, 7)
	b, _ := small(t, 7)
	strip := regexp.MustCompile(`(?m)→ .*$|wrote .*$`)
	if strip.ReplaceAllString(a, "") != strip.ReplaceAllString(b, "") {
		t.Fatal("the same seed gave different reports")
	}
	c, _ := small(t, 8)
	if strip.ReplaceAllString(a, "") == strip.ReplaceAllString(c, "") {
		t.Fatal("another seed gave the same report")
	}
}

// TestHTMLStructure walks report.html as XML: every section is there with
// its chart, nothing is loaded from the network, no script runs.
func TestHTMLStructure(t *testing.T) {
	_, dir := small(t, 1)
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, banned := range []string{"<script", " src=", " href=", "@import", "url("} {
		if bytes.Contains(b, []byte(banned)) {
			t.Errorf("report.html contains %q: it must be self-contained", banned)
		}
	}
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	sections := map[string]map[string]int{} // section id → element counts
	var cur string
	depth, sectionDepth := 0, -1
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report.html is not well formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			depth++
			if el.Name.Local == "section" {
				for _, a := range el.Attr {
					if a.Name.Local == "id" {
						cur, sectionDepth = a.Value, depth
						sections[cur] = map[string]int{}
					}
				}
			} else if cur != "" {
				sections[cur][el.Name.Local]++
			}
		case xml.EndElement:
			if depth == sectionDepth {
				cur, sectionDepth = "", -1
			}
			depth--
		}
	}
	want := map[string][]string{
		"summary":               {"p"},
		"funnel":                {"svg", "rect"},
		"conversion-by-channel": {"svg", "rect"},
		"attribution":           {"svg", "rect", "table"},
		"time-to-convert":       {"svg", "rect"},
		"journey":               {"svg", "circle"},
		"segments":              {"table", "tr"},
		"party":                 {"table", "tr"},
		"reach":                 {"table", "tr"},
		"actions":               {"table", "tr"},
		"uplift":                {"p"},
	}
	for id, els := range want {
		s, ok := sections[id]
		if !ok {
			t.Errorf("section %s missing", id)
			continue
		}
		for _, el := range els {
			if s[el] == 0 {
				t.Errorf("section %s has no %s", id, el)
			}
		}
	}
	if n := sections["funnel"]["rect"]; n != 4 {
		t.Errorf("funnel has %d bars, want 4", n)
	}
	// The journey's markers are explained on the page, not only in tooltips.
	for _, key := range []string{"large: a lead, test drive, advance payment or contract", "grey: an event with no marketing touch"} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("report.html does not explain its markers: %q missing", key)
		}
	}
}

// TestChromiumRenders opens report.html in headless Chromium when it is
// installed (Debian's chromium package; .ci/run installs it) and checks
// the page lays out with its charts.
func TestChromiumRenders(t *testing.T) {
	bin := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			bin = p
			break
		}
	}
	if bin == "" {
		t.Skip("no Chromium on this machine")
	}
	_, dir := small(t, 1)
	page := "file://" + filepath.Join(dir, "report.html")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"}
	// Chromium itself sometimes dies of a signal on a loaded machine (it
	// did once beside the -race tests); that says nothing of the page, so
	// a crash is retried, anything else fails at once.
	chromium := func(extra ...string) []byte {
		t.Helper()
		var err error
		for attempt := range 3 {
			var out []byte
			cmd := exec.CommandContext(ctx, bin, append(append(args, "--user-data-dir="+t.TempDir()), extra...)...)
			out, err = cmd.Output()
			if err == nil {
				return out
			}
			if st := cmd.ProcessState; st == nil || st.Exited() {
				break // not a crash
			}
			t.Logf("chromium attempt %d: %v", attempt+1, err)
		}
		t.Fatalf("chromium %v: %v", extra, err)
		return nil
	}
	dom := chromium("--dump-dom", page)
	for _, s := range []string{"<title>Throughline dealer report", `id="journey"`, "<circle", `id="attribution"`} {
		if !bytes.Contains(dom, []byte(s)) {
			t.Errorf("rendered DOM lacks %q", s)
		}
	}
	shot := filepath.Join(dir, "shot.png")
	chromium("--screenshot="+shot, "--window-size=1100,2600", page)
	b, err := os.ReadFile(shot)
	if err != nil || len(b) < 20_000 || !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Fatalf("screenshot: %d bytes, %v", len(b), err)
	}
}

// TestHostFiles runs on observations and events a host exported.
func TestHostFiles(t *testing.T) {
	dir := t.TempDir()
	obs := `{"time":"2026-10-01T10:00:00Z","source":"web_form","ids":[{"kind":"cookie","value":"GA1.2.111.222"},{"kind":"email","value":"Anna.Petrova@Gmail.com"}]}
{"time":"2026-10-02T10:00:00Z","source":"web_form","ids":[{"kind":"phone","value":"8 (916) 123-45-67"},{"kind":"cookie","value":"GA1.2.111.222"}]}
not json
`
	evs := `{"time":"2026-09-20T10:00:00Z","type":"car_view","ids":[{"kind":"cookie","value":"GA1.2.111.222"}],"touch":{"channel":"Retargeting","source":"yandex","medium":"cpc"}}
{"time":"2026-10-01T10:00:00Z","type":"lead","ids":[{"kind":"cookie","value":"GA1.2.111.222"}]}
{"time":"2026-10-20T10:00:00Z","type":"contract","ids":[{"kind":"phone","value":"+79161234567"}],"value":"2500000.00","currency":"RUB"}
`
	os.WriteFile(filepath.Join(dir, "obs.jsonl"), []byte(obs), 0o644)
	os.WriteFile(filepath.Join(dir, "events.jsonl"), []byte(evs), 0o644)
	var out, errb bytes.Buffer
	err := run(options{observations: filepath.Join(dir, "obs.jsonl"), events: filepath.Join(dir, "events.jsonl"), out: dir, quiet: true, partial: true}, &out, &errb)
	if err != nil {
		t.Fatal(err)
	}
	// The car view came before any form: its cookie was observed alone
	// first (the third observation), as a tracker does on a first visit.
	if !strings.Contains(errb.String(), "obs.jsonl line 3:") {
		t.Errorf("bad line not reported: %q", errb.String())
	}
	for _, s := range []string{"Input: 3 identity observations (0 refused), 3 events (0 resolved to no profile)", "became 1 people", "email       0 reachable, 0 held by quiet hours, 1 without consent", "Retargeting                       1         1 100.0%"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("%q not in:\n%s", s, out.String())
		}
	}
	if err := run(options{observations: filepath.Join(dir, "missing.jsonl"), out: dir, quiet: true}, io.Discard, io.Discard); err == nil {
		t.Error("a missing file is not an error")
	}
}

// TestFiguresMatchLibrary runs the command on the committed sample and
// recomputes its figures with the library directly, from the same files,
// in another order (all observations first, then all events) and by full
// evaluation where the command went incrementally.
func TestFiguresMatchLibrary(t *testing.T) {
	const dir = "../../testdata/dealer/"
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	var out, errb bytes.Buffer
	if err := run(options{observations: dir + "observations.jsonl", events: dir + "events.jsonl", out: t.TempDir(), now: now, quiet: true}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	rep := out.String()

	g, err := identity.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(dir + "observations.jsonl")
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var o identity.Observation
		if err := o.UnmarshalJSON(l); err != nil {
			t.Fatal(err)
		}
		g.Observe(o)
	}
	s, _ := journey.New(g, &journey.Options{Conversions: []journey.EventType{journey.Contract}})
	f, _ := os.Open(dir + "events.jsonl")
	defer f.Close()
	if rr, err := s.ReadJSONL(context.Background(), f); err != nil || len(rr.Bad) != 0 {
		t.Fatalf("%v %v", err, rr.Bad)
	}
	if want := g.Stats().Profiles; number(t, rep, `became (\d+) people`) != float64(want) {
		t.Errorf("report says %v people, the graph has %d", number(t, rep, `became (\d+) people`), want)
	}
	lc, _ := s.Funnel(context.Background(), journey.Funnel{Steps: []journey.FunnelStep{{Type: journey.Lead}, {Type: journey.Contract}}, Window: 180 * 24 * time.Hour, Breakdown: journey.ByLastTouch})
	for ch, n := range lc.ByChannel {
		re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(ch) + ` +(\d+) +(\d+) `)
		m := re.FindStringSubmatch(rep)
		if m == nil || m[1] != strconv.Itoa(n[0]) || m[2] != strconv.Itoa(n[1]) {
			t.Errorf("%s: report %v, funnel %v", ch, m, n)
		}
	}
	paths, err := s.AllPaths(context.Background(), journey.PathOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := attribution.Compare(context.Background(), attribution.NewDataset(paths), attribution.LastTouch{})
	if err != nil {
		t.Fatal(err)
	}
	credits := rep[strings.Index(rep, "Contracts credited"):strings.Index(rep, "Warm customers")]
	for _, c := range res[0].Credits {
		re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.Channel) + ` +[\d.]+ +([\d.]+) `)
		m := re.FindStringSubmatch(credits)
		if m == nil || m[1] != strconv.FormatFloat(c.Conversions, 'f', 1, 64) {
			t.Errorf("%s last-touch: report %v, library %v", c.Channel, m, c.Conversions)
		}
	}
	set := dealerSet
	e, err := segment.NewEngine(&set, &segment.Options{Store: s, Graph: g})
	if err != nil {
		t.Fatal(err)
	}
	e.Rebuild(context.Background(), now)
	if got := number(t, rep, `no contract\): (\d+) now`); got != float64(len(e.Members("warm"))) {
		t.Errorf("warm: report %v, full evaluation %d", got, len(e.Members("warm")))
	}
	if got := number(t, rep, `Stages \(each profile in exactly one\): buyer (\d+)`); got != float64(len(e.Members("stage/buyer"))) {
		t.Errorf("buyers: report %v, full evaluation %d", got, len(e.Members("stage/buyer")))
	}
}

func TestNiceScale(t *testing.T) {
	for _, c := range []struct{ max, top, step float64 }{
		{1818, 2000, 500}, {100, 100, 25}, {3.2, 4, 1}, {0.7, 0.8, 0.2}, {0, 1, 0.25}, {1000, 1000, 250}, {1001, 2000, 500},
	} {
		if top, step := niceScale(c.max, 4); top != c.top || step != c.step {
			t.Errorf("niceScale(%g) = %g, %g; want %g, %g", c.max, top, step, c.top, c.step)
		}
	}
}

// TestEveryCreditedChannelInHTML: every channel stdout credits contracts
// to appears in report.html's attribution table (it used to stop at eight
// and leave VK out).
func TestEveryCreditedChannelInHTML(t *testing.T) {
	stdout, dir := small(t, 1)
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	_, attr, ok := strings.Cut(string(html), `id="attribution"`)
	if !ok {
		t.Fatal("no attribution section")
	}
	_, table, ok := strings.Cut(stdout, "Contracts credited to channels, by model:\n")
	if !ok {
		t.Fatal("no attribution table on stdout")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := strings.Split(table, "\n")[1:] // the header row aside
	if len(rows) < 9 {
		t.Fatalf("stdout credits %d channels; the check needs more than eight", len(rows))
	}
	for _, row := range rows {
		name := strings.TrimSpace(regexp.MustCompile(`\s{2,}[0-9].*$`).ReplaceAllString(row, ""))
		if !strings.Contains(attr, "<td>"+name+"</td>") {
			t.Errorf("%q is credited on stdout but missing from report.html's attribution table", name)
		}
	}
}

// TestPartyCredit: the report's credit by party sums to the revenue, and
// equals what attribution's PartyLedger gives for the same sales.
func TestPartyCredit(t *testing.T) {
	out, _ := small(t, 1)
	sec := out[strings.Index(out, "Credit by party"):strings.Index(out, "salespeople with most credit")]
	total, n := 0.0, 0
	for _, m := range regexp.MustCompile(`(?m)^  \S.*? +([\d.]+)%`).FindAllStringSubmatch(sec, -1) {
		f, _ := strconv.ParseFloat(m[1], 64)
		total += f
		n++
	}
	if n != len(dealerships) || math.Abs(total-100) > 0.25 {
		t.Errorf("%d dealerships credited, shares sum to %.2f%%:\n%s", n, total, sec)
	}
	now := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	steps, _ := generate(3000, 1, now)
	slices.SortStableFunc(steps, func(a, b step) int { return a.t.Compare(b.t) })
	d, err := ingest(steps, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	pc := d.partyCredit()
	ledger, err := attribution.NewPartyLedger(creditPolicy)
	if err != nil {
		t.Fatal(err)
	}
	byDealer := map[string]float64{}
	for _, p := range d.s.Profiles() {
		for _, sale := range d.s.Sales(p, nil) {
			if sale.Closing == "" {
				continue
			}
			if err := ledger.AddSale(sale); err != nil {
				t.Fatal(err)
			}
			cr, err := ledger.Credit(sale.ID)
			if err != nil {
				t.Fatal(err)
			}
			sum := 0.0
			for dl, share := range cr.Dealerships {
				byDealer[dl] += share * sale.Value
				sum += share
			}
			if math.Abs(sum-1) > 1e-12 {
				t.Fatalf("sale %s: shares sum to %v", sale.ID, sum)
			}
		}
	}
	for dl, v := range byDealer {
		if math.Abs(pc.Dealerships[dl]-v) > 1e-6*v {
			t.Errorf("%s: report %.2f, ledger %.2f", dl, pc.Dealerships[dl], v)
		}
	}
	if pc.Referred == 0 || len(pc.Salespeople) < 6 {
		t.Errorf("no sale shared between dealerships (%d), or few salespeople credited (%d)", pc.Referred, len(pc.Salespeople))
	}
}

// TestCompanyView: -company draws the whole report through one company's
// view: fewer events than the group's, the same people, its own audience
// files only, and its own dealerships holding most of the credit it sees.
func TestCompanyView(t *testing.T) {
	group, _ := small(t, 1)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run(options{customers: 3000, seed: 1, out: dir, now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), quiet: true, company: "North Motors LLC"}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	view := out.String()
	if !strings.Contains(view, "as North Motors LLC sees the group") {
		t.Fatal("the report does not say whose view it is")
	}
	if ev, all := number(t, view, `, (\d+) events \(`), number(t, group, `, (\d+) events \(`); ev >= all || ev == 0 {
		t.Errorf("the view holds %v events, the group %v", ev, all)
	}
	if a, b := number(t, view, `became (\d+) people`), number(t, group, `became (\d+) people`); a != b {
		t.Errorf("the view has %v people, the group %v: the profile is the group's", a, b)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "audience_*"))
	for _, f := range files {
		if !strings.Contains(f, "audience_north-motors_") {
			t.Errorf("North's view wrote another company's audience: %s", f)
		}
	}
	share := number(t, view, `(?m)^  North Motors Khimki +([\d.]+)%`) + number(t, view, `(?m)^  North Motors Mytishchi +([\d.]+)%`)
	if share < 50 {
		t.Errorf("North's dealerships hold %.1f%% of the credit North sees", share)
	}
}
