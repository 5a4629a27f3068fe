package channel

import (
	"bufio"
	"errors"
	"os"
	"strings"
	"testing"
)

type goldenRow struct {
	line       int
	note       string
	touch      Arrival
	ga4, deflt string
}

func readGolden(t testing.TB) []goldenRow {
	t.Helper()
	f, err := os.Open("testdata/golden.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []goldenRow
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 8 {
			t.Fatalf("golden.tsv:%d: %d columns, want 8", n, len(c))
		}
		rows = append(rows, goldenRow{n, c[0], Arrival{Source: c[1], Medium: c[2], Campaign: c[3], Referrer: c[4], Landing: c[5]}, c[6], c[7]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func newTestClassifier(t testing.TB, sets ...RuleSet) *Classifier {
	t.Helper()
	c, err := NewClassifier(&ClassifierOptions{Sets: sets, InternalHosts: []string{"dealer.ru"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestGolden classifies the hand-written table with GA4's rules alone and
// with the Russian overlay, and checks every rule of both sets is exercised.
func TestGolden(t *testing.T) {
	rows := readGolden(t)
	if len(rows) < 200 {
		t.Fatalf("golden table has %d rows, want at least 200", len(rows))
	}
	ga4 := newTestClassifier(t, GA4Rules())
	def := newTestClassifier(t)
	hit := map[string]bool{}
	for _, r := range rows {
		g := ga4.Classify(r.touch)
		d := def.Classify(r.touch)
		hit[g.Rule], hit[d.Rule] = true, true
		if g.Channel != r.ga4 {
			t.Errorf("golden.tsv:%d %s: GA4 = %q (tags %+v), want %q", r.line, r.note, g.Channel, g.Tags, r.ga4)
		}
		if d.Channel != r.deflt {
			t.Errorf("golden.tsv:%d %s: Default = %q (tags %+v), want %q", r.line, r.note, d.Channel, d.Tags, r.deflt)
		}
	}
	for _, rs := range []RuleSet{GA4Rules(), RussianRules()} {
		for i, rule := range rs.Rules {
			id := rs.Version + "#" + itoa(i)
			if !hit[id] {
				t.Errorf("rule %s (%s) is not exercised by the golden table", id, rule.Channel)
			}
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestBuiltinClassifiers(t *testing.T) {
	tc := Arrival{Landing: "https://x.ru/?utm_source=yandex&utm_medium=cpc&placement=context"}
	if got := GA4().Classify(tc).Channel; got != "Paid Search" {
		t.Errorf("GA4() = %q", got)
	}
	if got := Default().Classify(tc).Channel; got != "Yandex Advertising Network" {
		t.Errorf("Default() = %q", got)
	}
	if got := Default().Classify(Arrival{Source: "foo", Medium: "bar"}); got.Channel != Unassigned || got.Rule != "" {
		t.Errorf("unmatched = %+v", got)
	}
	if n := len(GA4Rules().Categories); n < 800 {
		t.Errorf("GA4 categories: %d entries", n)
	}
}

func TestHostRules(t *testing.T) {
	host := RuleSet{Version: "dealer-1", Rules: []Rule{
		{Channel: "Avito", Any: [][]RuleCondition{{{Field: "source", Op: "eq", Values: []string{"Avito", "avito.ru"}}}}},
		{Channel: "Display", Replace: true, Any: [][]RuleCondition{{{Field: "medium", Op: "eq", Values: []string{"display", "banner"}}}}},
	}, Categories: map[string]string{"Auto.ru": "shopping"}}
	c := newTestClassifier(t, host, GA4Rules())
	for _, tc := range []struct {
		touch Arrival
		want  string
	}{
		{Arrival{Source: "avito", Medium: "cpc"}, "Avito"},                   // added rule, tried first
		{Arrival{Referrer: "https://www.avito.ru/x"}, "Avito"},               // referrer host
		{Arrival{Source: "criteo", Medium: "cpm"}, "Paid Other"},             // Display replaced: cpm gone
		{Arrival{Source: "criteo", Medium: "banner"}, "Display"},             // replacement in place
		{Arrival{Source: "google", Medium: "banner"}, "Display"},             // banner is not a paid medium
		{Arrival{Source: "auto.ru", Medium: "referral"}, "Organic Shopping"}, // host category
	} {
		if got := c.Classify(tc.touch); got.Channel != tc.want {
			t.Errorf("Classify(%+v) = %q (%s), want %q", tc.touch, got.Channel, got.Rule, tc.want)
		}
	}
	// The replacement keeps Display's position: before Paid Other.
	if got := c.Classify(Arrival{Source: "x", Medium: "banner"}).Rule; got != "dealer-1#1" {
		t.Errorf("replaced rule id = %q", got)
	}
}

func TestParseRuleSetErrors(t *testing.T) {
	for _, src := range []string{
		`{`,
		`{"version":"v","rules":[{"channel":"","any":[[{"field":"source","op":"eq","values":["x"]}]]}]}`,
		`{"version":"v","rules":[{"channel":"X","any":[]}]}`,
		`{"version":"v","rules":[{"channel":"X","any":[[]]}]}`,
		`{"version":"v","rules":[{"channel":"X","any":[[{"field":"host","op":"eq","values":["x"]}]]}]}`,
		`{"version":"v","rules":[{"channel":"X","any":[[{"field":"source","op":"regex","values":["x"]}]]}]}`,
		`{"version":"v","rules":[{"channel":"X","any":[[{"field":"source","op":"eq"}]]}]}`,
		`{"version":"v","rules":[{"channel":"X","any":[[{"field":"medium","op":"paid","values":["x"]}]]}]}`,
		`{"version":"v","rulez":[]}`,
	} {
		if _, err := ParseRuleSet([]byte(src)); !errors.Is(err, ErrRule) {
			t.Errorf("ParseRuleSet(%s) err = %v, want ErrRule", src, err)
		}
	}
	bad := RuleSet{Version: "v", Rules: []Rule{{Channel: "X", Any: [][]RuleCondition{{{Field: "nope", Op: "eq", Values: []string{"a"}}}}}}}
	if _, err := NewClassifier(&ClassifierOptions{Sets: []RuleSet{bad}}); !errors.Is(err, ErrRule) {
		t.Errorf("NewClassifier(bad) err = %v", err)
	}
}

func TestPaidAndShop(t *testing.T) {
	for m, want := range map[string]bool{"cpc": true, "ppc": true, "retargeting": true, "paid": true, "paid_social": true,
		"cpm": true, "xcpx": true, "ppcx": false, "remarketing": false, "organic": false, "": false, "unpaid": false, "CPC": true, "Retargeting": true} {
		if got := PaidMedium(m); got != want {
			t.Errorf("PaidMedium(%q) = %v", m, got)
		}
	}
	for c, want := range map[string]bool{"shop": true, "eshop": true, "e-shop": true, "1shop": true, "shopping": true, "workshop": false,
		"bookshop": false, "ashop": false, "dshop": false, "fshop": false, "xshop_shop": true, "workshop-shopping": true, "": false, "магазин shop": true} {
		if got := shopCampaign(c); got != want {
			t.Errorf("shopCampaign(%q) = %v", c, got)
		}
	}
}

func TestReferrerHost(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.Google.com/search?q=1": "google.com",
		"google.com":                        "google.com",
		"//yandex.ru/":                      "yandex.ru",
		"http://u:p@host.ru:8080/x":         "host.ru",
		"https://[::1]:443/":                "[::1]",
		"https://example.com./":             "example.com",
		"":                                  "",
		"   ":                               "",
		"https://":                          "",
	} {
		if got := referrerHost(in); got != want {
			t.Errorf("referrerHost(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzClassify feeds arbitrary landing URLs and referrers: classification
// never panics, is deterministic, and always names a channel.
func FuzzClassify(f *testing.F) {
	for _, r := range readGolden(f) {
		f.Add(r.touch.Source, r.touch.Medium, r.touch.Referrer, r.touch.Landing)
	}
	c := newTestClassifier(f)
	f.Fuzz(func(t *testing.T, src, med, ref, land string) {
		tc := Arrival{Source: src, Medium: med, Referrer: ref, Landing: land}
		a, b := c.Classify(tc), c.Classify(tc)
		if a != b {
			t.Fatalf("not deterministic: %+v vs %+v", a, b)
		}
		if a.Channel == "" || a.Tags.Source == "" || a.Tags.Medium == "" {
			t.Fatalf("empty result %+v", a)
		}
		if (a.Channel == Unassigned) != (a.Rule == "") {
			t.Fatalf("rule/channel mismatch %+v", a)
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	rows := readGolden(b)
	c := newTestClassifier(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Classify(rows[i%len(rows)].touch)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "touches/s")
}
