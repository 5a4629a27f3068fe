package journey

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
)

// An EventType names what happened: one of the constants below, or a
// host's own name (the set is open: "trade_in_estimate" is as good as
// Lead). A type of its own, so that event types and identifier kinds
// (identity.Kind) cannot be mixed up.
type EventType string

// Event types the package knows.
const (
	PageView       EventType = "page_view"
	CarView        EventType = "car_view"
	Lead           EventType = "lead"
	Call           EventType = "call"
	EmailOpen      EventType = "email_open"
	EmailClick     EventType = "email_click"
	SMSClick       EventType = "sms_click"
	Chat           EventType = "chat"
	TestDrive      EventType = "test_drive"
	ShowroomVisit  EventType = "showroom_visit"
	AdvancePayment EventType = "advance_payment"
	Contract       EventType = "contract"
	Survey         EventType = "survey"
)

// DefaultConversions are the event types that count as conversions unless
// the store's options say otherwise.
var DefaultConversions = []EventType{Lead, TestDrive, AdvancePayment, Contract}

// A Touch is the marketing context an event arrived with. It is one of a
// touch's three levels of detail: package channel's Arrival is what a site
// sees before classification, attribution's Touch the channel and time a
// path credits; TouchFrom, Touch.Arrival and Touch.PathTouch convert.
type Touch struct {
	// Channel is the touch's channel when the host classified it (package
	// channel does); empty means unclassified, and paths fall back to
	// "source / medium".
	Channel                                 string
	Source, Medium, Campaign, Content, Term string
	// Click IDs: Google (gclid, gbraid, wbraid), Yandex (yclid), Meta (fbclid).
	GCLID, GBRAID, WBRAID, YCLID, FBCLID string
	Referrer, Landing                    string
}

// IsZero reports whether the touch carries nothing.
func (t Touch) IsZero() bool { return t == Touch{} }

// AdClick reports whether the touch is a click on an ad: a click ID, or a
// paid medium as GA4 defines it (channel.PaidMedium: cpc, cpm, ppc,
// retargeting, paid…).
func (t Touch) AdClick() bool {
	if t.GCLID != "" || t.GBRAID != "" || t.WBRAID != "" || t.YCLID != "" || t.FBCLID != "" {
		return true
	}
	return channel.PaidMedium(t.Medium)
}

// ChannelName is the channel paths use: Channel, or "source / medium", or
// "(direct)".
func (t Touch) ChannelName() string {
	switch {
	case t.Channel != "":
		return t.Channel
	case t.Source != "" || t.Medium != "":
		return strings.ToLower(t.Source) + " / " + strings.ToLower(t.Medium)
	}
	return "(direct)"
}

// Money is an exact amount: integer minor units (kopecks, cents) and an ISO
// 4217 currency. Arithmetic never mixes currencies.
type Money struct {
	Minor    int64
	Currency string
}

// ErrCurrency reports arithmetic across currencies.
var ErrCurrency = errors.New("journey: different currencies")

// Add returns m + o.
func (m Money) Add(o Money) (Money, error) {
	if m.Currency != o.Currency && m.Minor != 0 && o.Minor != 0 {
		return Money{}, fmt.Errorf("%w: %s and %s", ErrCurrency, m.Currency, o.Currency)
	}
	c := m.Currency
	if c == "" {
		c = o.Currency
	}
	s := m.Minor + o.Minor
	if (s > m.Minor) != (o.Minor > 0) {
		return Money{}, fmt.Errorf("journey: money overflow")
	}
	return Money{Minor: s, Currency: c}, nil
}

// String writes the amount with two minor digits: "150000.00 RUB".
func (m Money) String() string {
	sign := ""
	v := m.Minor
	if v < 0 {
		sign, v = "-", -v
	}
	s := sign + strconv.FormatInt(v/100, 10) + "." + fmt.Sprintf("%02d", v%100)
	if m.Currency != "" {
		s += " " + m.Currency
	}
	return s
}

// ParseMoney parses "150000.50" (at most two decimals) in the currency.
func ParseMoney(s, currency string) (Money, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return Money{}, fmt.Errorf("journey: amount %q: want digits with at most two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w > (1<<63-1-99)/100 || w < 0 || f < 0 {
		return Money{}, fmt.Errorf("journey: amount %q: want digits with at most two decimals", s)
	}
	v := w*100 + f
	if neg {
		v = -v
	}
	return Money{Minor: v, Currency: strings.ToUpper(currency)}, nil
}

// An Event is one thing a person did or that happened to them.
type Event struct {
	ID    uuid.UUID
	Time  time.Time
	Type  EventType
	IDs   []identity.ID // identifiers the event carried (raw or canonical)
	Touch Touch
	Value Money
	Props map[string]string // car model, dealership, salesperson…
	// Company is the group company (the operator of personal data) that
	// collected the event, and Site the site it came from; "" for a host
	// that is one company with one site.
	Company, Site string
}

// IsTouchpoint reports whether the event carries a marketing touch.
func (e Event) IsTouchpoint() bool { return !e.Touch.IsZero() }

func sortStrings(s []string) { slices.Sort(s) }
