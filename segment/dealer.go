package segment

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Built-in dealer actions, as data the host edits: an ActionSet is a
// catalog written in JSON whose gates name segments (defined in the same
// file, in the condition language of ParseSet) and a few inventory rules,
// instead of Go functions. DefaultDealerActions is the built-in one:
//
//   - call_back: a lead left 2 to 5 days ago with no contact since from any
//     dealership, in working hours;
//   - offer_test_drive: of a model the person viewed, at a dealership
//     that has one in stock, not if a test drive happened in the last 30
//     days;
//   - trade_in_estimate: when the current car is known, every 30 days at
//     most;
//   - premium_unlock: when the exact trim viewed is out of stock group-wide
//     and a lower trim of the model is in stock; factory_order when it is
//     out of stock; the two exclude each other.
//
// The host edits the file (the windows, the values, the segments'
// conditions), feeds its segments to an Engine, and passes each customer's
// memberships, views and dealerships in the Customer.

// An ActionSet is a catalog as data: Catalog builds it over an inventory.
type ActionSet struct {
	Version  string
	Segments *Set // the segments the gates name
	Actions  []ActionSpec
	Policy   ContactPolicy
	Holdout  float64
}

// An ActionSpec is one action of an ActionSet. Its gates:
//   - Eligible and Applicable name segments the customer must be in;
//   - Unsuitable names segments any one of which makes it unsuitable;
//   - Stock is an inventory rule, part of applicability: "viewed_in_stock"
//     (a model the customer viewed is in stock at a dealership that may
//     serve it), "trim_out_lower_in_stock" (the trim it viewed is out of
//     stock group-wide, and a lower trim of the model is in stock),
//     "trim_out" (the trim it viewed is out of stock group-wide), or "";
//   - Hours ("09:00-20:00") is when the action applies, in the location
//     of Customer.Now.
type ActionSpec struct {
	ID, Channel, Role, Purpose, Group string
	Cooldown                          time.Duration
	Value, Lever                      float64
	Eligible, Applicable, Unsuitable  []string
	Stock                             string
	Hours                             string
}

// DefaultDealerActions returns the built-in dealer action set, parsed anew
// (the caller may edit it).
func DefaultDealerActions() *ActionSet {
	as, err := ParseActionSet([]byte(defaultDealerActions))
	if err != nil {
		panic("segment: the built-in dealer actions do not parse: " + err.Error()) // a test guards it
	}
	return as
}

const defaultDealerActions = `{
  "version": "dealer-2026.12",
  "segments": {"segments": [
    {"name": "lead_2_5_days", "when": {"last": {"event": {"type": "lead"}, "olderThan": "2d", "newerThan": "5d"}}},
    {"name": "contacted_last_5_days", "when": {"or": [
      {"count": {"event": {"type": "call"}, "min": 1, "window": {"last": "5d"}}},
      {"count": {"event": {"type": "lead_response"}, "min": 1, "window": {"last": "5d"}}},
      {"count": {"event": {"type": "action_completed"}, "min": 1, "window": {"last": "5d"}}}]}},
    {"name": "viewed_car_30d", "when": {"count": {"event": {"type": "car_view"}, "min": 1, "window": {"last": "30d"}}}},
    {"name": "test_drive_30d", "when": {"count": {"event": {"type": "test_drive"}, "min": 1, "window": {"last": "30d"}}}},
    {"name": "current_car_known", "when": {"prop": {"name": "current_car", "op": "exists"}}}
  ]},
  "actions": [
    {"id": "call_back", "channel": "call", "role": "salesperson", "purpose": "service", "value": 5, "cooldown": "1d",
     "eligible": ["lead_2_5_days"], "unsuitable": ["contacted_last_5_days"], "hours": "09:00-20:00"},
    {"id": "offer_test_drive", "channel": "in_person", "role": "salesperson", "value": 8,
     "eligible": ["viewed_car_30d"], "stock": "viewed_in_stock", "unsuitable": ["test_drive_30d"]},
    {"id": "trade_in_estimate", "channel": "sms", "role": "call_centre", "purpose": "marketing", "value": 3, "cooldown": "30d",
     "eligible": ["current_car_known"]},
    {"id": "premium_unlock", "channel": "email", "role": "salesperson", "purpose": "marketing", "group": "out_of_stock", "value": 6,
     "eligible": ["viewed_car_30d"], "stock": "trim_out_lower_in_stock"},
    {"id": "factory_order", "channel": "email", "role": "salesperson", "purpose": "marketing", "group": "out_of_stock", "value": 4,
     "eligible": ["viewed_car_30d"], "stock": "trim_out"}
  ],
  "policy": {"caps": {"sms": 1, "*": 3}, "window": "7d", "rejectLimit": 2, "suppress": "30d"},
  "holdout": 0.1
}`

// ParseActionSet reads an ActionSet's JSON and checks it: durations as in
// conditions ("30d", "36h"), every segment a gate names defined, every
// stock rule and hours window known.
func ParseActionSet(data []byte) (*ActionSet, error) {
	var raw struct {
		Version  string          `json:"version"`
		Segments json.RawMessage `json:"segments"`
		Actions  []struct {
			ID, Channel, Role, Purpose, Group, Cooldown, Stock, Hours string
			Value, Lever                                              float64
			Eligible, Applicable, Unsuitable                          []string
		} `json:"actions"`
		Policy struct {
			Caps        map[string]int `json:"caps"`
			Window      string         `json:"window"`
			RejectLimit int            `json:"rejectLimit"`
			Suppress    string         `json:"suppress"`
		} `json:"policy"`
		Holdout float64 `json:"holdout"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields() // a misspelt gate must not drop silently
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCatalog, err)
	}
	as := &ActionSet{Version: raw.Version, Holdout: raw.Holdout, Segments: &Set{}}
	if len(raw.Segments) > 0 {
		set, err := ParseSet(raw.Segments)
		if err != nil {
			return nil, fmt.Errorf("%w: segments: %w", ErrCatalog, err)
		}
		as.Segments = set
	}
	dur := func(s, what string) (time.Duration, error) {
		if s == "" {
			return 0, nil
		}
		d, err := parseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%w: %s %q: %w", ErrCatalog, what, s, err)
		}
		return d, nil
	}
	var err error
	p := raw.Policy
	as.Policy = ContactPolicy{Caps: p.Caps, RejectLimit: p.RejectLimit}
	if as.Policy.Window, err = dur(p.Window, "policy window"); err != nil {
		return nil, err
	}
	if as.Policy.Suppress, err = dur(p.Suppress, "policy suppress"); err != nil {
		return nil, err
	}
	defined := map[string]bool{}
	for _, s := range as.Segments.Segments {
		defined[s.Name] = true
	}
	for _, sn := range as.Segments.Segmentations {
		for _, tab := range sn.Tabs {
			defined[sn.Name+"/"+tab.Name] = true
		}
	}
	for _, a := range raw.Actions {
		spec := ActionSpec{ID: a.ID, Channel: a.Channel, Role: a.Role, Purpose: a.Purpose, Group: a.Group, Value: a.Value, Lever: a.Lever,
			Eligible: a.Eligible, Applicable: a.Applicable, Unsuitable: a.Unsuitable, Stock: a.Stock, Hours: a.Hours}
		if spec.Cooldown, err = dur(a.Cooldown, "action "+a.ID+" cooldown"); err != nil {
			return nil, err
		}
		for _, name := range slices.Concat(a.Eligible, a.Applicable, a.Unsuitable) {
			if !defined[name] {
				return nil, fmt.Errorf("%w: action %s names segment %q, which the set does not define", ErrCatalog, a.ID, name)
			}
		}
		if !slices.Contains([]string{"", "viewed_in_stock", "trim_out_lower_in_stock", "trim_out"}, a.Stock) {
			return nil, fmt.Errorf("%w: action %s: unknown stock rule %q", ErrCatalog, a.ID, a.Stock)
		}
		if _, _, err := parseHours(a.Hours); err != nil {
			return nil, fmt.Errorf("%w: action %s: hours %q: %w", ErrCatalog, a.ID, a.Hours, err)
		}
		as.Actions = append(as.Actions, spec)
	}
	return as, nil
}

// parseHours reads "HH:MM-HH:MM" as minutes of the day; "" is all day.
func parseHours(s string) (from, to int, err error) {
	if s == "" {
		return 0, 24 * 60, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("want HH:MM-HH:MM")
	}
	if from, err = minuteOf(a); err == nil {
		to, err = minuteOf(b)
	}
	if err == nil && from >= to {
		err = fmt.Errorf("the window ends before it starts")
	}
	return from, to, err
}

func minuteOf(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh*60+mm > 24*60 {
		return 0, fmt.Errorf("%q is not HH:MM", s)
	}
	return hh*60 + mm, nil
}

// Catalog builds the set's catalog over inv, the host's inventory now: each
// spec's gates become functions reading the Customer's segments, views
// and dealerships.
func (as *ActionSet) Catalog(inv []Car) (Catalog, error) {
	st := newStock(inv)
	cat := Catalog{Version: as.Version, Policy: as.Policy, Holdout: as.Holdout}
	for _, spec := range as.Actions {
		cat.Actions = append(cat.Actions, spec.action(st))
	}
	if _, err := NewArbiter(cat); err != nil {
		return Catalog{}, err
	}
	return cat, nil
}

func (spec ActionSpec) action(st *stock) Action {
	a := Action{ID: spec.ID, Channel: spec.Channel, Role: spec.Role, Purpose: spec.Purpose, Group: spec.Group,
		Cooldown: spec.Cooldown, Value: spec.Value, Lever: spec.Lever}
	if len(spec.Eligible) > 0 {
		a.Eligible = inAll(spec.Eligible)
	}
	from, to, _ := parseHours(spec.Hours) // checked by ParseActionSet
	applicable := inAll(spec.Applicable)
	a.Applicable = func(c *Customer) string {
		if why := applicable(c); why != "" {
			return why
		}
		if now := c.Now; spec.Hours != "" && (now.Hour()*60+now.Minute() < from || now.Hour()*60+now.Minute() >= to) {
			return "outside working hours " + spec.Hours
		}
		return st.check(spec.Stock, c)
	}
	if len(spec.Unsuitable) > 0 {
		a.Suitable = func(c *Customer) string {
			for _, s := range spec.Unsuitable {
				if slices.Contains(c.Segments, s) {
					return "in segment " + s
				}
			}
			return ""
		}
	}
	return a
}

// inAll passes a customer in every named segment.
func inAll(names []string) func(*Customer) string {
	return func(c *Customer) string {
		for _, s := range names {
			if !slices.Contains(c.Segments, s) {
				return "not in segment " + s
			}
		}
		return ""
	}
}

// stock is an inventory indexed for the stock rules.
type stock struct {
	at    map[[2]string]map[string]int // (model, trim) → dealership → count
	level map[[2]string]int
}

func newStock(inv []Car) *stock {
	st := &stock{at: map[[2]string]map[string]int{}, level: map[[2]string]int{}}
	for _, c := range inv {
		k := [2]string{c.Model, c.Trim}
		if st.at[k] == nil {
			st.at[k] = map[string]int{}
		}
		st.at[k][c.Dealership] += c.Count
		st.level[k] = c.Level
	}
	return st
}

// check applies a stock rule to the customer's views; "" when it holds.
func (st *stock) check(rule string, c *Customer) string {
	if rule == "" {
		return ""
	}
	serves := func(d string) bool { return len(c.Dealerships) == 0 || slices.Contains(c.Dealerships, d) }
	for _, v := range c.Views {
		k := [2]string{v.Model, v.Trim}
		inGroup := 0
		for _, n := range st.at[k] {
			inGroup += n
		}
		switch rule {
		case "viewed_in_stock":
			for mt, ds := range st.at {
				for d, n := range ds {
					if mt[0] == v.Model && n > 0 && serves(d) {
						return ""
					}
				}
			}
		case "trim_out":
			if _, known := st.at[k]; known && inGroup == 0 {
				return ""
			}
		case "trim_out_lower_in_stock":
			if _, known := st.at[k]; !known || inGroup > 0 {
				continue
			}
			for mt, ds := range st.at {
				if mt[0] != v.Model || st.level[mt] >= st.level[k] {
					continue
				}
				for d, n := range ds {
					if n > 0 && serves(d) {
						return ""
					}
				}
			}
		}
	}
	switch rule {
	case "viewed_in_stock":
		return "no model it viewed is in stock at a dealership that serves it"
	case "trim_out":
		return "no trim it viewed is out of stock group-wide"
	default:
		return "no trim it viewed is out of stock with a lower trim in stock"
	}
}
