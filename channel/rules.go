package channel

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// A RuleSet is a versioned, ordered table of channel rules shipped as data.
// Rules are tried in order and the first whose conditions hold names the
// channel. Categories maps a source (lower case) to a source category
// ("search", "social", "shopping", "video") and adds to or overrides the
// categories of the sets after it.
type RuleSet struct {
	Version    string            `json:"version"`
	Comment    string            `json:"comment,omitempty"`
	Categories map[string]string `json:"categories,omitempty"`
	Rules      []Rule            `json:"rules"`
}

// A Rule names a channel and the alternatives that select it: Any holds
// groups of conditions; a touch matches when every condition of some group
// holds. Replace makes the rule take the place (and position) of the
// same-named rules of the sets after it instead of being tried before them.
type Rule struct {
	Channel string            `json:"channel"`
	Any     [][]RuleCondition `json:"any"`
	Replace bool              `json:"replace,omitempty"`
}

// A RuleCondition tests one field of the classified Tags.
//
// Fields: source, medium, campaign, click, placement, retargeting, tagged.
// Ops: eq (one of Values), contains (any of Values as a substring), prefix,
// suffix, category (source is in one of the named categories), paid (medium
// matches GA4's ^(.*cp.*|ppc|retargeting|paid.*)$), shop (campaign matches
// GA4's ^(.*(([^a-df-z]|^)shop|shopping).*)$), present (field non-empty).
// Values compare case-insensitively. Not negates the condition.
type RuleCondition struct {
	Field  string   `json:"field"`
	Op     string   `json:"op"`
	Values []string `json:"values,omitempty"`
	Not    bool     `json:"not,omitempty"`
}

// ErrRule reports a rule set that cannot be compiled: unknown field or op,
// missing values, an empty channel name.
var ErrRule = errors.New("channel: invalid rule")

//go:embed rules/ga4.json
var ga4JSON []byte

//go:embed rules/ru.json
var ruJSON []byte

//go:embed rules/ga4_source_categories.csv
var ga4CategoriesCSV []byte

// GA4Rules returns GA4's default channel group (the table of Google's help
// page, 2024 version, with Google's source-category lists of November 2023).
// The result is a fresh copy the caller may modify.
func GA4Rules() RuleSet {
	rs, err := ParseRuleSet(ga4JSON)
	if err != nil {
		panic(err) // embedded data, covered by tests
	}
	rs.Categories = make(map[string]string, 1024)
	sc := bufio.NewScanner(bytes.NewReader(ga4CategoriesCSV))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line == "source,category" {
			continue
		}
		src, cat, ok := strings.Cut(line, ",")
		if !ok {
			panic("channel: bad embedded category line " + line)
		}
		rs.Categories[src] = cat
	}
	return rs
}

// RussianRules returns the overlay for the Russian market, tried before
// GA4's rules: Retargeting, the Yandex Advertising Network (RSYa), Yandex
// Direct search, the Google Display Network, Google Ads, Meta, VK, OK, Dzen, Rutube,
// Telegram and messengers, plus the domains Google's lists miss (ok.ru,
// vk.ru, rutube.ru, dzen.ru).
func RussianRules() RuleSet {
	rs, err := ParseRuleSet(ruJSON)
	if err != nil {
		panic(err)
	}
	return rs
}

// ParseRuleSet decodes a rule set from JSON and checks it compiles.
func ParseRuleSet(data []byte) (RuleSet, error) {
	var rs RuleSet
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rs); err != nil {
		return RuleSet{}, fmt.Errorf("%w: %w", ErrRule, err)
	}
	for i, r := range rs.Rules {
		if _, err := compileRule(r); err != nil {
			return RuleSet{}, fmt.Errorf("%s rule %d: %w", rs.Version, i, err)
		}
	}
	return rs, nil
}

type field uint8

const (
	fSource field = iota
	fMedium
	fCampaign
	fClick
	fPlacement
	fRetargeting
	fTagged
)

var fieldNames = map[string]field{
	"source": fSource, "medium": fMedium, "campaign": fCampaign, "click": fClick,
	"placement": fPlacement, "retargeting": fRetargeting, "tagged": fTagged,
}

type op uint8

const (
	opEq op = iota
	opContains
	opPrefix
	opSuffix
	opCategory
	opPaid
	opShop
	opPresent
)

var opNames = map[string]op{
	"eq": opEq, "contains": opContains, "prefix": opPrefix, "suffix": opSuffix,
	"category": opCategory, "paid": opPaid, "shop": opShop, "present": opPresent,
}

type cond struct {
	field  field
	op     op
	not    bool
	values []string
}

type compiled struct {
	channel string
	rule    string // version#index, for explanations
	any     [][]cond
}

func compileRule(r Rule) (compiled, error) {
	if r.Channel == "" {
		return compiled{}, fmt.Errorf("%w: empty channel", ErrRule)
	}
	if len(r.Any) == 0 {
		return compiled{}, fmt.Errorf("%w: %s has no conditions", ErrRule, r.Channel)
	}
	c := compiled{channel: r.Channel}
	for _, group := range r.Any {
		if len(group) == 0 {
			return compiled{}, fmt.Errorf("%w: %s has an empty group", ErrRule, r.Channel)
		}
		var g []cond
		for _, x := range group {
			f, ok := fieldNames[x.Field]
			if !ok {
				return compiled{}, fmt.Errorf("%w: unknown field %q", ErrRule, x.Field)
			}
			o, ok := opNames[x.Op]
			if !ok {
				return compiled{}, fmt.Errorf("%w: unknown op %q", ErrRule, x.Op)
			}
			needValues := o == opEq || o == opContains || o == opPrefix || o == opSuffix || o == opCategory
			if needValues && len(x.Values) == 0 {
				return compiled{}, fmt.Errorf("%w: op %q needs values", ErrRule, x.Op)
			}
			if !needValues && len(x.Values) > 0 {
				return compiled{}, fmt.Errorf("%w: op %q takes no values", ErrRule, x.Op)
			}
			vals := make([]string, len(x.Values))
			for i, v := range x.Values {
				vals[i] = strings.ToLower(v)
			}
			g = append(g, cond{field: f, op: o, not: x.Not, values: vals})
		}
		c.any = append(c.any, g)
	}
	return c, nil
}

// PaidMedium reports whether a medium is paid by GA4's definition, the one
// every package uses: lower-cased, it matches ^(.*cp.*|ppc|retargeting|paid.*)$.
func PaidMedium(medium string) bool {
	m := strings.ToLower(medium)
	return strings.Contains(m, "cp") || m == "ppc" || m == "retargeting" || strings.HasPrefix(m, "paid")
}

// shopCampaign reports whether c matches ^(.*(([^a-df-z]|^)shop|shopping).*)$:
// "shopping" anywhere, or "shop" at the start or after a character other
// than a-d and f-z (so "eshop" and "summer-shop" match, "workshop" does not).
func shopCampaign(c string) bool {
	if strings.Contains(c, "shopping") {
		return true
	}
	for i := 0; ; {
		j := strings.Index(c[i:], "shop")
		if j < 0 {
			return false
		}
		j += i
		if j == 0 {
			return true
		}
		p := c[j-1]
		if !(p >= 'a' && p <= 'd' || p >= 'f' && p <= 'z') {
			return true
		}
		i = j + 1
	}
}
