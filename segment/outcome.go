package segment

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// Outcomes as journey events: the host records each step of an action's
// life on the customer's timeline, where it stays with the rest of the
// journey (merges and splits move it), and reads the outcomes back to
// learn propensities (Arbiter.Learn), to fill Customer.Outcomes (caps,
// cooldowns, suppression), and to credit parties (journey.Store.Sales
// counts a completed action as the salesperson's activity).

// The event types of action outcomes.
const (
	ActionPresented journey.EventType = "action_presented"
	ActionAccepted  journey.EventType = "action_accepted"
	ActionRejected  journey.EventType = "action_rejected"
	ActionCompleted journey.EventType = "action_completed"
	ActionConverted journey.EventType = "action_converted"
)

var outcomeTypes = [...]journey.EventType{Presented: ActionPresented, Accepted: ActionAccepted,
	Rejected: ActionRejected, Completed: ActionCompleted, Converted: ActionConverted}

// Event is the journey event that records o for the customer holding ids.
// Its ID is derived from the outcome and the identifiers, so recording the
// same outcome twice stores it once.
func (o Outcome) Event(ids []identity.ID) journey.Event {
	typ := journey.EventType("")
	if int(o.Kind) < len(outcomeTypes) {
		typ = outcomeTypes[o.Kind]
	}
	props := map[string]string{"action": o.Action}
	for k, v := range map[string]string{"segment": o.Segment, "salesperson": o.Salesperson, "dealership": o.Dealership, "company": o.Company} {
		if v != "" {
			props[k] = v
		}
	}
	key := binary.AppendVarint([]byte(string(typ)+"\x00"+o.Action+"\x00"), o.At.UnixNano())
	for _, id := range ids {
		key = append(append(append(key, id.Kind...), 0), id.Value...)
	}
	return journey.Event{ID: uuid.NewSHA1(outcomeSpace, key), Time: o.At, Type: typ, IDs: slices.Clone(ids), Props: props}
}

var outcomeSpace = uuid.MustParse("6f1c2a3e-7d3b-5c1e-9a60-2f8e4d1b0c77")

// OutcomeOf reads an outcome back from its event; ok is false for an event
// that records none (another type, or no action).
func OutcomeOf(e journey.Event) (o Outcome, ok bool) {
	i := slices.Index(outcomeTypes[:], e.Type)
	if i <= 0 || strings.TrimSpace(e.Props["action"]) == "" {
		return Outcome{}, false
	}
	return Outcome{Action: e.Props["action"], Kind: OutcomeKind(i), At: e.Time, Segment: e.Props["segment"],
		Salesperson: e.Props["salesperson"], Dealership: e.Props["dealership"], Company: e.Props["company"]}, true
}

// OutcomesIn reads the outcomes among events (a timeline), in their order.
func OutcomesIn(events []journey.Event) []Outcome {
	var out []Outcome
	for _, e := range events {
		if o, ok := OutcomeOf(e); ok {
			out = append(out, o)
		}
	}
	return out
}
