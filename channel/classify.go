package channel

import (
	"fmt"
	"strings"
)

// Unassigned is the channel of a touch no rule matched, as in GA4.
const Unassigned = "Unassigned"

// ClassifierOptions configures a Classifier. The zero value classifies with
// Default's rules and treats no referrer as internal.
type ClassifierOptions struct {
	// Sets are the rule sets, highest precedence first. Nil means
	// RussianRules() over GA4Rules(); pass only GA4Rules() for plain GA4.
	// A host adds rules by putting its own set first, and replaces a
	// built-in rule with a rule of the same channel name marked Replace.
	Sets []RuleSet
	// InternalHosts are the site's own hosts (and payment pages that return
	// to it): a referrer from one of them, or a subdomain of one, is not a
	// source. Matching ignores case and a leading "www.".
	InternalHosts []string
}

// A Classifier assigns a channel to an Arrival. It is immutable after
// construction and safe for concurrent use.
type Classifier struct {
	rules      []compiled
	categories map[string]string
	internal   []string
}

// Classification is the outcome of classifying one touch.
type Classification struct {
	Channel string
	Rule    string // "version#index" of the rule that matched; "" for Unassigned
	Tags    Tags   // the normalized tags the rules saw
}

// NewClassifier compiles the rule sets of cfg.
func NewClassifier(opts *ClassifierOptions) (*Classifier, error) {
	var cfg ClassifierOptions
	if opts != nil {
		cfg = *opts
	}
	sets := cfg.Sets
	if sets == nil {
		sets = []RuleSet{RussianRules(), GA4Rules()}
	}
	c := &Classifier{categories: map[string]string{}}
	// Build from the lowest precedence up so that Replace can find the
	// rule it replaces and higher sets' categories override lower ones.
	for si := len(sets) - 1; si >= 0; si-- {
		rs := sets[si]
		for k, v := range rs.Categories {
			c.categories[strings.ToLower(k)] = strings.ToLower(v)
		}
		var front []compiled
		for i, r := range rs.Rules {
			cr, err := compileRule(r)
			if err != nil {
				return nil, fmt.Errorf("%s rule %d: %w", rs.Version, i, err)
			}
			cr.rule = fmt.Sprintf("%s#%d", rs.Version, i)
			if r.Replace {
				replaced := false
				for j := range c.rules {
					if c.rules[j].channel == r.Channel {
						if !replaced {
							c.rules[j] = cr
							replaced = true
						} else {
							c.rules[j].channel = "" // dropped below
						}
					}
				}
				if replaced {
					continue
				}
			}
			front = append(front, cr)
		}
		kept := c.rules[:0:0]
		for _, r := range c.rules {
			if r.channel != "" {
				kept = append(kept, r)
			}
		}
		c.rules = append(front, kept...)
	}
	for _, h := range cfg.InternalHosts {
		h = referrerHost(h)
		if h != "" {
			c.internal = append(c.internal, h)
		}
	}
	return c, nil
}

// Default returns a classifier with the Russian overlay over GA4's rules.
func Default() *Classifier {
	c, err := NewClassifier(&ClassifierOptions{})
	if err != nil {
		panic(err) // embedded data, covered by tests
	}
	return c
}

// GA4 returns a classifier reproducing GA4's default channel group.
func GA4() *Classifier {
	c, err := NewClassifier(&ClassifierOptions{Sets: []RuleSet{GA4Rules()}})
	if err != nil {
		panic(err)
	}
	return c
}

// Classify returns the channel of t.
//
// Tags are derived GA4's way: explicit fields, then the landing URL's UTM
// parameters; without utm_source and utm_medium, a Google click ID reads as
// google / cpc and a yclid as yandex / cpc; otherwise the referrer is the
// source: a search engine (any country domain) by its name, or the host
// without "www.", with medium organic for search sites and referral for
// the rest; an internal or
// absent referrer is (direct) / (none). A source without a medium gets
// (not set), and the other way round.
func (c *Classifier) Classify(t Arrival) Classification {
	tags := c.Tags(t)
	for i := range c.rules {
		r := &c.rules[i]
		for _, g := range r.any {
			if c.matchAll(g, &tags) {
				return Classification{Channel: r.channel, Rule: r.rule, Tags: tags}
			}
		}
	}
	return Classification{Channel: Unassigned, Tags: tags}
}

// Tags returns the normalized tags the rules would see for t.
func (c *Classifier) Tags(t Arrival) Tags {
	var l landing
	if t.Landing != "" {
		l = parseLanding(t.Landing)
	}
	tg := Tags{
		Source:      lower(strings.TrimSpace(first(t.Source, l.source))),
		Medium:      lower(strings.TrimSpace(first(t.Medium, l.medium))),
		Campaign:    lower(strings.TrimSpace(first(t.Campaign, l.campaign))),
		Placement:   lower(l.placement),
		Retargeting: l.retargeting,
	}
	if l.click > 0 {
		tg.Click = clickNames[l.click-1]
	}
	tg.Tagged = tg.Source != "" || tg.Medium != ""
	if !tg.Tagged {
		switch tg.Click {
		case "gclid", "gbraid", "wbraid":
			tg.Source, tg.Medium = "google", "cpc"
		case "yclid":
			tg.Source, tg.Medium = "yandex", "cpc"
		default:
			h := referrerHost(t.Referrer)
			engine := engineName(h)
			switch {
			case h == "" || c.isInternal(h):
				tg.Source, tg.Medium = "(direct)", "(none)"
			case engine != "":
				tg.Source, tg.Medium = engine, "organic"
			case c.category(h) == "search":
				tg.Source, tg.Medium = h, "organic"
			default:
				tg.Source, tg.Medium = h, "referral"
			}
		}
	}
	if tg.Source == "" {
		tg.Source = "(not set)"
	}
	if tg.Medium == "" {
		tg.Medium = "(not set)"
	}
	return tg
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (c *Classifier) isInternal(h string) bool {
	for _, in := range c.internal {
		if h == in || strings.HasSuffix(h, in) && h[len(h)-len(in)-1] == '.' {
			return true
		}
	}
	return false
}

// category looks a source up in the category lists: exactly, as GA4 does,
// then without a leading "m." (mobile hosts the lists do not all carry).
func (c *Classifier) category(src string) string {
	if cat, ok := c.categories[src]; ok {
		return cat
	}
	if s, ok := strings.CutPrefix(src, "m."); ok {
		return c.categories[s]
	}
	return ""
}

// searchEngines are the engines whose country domains (google.ru,
// yandex.kz, google.co.uk) GA4 reports under the engine's name as organic.
var searchEngines = map[string]bool{
	"google": true, "yandex": true, "ya": true, "bing": true, "yahoo": true,
	"duckduckgo": true, "baidu": true, "ecosia": true, "rambler": true,
	"nova.rambler": true, "go.mail": true, "search.yahoo": true, "search.brave": true,
}

// engineName returns the search engine of a referrer host such as
// www.google.co.uk or yandex.ru, or "".
func engineName(h string) string {
	// Strip the public suffix: one label, or two for co.xx / com.xx.
	i := strings.LastIndexByte(h, '.')
	if i <= 0 {
		return ""
	}
	rest := h[:i]
	if j := strings.LastIndexByte(rest, '.'); j > 0 {
		if sl := rest[j+1:]; sl == "co" || sl == "com" {
			rest = rest[:j]
		}
	}
	if searchEngines[rest] {
		switch rest {
		case "ya":
			return "yandex"
		case "nova.rambler":
			return "rambler"
		case "search.yahoo":
			return "yahoo"
		case "search.brave":
			return "brave"
		case "go.mail":
			return "mail.ru"
		}
		return rest
	}
	return ""
}

func (c *Classifier) matchAll(g []cond, t *Tags) bool {
	for i := range g {
		if c.match(&g[i], t) == g[i].not {
			return false
		}
	}
	return true
}

func (c *Classifier) match(x *cond, t *Tags) bool {
	var v string
	switch x.field {
	case fSource:
		v = t.Source
	case fMedium:
		v = t.Medium
	case fCampaign:
		v = t.Campaign
	case fClick:
		v = t.Click
	case fPlacement:
		v = t.Placement
	case fRetargeting:
		v = t.Retargeting
	case fTagged:
		if t.Tagged {
			v = "1"
		}
	}
	switch x.op {
	case opEq:
		for _, w := range x.values {
			if v == w {
				return true
			}
		}
	case opContains:
		for _, w := range x.values {
			if strings.Contains(v, w) {
				return true
			}
		}
	case opPrefix:
		for _, w := range x.values {
			if strings.HasPrefix(v, w) {
				return true
			}
		}
	case opSuffix:
		for _, w := range x.values {
			if strings.HasSuffix(v, w) {
				return true
			}
		}
	case opCategory:
		cat := c.category(v)
		for _, w := range x.values {
			if cat == w {
				return true
			}
		}
	case opPaid:
		return PaidMedium(v)
	case opShop:
		return shopCampaign(v)
	case opPresent:
		return v != ""
	}
	return false
}
