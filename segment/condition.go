package segment

import (
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// day is 24 hours, the unit marketers' windows come in.
const day = 24 * time.Hour

// A Condition is a node of a segment's rule tree. The node types are the
// ones in this file: And, Or and Not combine; HasID and Prop look at the
// profile; Count, None, Last, First and Sequence look at its events;
// InSegment and ReachableOn look at other segments and at the channels a
// person can be reached on.
//
// Conditions are plain values: build them in Go or parse them from JSON
// (ParseCondition); MarshalCondition writes them back without loss.
type Condition interface {
	node() // the set of node types is closed
}

// And holds when every condition holds.
type And []Condition

// Or holds when any condition holds.
type Or []Condition

// Not holds when its condition does not.
type Not struct{ Cond Condition }

// HasID holds when the profile has an identifier of the kind ("email").
type HasID struct{ Kind identity.Kind }

// Op is a property comparison, named as Apache Unomi names it.
type Op string

// The operators. Ordering operators and Between compare as numbers when the
// condition's value is a number, as instants when it is a date (RFC 3339,
// 2006-01-02, or relative to the evaluation time: "now", "now-30d",
// "now+2h"), and as strings otherwise; a property that does not parse as
// the value's type does not match. Negative operators (NotEquals,
// NotContains, NotIn) hold for a missing property, as in Unomi.
const (
	Equals      Op = "equals"
	NotEquals   Op = "notEquals"
	Exists      Op = "exists"
	Missing     Op = "missing"
	Contains    Op = "contains"
	NotContains Op = "notContains"
	StartsWith  Op = "startsWith"
	EndsWith    Op = "endsWith"
	Regex       Op = "matchesRegex" // RE2 syntax, unanchored
	Greater     Op = "greaterThan"
	GreaterEq   Op = "greaterThanOrEqualTo"
	Less        Op = "lessThan"
	LessEq      Op = "lessThanOrEqualTo"
	Between     Op = "between" // Values[0] ≤ x ≤ Values[1]
	In          Op = "in"
	NotIn       Op = "notIn"
)

// Prop compares a property: a profile's (from Options.Props) in a Prop
// node, an event's in a Filter.
type Prop struct {
	Name   string
	Op     Op
	Value  string   // the operand of single-value operators
	Values []string // In, NotIn: the set; Between: low and high
	// Fold compares case-insensitively and treats ё as е, the spelling
	// variants Russian data is full of. Unomi folds to ASCII, which does
	// nothing for Cyrillic, so folding here is explicit.
	Fold bool
}

// A Filter picks events: those of Type ("" for any type) whose properties
// all satisfy Where. An event's properties are its Props plus these fields
// of its touch: "touch.channel", "touch.source", "touch.medium",
// "touch.campaign", "touch.content", "touch.term", and "value" and
// "currency" for its amount. A filter is applied once, when the event
// arrives, so relative dates ("now-30d") are refused in filters.
type Filter struct {
	Type  journey.EventType
	Where []Prop
}

// A Window bounds the events a behaviour condition sees. Last is a
// relative window: events in (now−Last, now]. From and To are absolute
// bounds, [From, To); either may be zero. The zero Window is "ever".
// Events dated after the evaluation time are never seen until that time
// comes (clock skew does not count tomorrow's events today).
type Window struct {
	Last     time.Duration
	From, To time.Time
}

// Count holds when the number n of events that pass the filter within the
// window satisfies Min ≤ n and, when Max is set, n ≤ Max. The filter and
// the count are one node, so the count is of exactly the filtered events
// (Mautic's "visited URL" and "visited URL count" were two independent
// filters, and matched people who visited the URL once and something else
// ten times). A Count with neither Min nor Max is refused: use None for
// "never".
type Count struct {
	Event    Filter
	Min, Max int
	Window   Window
}

// None holds when no event passes the filter within the window: "no
// contract ever".
type None struct {
	Event  Filter
	Window Window
}

// Last holds when the latest event that passes the filter happened more
// than OlderThan ago and at most NewerThan ago (each bound only when set):
// "last lead more than 14 days ago". A profile without such events does
// not match.
type Last struct {
	Event                Filter
	OlderThan, NewerThan time.Duration
}

// First is Last for the earliest such event: "first visit in the last 7
// days" is First{Event: visit, NewerThan: 7 * Day}.
type First struct {
	Event                Filter
	OlderThan, NewerThan time.Duration
}

// A Sequence holds when events passing its steps' filters happened in
// order, each strictly after the one before and, when the step's Within is
// set, at most Within after it: "a lead, then a test drive within 7 days".
// All of them fall in the window.
type Sequence struct {
	Steps  []SequenceStep
	Window Window
}

// A SequenceStep of a Sequence. Within of the first step must be zero.
type SequenceStep struct {
	Event  Filter
	Within time.Duration
}

// InSegment holds when the profile is a member of the named segment, or
// of the named tab of a segmentation ("stage/warm").
type InSegment struct{ Name string }

// ReachableOn holds when a channel may carry a message of the purpose to the
// person: there is a contact, consent and no suppression. Frequency caps
// and quiet hours only delay a message, so they do not take anyone out of
// a segment. An empty Purpose means "marketing".
type ReachableOn struct{ Channel, Purpose string }

func (And) node()         {}
func (Or) node()          {}
func (Not) node()         {}
func (HasID) node()       {}
func (Prop) node()        {}
func (Count) node()       {}
func (None) node()        {}
func (Last) node()        {}
func (First) node()       {}
func (Sequence) node()    {}
func (InSegment) node()   {}
func (ReachableOn) node() {}

// A Segment is a named condition.
type Segment struct {
	Name string
	When Condition
}

// A Segmentation sorts every profile into exactly one of its tabs: the
// first whose condition holds, in order, or Other when none does
// (Bloomreach's segmentations). Members of a tab are named
// "segmentation/tab" in changes and in InSegment.
type Segmentation struct {
	Name  string
	Tabs  []Segment
	Other string // the tab of profiles no tab takes; "" means "other"
}

// A Set is every segment and segmentation one Engine keeps.
type Set struct {
	Segments      []Segment
	Segmentations []Segmentation
}
