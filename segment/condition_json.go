package segment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// The JSON form of a condition is an object with exactly one key, the node
// type, so that the path of a node reads like the document:
//
//	{"and":[
//	  {"count":{"event":{"type":"car_view"},"min":10,"window":{"last":"30d"}}},
//	  {"count":{"event":{"type":"lead"},"min":1}},
//	  {"none":{"event":{"type":"contract"}}}]}
//
// Keys: and, or (arrays), not (a condition), has (a kind), prop
// ({name, op, value, values, fold}), count ({event, min, max, window}), none
// ({event, window}), last and first ({event, olderThan, newerThan}),
// sequence ({steps: [{event, within}], window}), segment (a name), reach
// ({channel, purpose}). An event filter is {type, where: [prop…]}; a
// window is {last} or {from, to}. Durations are "30d", "36h", "90m" (days,
// or anything time.ParseDuration reads); times are RFC 3339 and kept in UTC.
// Unknown keys are errors: a misspelt "mni" must not silently mean "no
// minimum".

// MarshalCondition writes a condition's JSON. The output is canonical:
// fixed key order, zero fields left out.
func MarshalCondition(c Condition) ([]byte, error) {
	var b bytes.Buffer
	if err := writeCond(&b, c, ""); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ParseCondition reads a condition's JSON and validates it. Every problem
// found is reported, each as an *Error naming the path of the bad node
// ("and[2].count.window"), joined.
func ParseCondition(data []byte) (Condition, error) {
	d := decoder{}
	c := d.cond(data, "")
	if err := d.merge(Validate(c)); err != nil {
		return nil, err
	}
	return c, nil
}

// merge adds validation errors to the decoding ones, leaving out those at
// or under a node that did not decode (they only repeat that it is
// missing).
func (d *decoder) merge(err error) error {
	bad := len(d.errs)
	for _, e := range errorList(err) {
		var ve *Error
		if errors.As(e, &ve) && slices.ContainsFunc(d.errs[:bad], func(de error) bool {
			p := de.(*Error).Path
			return ve.Path == p || strings.HasPrefix(ve.Path, p+".") || strings.HasPrefix(ve.Path, p+"[")
		}) {
			continue
		}
		d.errs = append(d.errs, e)
	}
	return d.err()
}

func errorList(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// MarshalJSON writes {"name":…,"when":…}.
func (s Segment) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	if err := writeSegment(&b, s, ""); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// UnmarshalJSON reads a segment and validates its condition.
func (s *Segment) UnmarshalJSON(data []byte) error {
	d := decoder{}
	seg := d.segment(data, "")
	if err := d.merge(validateSegment(seg, "")); err != nil {
		return err
	}
	*s = seg
	return nil
}

// MarshalJSON writes {"segments":[…],"segmentations":[{"name","tabs","other"}]}.
func (s Set) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"segments":[`)
	for i, sg := range s.Segments {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeSegment(&b, sg, fmt.Sprintf("segments[%d]", i)); err != nil {
			return nil, err
		}
	}
	b.WriteString(`]`)
	if len(s.Segmentations) > 0 {
		b.WriteString(`,"segmentations":[`)
		for i, sn := range s.Segmentations {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"name":`)
			writeString(&b, sn.Name)
			b.WriteString(`,"tabs":[`)
			for j, t := range sn.Tabs {
				if j > 0 {
					b.WriteByte(',')
				}
				if err := writeSegment(&b, t, fmt.Sprintf("segmentations[%d].tabs[%d]", i, j)); err != nil {
					return nil, err
				}
			}
			b.WriteByte(']')
			if sn.Other != "" {
				b.WriteString(`,"other":`)
				writeString(&b, sn.Other)
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a set and validates it whole: conditions, names,
// references between segments and cycles among them.
func (s *Set) UnmarshalJSON(data []byte) error {
	d := decoder{}
	obj := d.object(data, "", "segments", "segmentations")
	var set Set
	if raw, ok := obj["segments"]; ok {
		for i, r := range d.array(raw, "segments") {
			set.Segments = append(set.Segments, d.segment(r, fmt.Sprintf("segments[%d]", i)))
		}
	}
	if raw, ok := obj["segmentations"]; ok {
		for i, r := range d.array(raw, "segmentations") {
			p := fmt.Sprintf("segmentations[%d]", i)
			o := d.object(r, p, "name", "tabs", "other")
			sn := Segmentation{Name: d.str(o["name"], p+".name"), Other: d.str(o["other"], p+".other")}
			for j, t := range d.array(o["tabs"], p+".tabs") {
				sn.Tabs = append(sn.Tabs, d.segment(t, fmt.Sprintf("%s.tabs[%d]", p, j)))
			}
			set.Segmentations = append(set.Segmentations, sn)
		}
	}
	if err := d.merge(set.Validate()); err != nil {
		return err
	}
	*s = set
	return nil
}

// ParseSet reads a set's JSON and validates it.
func ParseSet(data []byte) (*Set, error) {
	var s Set
	if err := json.Unmarshal(data, &s); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, &Error{Msg: err.Error()}
	}
	return &s, nil
}

func writeSegment(b *bytes.Buffer, s Segment, path string) error {
	b.WriteString(`{"name":`)
	writeString(b, s.Name)
	b.WriteString(`,"when":`)
	if err := writeCond(b, s.When, join(path, "when")); err != nil {
		return err
	}
	b.WriteByte('}')
	return nil
}

func writeCond(b *bytes.Buffer, c Condition, path string) error {
	switch c := c.(type) {
	case And:
		return writeList(b, "and", c, path)
	case Or:
		return writeList(b, "or", c, path)
	case Not:
		b.WriteString(`{"not":`)
		if err := writeCond(b, c.Cond, join(path, "not")); err != nil {
			return err
		}
	case HasID:
		b.WriteString(`{"has":`)
		writeString(b, string(c.Kind))
	case Prop:
		b.WriteString(`{"prop":`)
		writeProp(b, c)
	case Count:
		b.WriteString(`{"count":{"event":`)
		writeFilter(b, c.Event)
		if c.Min != 0 {
			fmt.Fprintf(b, `,"min":%d`, c.Min)
		}
		if c.Max != 0 {
			fmt.Fprintf(b, `,"max":%d`, c.Max)
		}
		writeWindow(b, c.Window)
		b.WriteByte('}')
	case None:
		b.WriteString(`{"none":{"event":`)
		writeFilter(b, c.Event)
		writeWindow(b, c.Window)
		b.WriteByte('}')
	case Last:
		b.WriteString(`{"last":`)
		writeAge(b, c.Event, c.OlderThan, c.NewerThan)
	case First:
		b.WriteString(`{"first":`)
		writeAge(b, c.Event, c.OlderThan, c.NewerThan)
	case Sequence:
		b.WriteString(`{"sequence":{"steps":[`)
		for i, s := range c.Steps {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"event":`)
			writeFilter(b, s.Event)
			if s.Within != 0 {
				b.WriteString(`,"within":`)
				writeString(b, formatDuration(s.Within))
			}
			b.WriteByte('}')
		}
		b.WriteByte(']')
		writeWindow(b, c.Window)
		b.WriteByte('}')
	case InSegment:
		b.WriteString(`{"segment":`)
		writeString(b, c.Name)
	case ReachableOn:
		b.WriteString(`{"reach":{"channel":`)
		writeString(b, c.Channel)
		if c.Purpose != "" {
			b.WriteString(`,"purpose":`)
			writeString(b, c.Purpose)
		}
		b.WriteByte('}')
	case nil:
		return &Error{Path: path, Msg: "missing condition"}
	default:
		return &Error{Path: path, Msg: fmt.Sprintf("unknown condition type %T", c)}
	}
	b.WriteByte('}')
	return nil
}

func writeList(b *bytes.Buffer, key string, cs []Condition, path string) error {
	b.WriteString(`{"` + key + `":[`)
	for i, c := range cs {
		if i > 0 {
			b.WriteByte(',')
		}
		if err := writeCond(b, c, fmt.Sprintf("%s[%d]", join(path, key), i)); err != nil {
			return err
		}
	}
	b.WriteString(`]}`)
	return nil
}

func writeProp(b *bytes.Buffer, p Prop) {
	b.WriteString(`{"name":`)
	writeString(b, p.Name)
	b.WriteString(`,"op":`)
	writeString(b, string(p.Op))
	if p.Value != "" {
		b.WriteString(`,"value":`)
		writeString(b, p.Value)
	}
	if p.Values != nil {
		b.WriteString(`,"values":[`)
		for i, v := range p.Values {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, v)
		}
		b.WriteByte(']')
	}
	if p.Fold {
		b.WriteString(`,"fold":true`)
	}
	b.WriteByte('}')
}

func writeFilter(b *bytes.Buffer, f Filter) {
	b.WriteString(`{`)
	if f.Type != "" {
		b.WriteString(`"type":`)
		writeString(b, string(f.Type))
	}
	if f.Where != nil {
		if f.Type != "" {
			b.WriteByte(',')
		}
		b.WriteString(`"where":[`)
		for i, p := range f.Where {
			if i > 0 {
				b.WriteByte(',')
			}
			writeProp(b, p)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
}

func writeWindow(b *bytes.Buffer, w Window) {
	if w == (Window{}) {
		return
	}
	b.WriteString(`,"window":{`)
	sep := ""
	if w.Last != 0 {
		b.WriteString(`"last":`)
		writeString(b, formatDuration(w.Last))
		sep = ","
	}
	if !w.From.IsZero() {
		b.WriteString(sep + `"from":`)
		writeString(b, w.From.UTC().Format(time.RFC3339Nano))
		sep = ","
	}
	if !w.To.IsZero() {
		b.WriteString(sep + `"to":`)
		writeString(b, w.To.UTC().Format(time.RFC3339Nano))
	}
	b.WriteByte('}')
}

func writeAge(b *bytes.Buffer, f Filter, older, newer time.Duration) {
	b.WriteString(`{"event":`)
	writeFilter(b, f)
	if older != 0 {
		b.WriteString(`,"olderThan":`)
		writeString(b, formatDuration(older))
	}
	if newer != 0 {
		b.WriteString(`,"newerThan":`)
		writeString(b, formatDuration(newer))
	}
	b.WriteByte('}')
}

func writeString(b *bytes.Buffer, s string) {
	q, _ := json.Marshal(s) // a string always marshals
	b.Write(q)
}

// formatDuration writes whole days as "30d" and anything else as Go does.
func formatDuration(d time.Duration) string {
	if d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// parseDuration reads "30d", "1.5d" or a Go duration.
func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil || f != f || f > 1e5 || f < -1e5 {
			return 0, fmt.Errorf("bad duration %q", s)
		}
		return time.Duration(f * float64(day)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return d, nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// decoder reads the JSON form and collects every error with its path.
type decoder struct{ errs []error }

func (d *decoder) fail(path, format string, args ...any) {
	d.errs = append(d.errs, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) err() error { return errors.Join(d.errs...) }

// object decodes a JSON object whose keys must be among allowed.
func (d *decoder) object(raw json.RawMessage, path string, allowed ...string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		d.fail(path, "want an object")
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !slices.Contains(allowed, k) {
			d.fail(join(path, k), "unknown field")
		}
	}
	return m
}

func (d *decoder) array(raw json.RawMessage, path string) []json.RawMessage {
	if raw == nil {
		return nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil || a == nil {
		d.fail(path, "want an array")
		return nil
	}
	return a
}

func (d *decoder) str(raw json.RawMessage, path string) string {
	if raw == nil {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		d.fail(path, "want a string")
	}
	return s
}

func (d *decoder) strs(raw json.RawMessage, path string) []string {
	if raw == nil {
		return nil
	}
	var s []string
	if err := json.Unmarshal(raw, &s); err != nil || s == nil {
		d.fail(path, "want an array of strings")
		return nil
	}
	return s
}

func (d *decoder) int(raw json.RawMessage, path string) int {
	if raw == nil {
		return 0
	}
	var n int32
	if err := json.Unmarshal(raw, &n); err != nil {
		d.fail(path, "want an integer")
	}
	return int(n)
}

func (d *decoder) bool(raw json.RawMessage, path string) bool {
	if raw == nil {
		return false
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		d.fail(path, "want true or false")
	}
	return v
}

func (d *decoder) duration(raw json.RawMessage, path string) time.Duration {
	if raw == nil {
		return 0
	}
	s := d.str(raw, path)
	v, err := parseDuration(s)
	if err != nil {
		d.fail(path, "%v", err)
	}
	return v
}

func (d *decoder) time(raw json.RawMessage, path string) time.Time {
	if raw == nil {
		return time.Time{}
	}
	s := d.str(raw, path)
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		d.fail(path, "want an RFC 3339 time")
		return time.Time{}
	}
	return t.UTC()
}

func (d *decoder) segment(raw json.RawMessage, path string) Segment {
	o := d.object(raw, path, "name", "when")
	s := Segment{Name: d.str(o["name"], join(path, "name"))}
	if w, ok := o["when"]; ok {
		s.When = d.cond(w, join(path, "when"))
	}
	return s
}

func (d *decoder) cond(raw json.RawMessage, path string) Condition {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		d.fail(path, "want a condition object")
		return nil
	}
	if len(m) != 1 {
		d.fail(path, "want exactly one of and, or, not, has, prop, count, none, last, first, sequence, segment, reach; got %d keys", len(m))
		return nil
	}
	for key, v := range m {
		p := join(path, key)
		switch key {
		case "and", "or":
			var cs []Condition
			for i, r := range d.array(v, p) {
				cs = append(cs, d.cond(r, fmt.Sprintf("%s[%d]", p, i)))
			}
			if key == "and" {
				return And(cs)
			}
			return Or(cs)
		case "not":
			return Not{Cond: d.cond(v, p)}
		case "has":
			return HasID{Kind: identity.Kind(d.str(v, p))}
		case "prop":
			return d.prop(v, p)
		case "count":
			o := d.object(v, p, "event", "min", "max", "window")
			return Count{Event: d.filter(o["event"], p+".event"), Min: d.int(o["min"], p+".min"),
				Max: d.int(o["max"], p+".max"), Window: d.window(o["window"], p+".window")}
		case "none":
			o := d.object(v, p, "event", "window")
			return None{Event: d.filter(o["event"], p+".event"), Window: d.window(o["window"], p+".window")}
		case "last", "first":
			o := d.object(v, p, "event", "olderThan", "newerThan")
			f := d.filter(o["event"], p+".event")
			older, newer := d.duration(o["olderThan"], p+".olderThan"), d.duration(o["newerThan"], p+".newerThan")
			if key == "last" {
				return Last{Event: f, OlderThan: older, NewerThan: newer}
			}
			return First{Event: f, OlderThan: older, NewerThan: newer}
		case "sequence":
			o := d.object(v, p, "steps", "window")
			var s Sequence
			for i, r := range d.array(o["steps"], p+".steps") {
				sp := fmt.Sprintf("%s.steps[%d]", p, i)
				so := d.object(r, sp, "event", "within")
				s.Steps = append(s.Steps, SequenceStep{Event: d.filter(so["event"], sp+".event"), Within: d.duration(so["within"], sp+".within")})
			}
			s.Window = d.window(o["window"], p+".window")
			return s
		case "segment":
			return InSegment{Name: d.str(v, p)}
		case "reach":
			o := d.object(v, p, "channel", "purpose")
			return ReachableOn{Channel: d.str(o["channel"], p+".channel"), Purpose: d.str(o["purpose"], p+".purpose")}
		default:
			d.fail(path, "unknown condition type %q", key)
		}
	}
	return nil
}

func (d *decoder) prop(raw json.RawMessage, path string) Prop {
	o := d.object(raw, path, "name", "op", "value", "values", "fold")
	return Prop{
		Name:   d.str(o["name"], path+".name"),
		Op:     Op(d.str(o["op"], path+".op")),
		Value:  d.str(o["value"], path+".value"),
		Values: d.strs(o["values"], path+".values"),
		Fold:   d.bool(o["fold"], path+".fold"),
	}
}

func (d *decoder) filter(raw json.RawMessage, path string) Filter {
	if raw == nil {
		return Filter{}
	}
	o := d.object(raw, path, "type", "where")
	f := Filter{Type: journey.EventType(d.str(o["type"], path+".type"))}
	if w, ok := o["where"]; ok {
		f.Where = []Prop{}
		for i, r := range d.array(w, path+".where") {
			f.Where = append(f.Where, d.prop(r, fmt.Sprintf("%s.where[%d]", path, i)))
		}
	}
	return f
}

func (d *decoder) window(raw json.RawMessage, path string) Window {
	if raw == nil {
		return Window{}
	}
	o := d.object(raw, path, "last", "from", "to")
	return Window{Last: d.duration(o["last"], path+".last"), From: d.time(o["from"], path+".from"), To: d.time(o["to"], path+".to")}
}
