package segment

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// conversionStore: four buyers in Moscow time, each tied differently.
func conversionStore(t *testing.T) *journey.Store {
	t.Helper()
	g, err := identity.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := journey.New(g, nil)
	msk := time.FixedZone("MSK", 3*3600)
	day := func(d int, h int) time.Time { return time.Date(2026, 6, d, h, 0, 0, 0, msk) }
	n := 0
	add := func(cookie string, at time.Time, typ string, touch journey.Touch, value string, extra ...identity.ID) {
		t.Helper()
		ch, err := g.Observe(identity.Observation{Source: "web", IDs: append([]identity.ID{{Kind: identity.Cookie, Value: cookie}}, extra...)})
		if err != nil {
			t.Fatal(err)
		}
		s.Follow(ch)
		n++
		ev := journey.Event{ID: uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "e%d", n)), Time: at, Type: journey.EventType(typ), Touch: touch,
			IDs: append([]identity.ID{{Kind: identity.Cookie, Value: cookie}}, extra...)}
		if value != "" {
			if ev.Value, err = journey.ParseMoney(value, "RUB"); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := s.Add(ev); err != nil {
			t.Fatal(err)
		}
	}
	// Anna: a Direct click (yclid) and a Google click, then a contract.
	add("1700000000111", day(2, 11), "page_view", journey.Touch{Source: "google", Medium: "cpc", GCLID: "Cj0KCQ-anna"}, "")
	add("1700000000111", day(3, 10), "page_view", journey.Touch{Source: "yandex", Medium: "cpc", YCLID: "7771"}, "")
	add("1700000000111", day(20, 15), "contract", journey.Touch{}, "2500000.00", identity.ID{Kind: identity.CRM, Value: "CRM-1"})
	// Boris: an iOS click with gbraid only, then an advance payment.
	add("1700000000222", day(5, 9), "page_view", journey.Touch{Source: "google", Medium: "cpc", GBRAID: "0AAAA-boris"}, "")
	add("1700000000222", day(6, 18), "advance_payment", journey.Touch{}, "50000.00")
	// Vera: no ad click at all.
	add("GA1.2.555.1700", day(7, 12), "contract", journey.Touch{}, "1800000.00")
	// Gleb: a Direct click in March, a contract in June.
	add("1700000000444", time.Date(2026, 3, 1, 12, 0, 0, 0, msk), "page_view", journey.Touch{YCLID: "7774", GCLID: "Cj0-gleb"}, "")
	add("1700000000444", day(21, 12), "contract", journey.Touch{}, "3100000.00")
	return s
}

func reasons(sk []Skipped) map[string]error {
	m := map[string]error{}
	for _, s := range sk {
		m[s.Event.Time.UTC().Format(time.DateTime)] = s.Err
	}
	return m
}

func TestMetricaConversions(t *testing.T) {
	s := conversionStore(t)
	now := time.Date(2026, 6, 22, 0, 0, 0, 0, time.UTC)
	goals := map[journey.EventType]string{"contract": "contract_signed", "advance_payment": "advance_paid"}
	rows, skipped, err := MetricaConversions(s, MetricaConfig{IDType: MetricaYclid, Goals: goals, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteMetricaConversions(&b, MetricaYclid, nil, rows); err != nil {
		t.Fatal(err)
	}
	// Anna's contract, 2026-06-20 15:00 MSK = 12:00 UTC = 1781956800.
	want := "Yclid,Target,DateTime,Price,Currency\n7771,contract_signed,1781956800,2500000.00,RUB\n"
	if b.String() != want {
		t.Fatalf("yclid file:\n%s\nwant:\n%s", b.String(), want)
	}
	// Gleb's click was in March, more than 21 days before the export:
	// Metrica cannot join it. Boris and Vera have no yclid.
	r := reasons(skipped)
	if !errors.Is(r["2026-06-21 09:00:00"], ErrClickOld) || !errors.Is(r["2026-06-06 15:00:00"], ErrNoClick) || !errors.Is(r["2026-06-07 09:00:00"], ErrNoClick) || len(skipped) != 3 {
		t.Fatalf("skipped %v", skipped)
	}
	// ClientIDs: Metrica's are decimal; Vera's _ga cookie is not one.
	rows, skipped, _ = MetricaConversions(s, MetricaConfig{IDType: MetricaClientID, Goals: goals, Now: now})
	b.Reset()
	WriteMetricaConversions(&b, MetricaClientID, time.FixedZone("MSK", 3*3600), rows)
	want = "ClientId,Target,DateTime,Price,Currency\n" +
		"1700000000222,advance_paid,1780768800,50000.00,RUB\n" + // 18:00 MSK read as UTC
		"1700000000111,contract_signed,1781967600,2500000.00,RUB\n" +
		"1700000000444,contract_signed,1782043200,3100000.00,RUB\n"
	if b.String() != want {
		t.Fatalf("client ID file:\n%s\nwant:\n%s", b.String(), want)
	}
	if len(skipped) != 1 || !errors.Is(skipped[0].Err, ErrNoClick) {
		t.Fatalf("%v", skipped)
	}
	rows, _, _ = MetricaConversions(s, MetricaConfig{IDType: MetricaUserID, Goals: goals, Now: now})
	if len(rows) != 1 || rows[0].ID != "CRM-1" {
		t.Fatalf("user IDs %+v", rows)
	}
	// A conversion after the export time is refused by Metrica: skipped.
	_, skipped, _ = MetricaConversions(s, MetricaConfig{IDType: MetricaYclid, Goals: goals, Now: time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)})
	if n := countErr(skipped, ErrFuture); n != 2 {
		t.Fatalf("%d future conversions skipped, want 2", n)
	}
	if _, _, err := MetricaConversions(s, MetricaConfig{Goals: goals}); !errors.Is(err, ErrExportSpec) {
		t.Fatal(err)
	}
}

func countErr(sk []Skipped, target error) int {
	n := 0
	for _, s := range sk {
		if errors.Is(s.Err, target) {
			n++
		}
	}
	return n
}

func TestGoogleClickConversions(t *testing.T) {
	s := conversionStore(t)
	now := time.Date(2026, 6, 22, 0, 0, 0, 0, time.UTC)
	rows, skipped, err := GoogleClickConversions(s, GoogleConfig{Actions: map[journey.EventType]string{"contract": "Showroom contract", "advance_payment": "Advance"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		n := 0
		for _, id := range []string{r.GCLID, r.GBRAID, r.WBRAID} {
			if id != "" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("row %+v has %d click IDs", r, n)
		}
	}
	var b bytes.Buffer
	api, err := WriteGoogleClickConversions(&b, time.FixedZone("MSK", 3*3600), rows)
	want := "Google Click ID,Conversion Name,Conversion Time,Conversion Value,Conversion Currency\n" +
		"Cj0KCQ-anna,Showroom contract,2026-06-20 15:00:00+03:00,2500000.00,RUB\n"
	if b.String() != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b.String(), want)
	}
	if !errors.Is(err, ErrBraidFile) || len(api) != 1 || api[0].GBRAID != "0AAAA-boris" || api[0].Action != "Advance" || googleTime(api[0].Time.In(time.FixedZone("MSK", 3*3600))) != "2026-06-06 18:00:00+03:00" {
		t.Fatalf("api rows %+v, %v", api, err)
	}
	// Anna's last click before her contract was the Direct one; her gclid
	// is the last Google click, which is what Google can use. Gleb's click
	// is 112 days before his contract: past Google's 90.
	r := reasons(skipped)
	if !errors.Is(r["2026-06-21 09:00:00"], ErrClickOld) || !errors.Is(r["2026-06-07 09:00:00"], ErrNoClick) || len(skipped) != 2 {
		t.Fatalf("skipped %v", skipped)
	}
	if _, _, err := GoogleClickConversions(s, GoogleConfig{Now: now}); !errors.Is(err, ErrExportSpec) {
		t.Fatal(err)
	}
}

// TestSenderPerCompany: each company of a group uploads only the
// conversions it collected, of the people who consented to its sending
// (its own consent, or another company's naming it a recipient); its
// audience file likewise.
func TestSenderPerCompany(t *testing.T) {
	const north, south = "North Motors LLC", "South Auto LLC"
	g, _ := identity.New(nil)
	s, _ := journey.New(g, nil)
	r, _ := channel.NewReacher(&channel.ReachOptions{Preference: []string{"email"}})
	now := time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)
	person := func(email, gclid string) identity.ProfileID {
		t.Helper()
		ids := []identity.ID{{Kind: identity.Email, Value: email}}
		if _, err := g.Observe(identity.Observation{Source: "web_form", IDs: ids}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Add(journey.Event{Time: now.Add(-72 * time.Hour), Type: journey.PageView, IDs: ids, Touch: journey.Touch{GCLID: gclid}}); err != nil {
			t.Fatal(err)
		}
		p, _ := g.Resolve(identity.Email, email)
		return p
	}
	sale := func(email, company string, typ journey.EventType) {
		t.Helper()
		if _, _, err := s.Add(journey.Event{Time: now.Add(-time.Hour), Type: typ, Company: company, IDs: []identity.ID{{Kind: identity.Email, Value: email}}}); err != nil {
			t.Fatal(err)
		}
	}
	anna, boris, vera := person("anna@mail.ru", "g-anna"), person("boris@mail.ru", "g-boris"), person("vera@mail.ru", "g-vera")
	sale("anna@mail.ru", north, journey.Contract)
	sale("boris@mail.ru", south, journey.Contract)
	sale("boris@mail.ru", north, journey.TestDrive) // North collected it, Boris never consented to North
	sale("vera@mail.ru", north, journey.Contract)
	ads := func(p identity.ProfileID, company string, recipients ...string) {
		if err := r.RecordConsent(p, channel.Consent{Channel: "ads", Purpose: "paid_media", Status: channel.ConsentGranted, At: now.Add(-24 * time.Hour), Company: company, Recipients: recipients}); err != nil {
			t.Fatal(err)
		}
	}
	ads(anna, north)
	ads(boris, south)
	ads(vera, south, north) // given to South, naming North a recipient
	actions := map[journey.EventType]string{journey.Contract: "contract", journey.TestDrive: "test_drive"}
	for _, c := range []struct {
		company, rows, skipped string
	}{
		{north, "g-anna contract, g-vera contract", "test_drive " + ErrNotConsented.Error()},
		{south, "g-boris contract", ""},
	} {
		rows, skipped, err := GoogleClickConversions(s, GoogleConfig{Sender: Sender{Company: c.company, Consented: PaidMediaConsent(r, c.company, now)}, Actions: actions, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		var got, why []string
		for _, row := range rows {
			got = append(got, row.GCLID+" "+row.Action)
		}
		for _, sk := range skipped {
			why = append(why, string(sk.Event.Type)+" "+sk.Err.Error())
		}
		slices.Sort(got)
		if strings.Join(got, ", ") != c.rows || strings.Join(why, ", ") != c.skipped {
			t.Errorf("%s: rows %v, skipped %v; want %s and %q", c.company, got, why, c.rows, c.skipped)
		}
	}
	contacts := []Contact{{Profile: anna, Emails: []string{"anna@mail.ru"}}, {Profile: boris, Emails: []string{"boris@mail.ru"}}, {Profile: vera, Emails: []string{"vera@mail.ru"}}}
	a, rep, err := BuildAudience(ExportConfig{Platform: GoogleCustomerMatch, PaidMedia: PaidMediaConsent(r, south, now)}, contacts)
	if err != nil || rep.Profiles != 2 || rep.NoConsent != 1 || len(a.Rows) != 2 {
		t.Fatalf("South's audience: %+v, %+v, %v", a, rep, err)
	}
}
