package segment

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// Offline conversions send showroom outcomes (contracts, pay-by-link
// advances) back to the ad platforms so their bidding learns from sales,
// not from form fills. Both builders read the profile's timeline in the
// journey store and tie each conversion to the touch that lets the
// platform find its click or visit; conversions that cannot be tied are
// returned as skipped with the reason, never silently dropped.

// Skip reasons, wrapped by Skipped.Err.
var (
	ErrNoClick   = errors.New("segment: no ad click or visit to tie the conversion to")
	ErrClickOld  = errors.New("segment: the click or visit is older than the platform's limit")
	ErrFuture    = errors.New("segment: the conversion is after the export time")
	ErrBraidFile = errors.New("segment: gbraid/wbraid conversions go through the API, not the file template")
)

// Skipped is a conversion left out of an export, with the reason.
type Skipped struct {
	Profile identity.ProfileID
	Event   journey.Event
	Err     error
}

// MetricaID is the identifier type of a Metrica offline-conversion file:
// one type per file, chosen when uploading (client_id_type).
type MetricaID uint8

const (
	// MetricaClientID ties conversions to the visitor's Metrica ClientID
	// (the _ym_uid cookie, a decimal number).
	MetricaClientID MetricaID = iota
	// MetricaYclid ties them to a Yandex Direct click.
	MetricaYclid
	// MetricaUserID ties them to the site's own user ID, sent to Metrica
	// from the site; identity's CRM kind holds it.
	MetricaUserID
	// MetricaPurchaseID ties them to an order ID sent with an e-commerce
	// purchase; the conversion event's "purchase_id" property holds it.
	MetricaPurchaseID
)

// column returns the file's first column name, as the Management API names
// it.
func (m MetricaID) column() string {
	return [...]string{"ClientId", "Yclid", "UserId", "PurchaseId"}[m]
}

// A Sender is the group company an upload is made for. Each company of a
// group is its own operator of personal data: it sends only what it
// collected, of the people who consented to its sending.
type Sender struct {
	// Company, when set, takes only the conversion events that company
	// collected (journey.Event.Company); "" takes all.
	Company string
	// Consented reports whether the profile consented to the company
	// sending its data to ad platforms (PaidMediaConsent reads a
	// Reacher); the others are skipped with ErrNotConsented. nil takes
	// all.
	Consented func(identity.ProfileID) bool
}

// ErrNotConsented marks a conversion skipped because its person did not
// consent to the sending company's upload.
var ErrNotConsented = errors.New("segment: no paid-media consent given to the sending company")

// PaidMediaConsent is a Sender's Consented over a Reacher: the company's
// "paid_media" consent on the "ads" channel at now.
func PaidMediaConsent(r *channel.Reacher, company string, now time.Time) func(identity.ProfileID) bool {
	return func(p identity.ProfileID) bool { return r.Consented(p, company, "ads", "paid_media", now) }
}

// MetricaConfig configures MetricaConversions.
type MetricaConfig struct {
	Sender
	IDType MetricaID
	// Goals maps conversion event types to Metrica goal IDs (Target):
	// {"contract": "contract_signed", "advance_payment": "advance_paid"}.
	Goals map[journey.EventType]string
	// ClientIDKind is the identifier kind holding Metrica ClientIDs;
	// "" means identity.Cookie, of whose values only decimal ones (Metrica's
	// form, unlike _ga's "1234.5678") are taken.
	ClientIDKind identity.Kind
	// Now is the export time: conversions after it are refused by Metrica,
	// and a ClientID or yclid last seen more than Join before it no longer
	// joins.
	Now time.Time
	// Join is how long Metrica keeps visits joinable; 0 means 21 days.
	Join time.Duration
	// CounterZone: Metrica's pages disagree on DateTime, a Unix time
	// ("in UTC+0", the API page) or one that "accounts for the tag's time
	// zone" (the help page). nil writes the instant's true Unix time; a
	// zone writes the wall clock in that zone read as if it were UTC.
	// Check a test upload against the counter before choosing.
	CounterZone *time.Location
}

// A MetricaConversion is one row of a Metrica offline-conversion file.
type MetricaConversion struct {
	Profile  identity.ProfileID
	ID       string // ClientId, Yclid, UserId or PurchaseId
	Target   string
	Time     time.Time
	Value    journey.Money // zero: no Price column value
	EventID  string
	joinedAt time.Time
}

// MetricaConversions builds Metrica offline conversions from the store's
// timelines: for each event of a type in Goals, the identifier of the
// configured type seen last at or before it.
func MetricaConversions(s *journey.Store, cfg MetricaConfig) ([]MetricaConversion, []Skipped, error) {
	if len(cfg.Goals) == 0 || cfg.Now.IsZero() || cfg.IDType > MetricaPurchaseID {
		return nil, nil, fmt.Errorf("%w: Metrica export needs Goals, Now and a known IDType", ErrExportSpec)
	}
	join := cfg.Join
	if join == 0 {
		join = 21 * day
	}
	kind := cfg.ClientIDKind
	if kind == "" {
		kind = identity.Cookie
	}
	rows, skipped := conversions(s, cfg.Sender, cfg.Goals, cfg.Now, func(p identity.ProfileID, tl []journey.Event, i int, target string) (MetricaConversion, error) {
		ev := tl[i]
		row := MetricaConversion{Profile: p, Target: target, Time: ev.Time, Value: ev.Value, EventID: ev.ID.String()}
		switch cfg.IDType {
		case MetricaPurchaseID:
			row.ID = ev.Props["purchase_id"]
		case MetricaUserID:
			row.ID = lastID(tl[:i+1], identity.CRM, nil)
		case MetricaClientID:
			row.ID = lastID(tl[:i+1], kind, func(v string) bool { return kind != identity.Cookie || isDigits(v) })
			// Joinable while the visitor's last visit is recent.
			row.joinedAt = lastSeen(tl, kind, row.ID)
		case MetricaYclid:
			for j := i; j >= 0; j-- {
				if y := tl[j].Touch.YCLID; y != "" {
					row.ID, row.joinedAt = y, tl[j].Time
					break
				}
			}
		}
		switch {
		case row.ID == "":
			return row, ErrNoClick
		case !row.joinedAt.IsZero() && cfg.Now.Sub(row.joinedAt) > join:
			return row, ErrClickOld
		}
		return row, nil
	})
	slices.SortStableFunc(rows, func(a, b MetricaConversion) int { return a.Time.Compare(b.Time) })
	return rows, skipped, nil
}

// WriteMetricaConversions writes the CSV Metrica's upload takes: the ID
// column of the file's type, Target, DateTime (Unix seconds, see
// MetricaConfig.CounterZone), Price (a dot decimal) and Currency (ISO 4217).
func WriteMetricaConversions(w io.Writer, idType MetricaID, zone *time.Location, rows []MetricaConversion) error {
	if idType > MetricaPurchaseID {
		return fmt.Errorf("%w: unknown Metrica ID type", ErrExportSpec)
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write([]string{idType.column(), "Target", "DateTime", "Price", "Currency"})
	for _, r := range rows {
		unix := r.Time.Unix()
		if zone != nil {
			_, off := r.Time.In(zone).Zone()
			unix += int64(off)
		}
		price, cur := "", ""
		if r.Value.Currency != "" {
			price, cur = decimal(r.Value), r.Value.Currency
		}
		cw.Write([]string{r.ID, r.Target, strconv.FormatInt(unix, 10), price, cur})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}

// GoogleConfig configures GoogleClickConversions.
type GoogleConfig struct {
	Sender
	// Actions maps conversion event types to Google Ads conversion action
	// names: {"contract": "Showroom contract"}.
	Actions map[journey.EventType]string
	// Now is the export time; conversions after it are skipped.
	Now time.Time
	// ClickLimit is the oldest click a conversion may be tied to; 0 means
	// 90 days, Google's limit for importing click conversions.
	ClickLimit time.Duration
}

// A ClickConversion is one Google Ads click conversion. Exactly one of
// GCLID, GBRAID and WBRAID is set: Google refuses a conversion with two of
// them (GBRAID_WBRAID_BOTH_SET, VALUE_MUST_BE_UNSET).
type ClickConversion struct {
	Profile               identity.ProfileID
	GCLID, GBRAID, WBRAID string
	Action                string
	Time                  time.Time
	Value                 journey.Money
	OrderID               string // the event's ID, so re-uploads do not double count
}

// googleTime formats a time as Google Ads wants conversion times: with
// the zone's offset, "2026-06-01 13:45:00+03:00".
func googleTime(t time.Time) string { return t.Format("2006-01-02 15:04:05-07:00") }

// GoogleClickConversions builds Google Ads click conversions from the
// store's timelines: for each event of a type in Actions, the last ad click
// at or before it, within the click limit. A click carrying several IDs is
// tied by gclid, then gbraid, then wbraid, so each row has exactly one.
func GoogleClickConversions(s *journey.Store, cfg GoogleConfig) ([]ClickConversion, []Skipped, error) {
	if len(cfg.Actions) == 0 || cfg.Now.IsZero() {
		return nil, nil, fmt.Errorf("%w: Google export needs Actions and Now", ErrExportSpec)
	}
	limit := cfg.ClickLimit
	if limit == 0 {
		limit = 90 * day
	}
	rows, skipped := conversions(s, cfg.Sender, cfg.Actions, cfg.Now, func(p identity.ProfileID, tl []journey.Event, i int, action string) (ClickConversion, error) {
		ev := tl[i]
		row := ClickConversion{Profile: p, Action: action, Time: ev.Time, Value: ev.Value, OrderID: ev.ID.String()}
		for j := i; j >= 0; j-- {
			t := tl[j].Touch
			switch {
			case t.GCLID != "":
				row.GCLID = t.GCLID
			case t.GBRAID != "":
				row.GBRAID = t.GBRAID
			case t.WBRAID != "":
				row.WBRAID = t.WBRAID
			default:
				continue
			}
			if ev.Time.Sub(tl[j].Time) > limit {
				return row, ErrClickOld
			}
			return row, nil
		}
		return row, ErrNoClick
	})
	slices.SortStableFunc(rows, func(a, b ClickConversion) int { return a.Time.Compare(b.Time) })
	return rows, skipped, nil
}

// WriteGoogleClickConversions writes the rows tied by gclid in the column
// layout of Google's click-conversion upload template ("Google Click
// ID,Conversion Name,Conversion Time,Conversion Value,Conversion
// Currency"), times with their offset in loc (nil: UTC). Google calls file
// import "legacy"; its template's columns for gbraid and wbraid are not
// documented where we could check, so those rows are returned, wrapped in
// ErrBraidFile, for the API (ClickConversion maps field for field onto
// UploadClickConversions), not guessed into the file.
func WriteGoogleClickConversions(w io.Writer, loc *time.Location, rows []ClickConversion) (api []ClickConversion, err error) {
	if loc == nil {
		loc = time.UTC
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"Google Click ID", "Conversion Name", "Conversion Time", "Conversion Value", "Conversion Currency"})
	for _, r := range rows {
		if r.GCLID == "" {
			api = append(api, r)
			continue
		}
		val, cur := "", ""
		if r.Value.Currency != "" {
			val, cur = decimal(r.Value), r.Value.Currency
		}
		cw.Write([]string{r.GCLID, r.Action, googleTime(r.Time.In(loc)), val, cur})
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return api, err
	}
	if _, err := buf.WriteTo(w); err != nil {
		return api, err
	}
	if len(api) > 0 {
		return api, fmt.Errorf("%w: %d rows", ErrBraidFile, len(api))
	}
	return nil, nil
}

// conversions walks every profile's timeline and calls tie for each event
// whose type names maps, at or before now; tie returns the row, or the
// reason it is skipped.
func conversions[R any](s *journey.Store, from Sender, names map[journey.EventType]string, now time.Time, tie func(p identity.ProfileID, tl []journey.Event, i int, name string) (R, error)) (rows []R, skipped []Skipped) {
	for _, p := range s.Profiles() {
		tl := s.Timeline(p)
		consented := from.Consented == nil || from.Consented(p)
		for i, ev := range tl {
			name, ok := names[ev.Type]
			if !ok || from.Company != "" && ev.Company != from.Company {
				continue // not a conversion, or another company's
			}
			if !consented {
				skipped = append(skipped, Skipped{p, ev, ErrNotConsented})
				continue
			}
			if ev.Time.After(now) {
				skipped = append(skipped, Skipped{p, ev, ErrFuture})
				continue
			}
			row, err := tie(p, tl, i, name)
			if err != nil {
				skipped = append(skipped, Skipped{p, ev, err})
				continue
			}
			rows = append(rows, row)
		}
	}
	return rows, skipped
}

// decimal writes money as a dot decimal with its two minor digits.
func decimal(m journey.Money) string {
	s := m.String()
	s, _, _ = strings.Cut(s, " ")
	return s
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// lastID returns the value of the last identifier of a kind (passing ok)
// that the events carried.
func lastID(evs []journey.Event, kind identity.Kind, ok func(string) bool) string {
	for i := len(evs) - 1; i >= 0; i-- {
		for _, id := range evs[i].IDs {
			if id.Kind == kind && (ok == nil || ok(id.Value)) {
				return id.Value
			}
		}
	}
	return ""
}

// lastSeen returns when an identifier was last carried by an event.
func lastSeen(evs []journey.Event, kind identity.Kind, value string) time.Time {
	for i := len(evs) - 1; i >= 0; i-- {
		for _, id := range evs[i].IDs {
			if id.Kind == kind && id.Value == value {
				return evs[i].Time
			}
		}
	}
	return time.Time{}
}
