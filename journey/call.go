package journey

import (
	"github.com/google/uuid"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
)

// callNamespace makes call event IDs a function of the call, so a call
// matched twice (a retry, a replayed log) is stored once.
var callNamespace = uuid.MustParse("6f1c2b0e-5d1a-4c61-9b7e-3f0e2d9c8a47")

// CallEvent turns a call-tracking match into a journey event of type Call:
// it carries, when the match is confident, the matched session's cookie
// (first, so the call lands on the visitor's timeline) and the caller's phone;
// its touch has channel "Call" and the called tracking number as campaign.
// An ambiguous match yields an event with the phone alone. Its ID is
// derived from the called number, caller and time.
func CallEvent(m channel.CallMatch) Event {
	e := Event{
		ID:    uuid.NewSHA1(callNamespace, []byte(m.Called+"|"+m.Caller+"|"+m.At.UTC().Format("2006-01-02T15:04:05.999999999"))),
		Time:  m.At,
		Type:  Call,
		Touch: Touch{Channel: "Call", Source: "calltracking", Medium: "call", Campaign: m.Called},
		Props: map[string]string{"called": m.Called},
	}
	// The session's cookie first: the store files an event under its first
	// resolvable identifier, and the call belongs to the visit that showed
	// the number even when the caller's phone is a profile of its own.
	if s, ok := m.Session(); ok && s.Cookie != "" {
		e.IDs = append(e.IDs, identity.ID{Kind: identity.Cookie, Value: s.Cookie})
		e.Props["session"] = s.Session
	}
	if m.Caller != "" {
		e.IDs = append(e.IDs, identity.ID{Kind: identity.Phone, Value: m.Caller})
	}
	return e
}
