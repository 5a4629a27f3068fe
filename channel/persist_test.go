package channel

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

var persistCfg = ReachOptions{
	Preference: []string{"email", "sms"},
	Caps:       map[string]Cap{"*": {Day: 2, Week: 5}},
	Quiet:      map[string]DailyWindow{"sms": Hours(21, 0, 9, 0)},
	Sync:       identity.SyncNever,
}

// reacherSession drives a Reacher through every kind of change, identity
// merges and splits included, and returns the profiles it touched.
type reacherSession struct {
	t    *testing.T
	g    *identity.Graph
	r    *Reacher
	noon time.Time
	ops  int // journaled changes
}

func (s *reacherSession) must(err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	s.ops++
}

func (s *reacherSession) observe(src string, ids ...identity.ID) identity.Change {
	s.t.Helper()
	ch, err := s.g.Observe(identity.Observation{Time: s.noon, Source: src, IDs: ids})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.r.Follow(s.g, ch); err != nil {
		s.t.Fatal(err)
	}
	return ch
}

func (s *reacherSession) run() []identity.ProfileID {
	s.t.Helper()
	email := identity.ID{Kind: identity.Email, Value: "anna@mail.ru"}
	phone := identity.ID{Kind: identity.Phone, Value: "+79161234567"}
	other := identity.ID{Kind: identity.Email, Value: "boris@mail.ru"}
	a := s.observe("web_form", email).Profile
	b := s.observe("web_form", phone).Profile
	c := s.observe("web_form", other).Profile
	moscow, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		s.t.Skip("no time zone database:", err)
	}
	s.must(s.r.SetContact(a, "email", "anna@mail.ru"))
	s.must(s.r.SetContact(b, "sms", "+79161234567"))
	s.must(s.r.SetContact(c, "email", "boris@mail.ru"))
	s.must(s.r.SetLocation(a, moscow))
	s.must(s.r.SetLocation(c, time.FixedZone("Yekaterinburg+5", 5*3600)))
	s.must(s.r.RecordConsent(a, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: s.noon}))
	s.must(s.r.RecordConsent(b, Consent{Channel: "sms", Purpose: "*", Status: ConsentGranted, At: s.noon}))
	// Out of order: the earlier grant arrives after the later refusal.
	s.must(s.r.RecordConsent(c, Consent{Channel: "email", Purpose: "marketing", Status: ConsentRevoked, At: s.noon.Add(time.Hour)}))
	s.must(s.r.RecordConsent(c, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: s.noon}))
	s.must(s.r.RecordSend(b, "sms", s.noon.Add(-time.Hour)))
	s.must(s.r.RecordSend(a, "email", s.noon))
	s.must(s.r.Suppress("email", "boris@mail.ru", Complaint, s.noon))
	s.must(s.r.Suppress("sms", "+79990000000", Bounced, time.Time{}))
	s.must(s.r.Unsuppress("sms", "+79990000000"))
	s.must(s.r.SetContact(c, "sms", "+79031112233"))
	s.must(s.r.SetContact(c, "sms", ""))
	// A CRM record proves Anna's email and phone are one person's: merge.
	merged := s.observe("crm_import", email, phone)
	if len(merged.Merges) != 1 {
		s.t.Fatalf("no merge: %+v", merged)
	}
	// The CRM record is withdrawn: split again.
	s.follow(s.g.Retract(merged.Observation))
	return []identity.ProfileID{a, b, c, merged.Profile}
}

func (s *reacherSession) follow(ch identity.Change, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.r.Follow(s.g, ch); err != nil {
		s.t.Fatal(err)
	}
}

func state(r *Reacher) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.appendState(nil)
}

func answers(r *Reacher, ps []identity.ProfileID, at time.Time) string {
	var b bytes.Buffer
	for _, p := range ps {
		for _, purpose := range []string{"marketing", "transactional"} {
			for _, x := range r.Reach(p, purpose, at) {
				b.WriteString(x.String() + " " + x.Contact + " " + x.Local.String() + "\n")
			}
		}
	}
	return b.String()
}

func TestReacherPersistence(t *testing.T) {
	dir := t.TempDir()
	g, _ := identity.New(nil)
	r, err := OpenReacher(context.Background(), dir, &persistCfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &reacherSession{t: t, g: g, r: r, noon: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	ps := s.run()
	wantState, wantAnswers := state(r), answers(r, ps, s.noon.Add(30*time.Minute))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}

	back, err := OpenReacher(context.Background(), dir, &persistCfg)
	if err != nil {
		t.Fatal(err)
	}
	if rec := back.Recovery(); rec.Snapshot || rec.Records < s.ops || rec.DroppedBytes != 0 {
		t.Errorf("recovery %+v after %d changes", rec, s.ops)
	}
	if !bytes.Equal(state(back), wantState) {
		t.Fatal("reopened state differs")
	}
	if got := answers(back, ps, s.noon.Add(30*time.Minute)); got != wantAnswers {
		t.Fatalf("answers after reopening:\n%s\nwant:\n%s", got, wantAnswers)
	}

	// Snapshot, change more, reopen: the snapshot and the new journal.
	if err := back.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := back.RecordSend(ps[2], "email", s.noon.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantState = state(back)
	back.Close()
	again, err := OpenReacher(context.Background(), dir, &persistCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if rec := again.Recovery(); !rec.Snapshot || rec.Records != 1 {
		t.Errorf("recovery after snapshot: %+v", rec)
	}
	if !bytes.Equal(state(again), wantState) {
		t.Fatal("state after snapshot and reopen differs")
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "journal-*.log"))
	if len(logs) != 1 {
		t.Errorf("journals after compaction: %v", logs)
	}
}

// TestReacherTornJournal: a journal cut anywhere inside its last record
// reopens with every change before it.
func TestReacherTornJournal(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenReacher(context.Background(), dir, &persistCfg)
	if err != nil {
		t.Fatal(err)
	}
	p := profileN(t, 1)
	noon := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	r.SetContact(p, "email", "anna@mail.ru")
	r.RecordConsent(p, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: noon})
	before := state(r)
	log := filepath.Join(dir, "journal-0.log")
	if err := r.Sync(); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(log)
	r.RecordConsent(p, Consent{Channel: "email", Purpose: "marketing", Status: ConsentRevoked, At: noon.Add(time.Hour)})
	r.Close()
	full, _ := os.ReadFile(log)
	for cut := fi.Size(); cut < int64(len(full)); cut++ {
		sub := t.TempDir()
		os.WriteFile(filepath.Join(sub, "journal-0.log"), full[:cut], 0o644)
		back, err := OpenReacher(context.Background(), sub, &persistCfg)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if !bytes.Equal(state(back), before) {
			t.Fatalf("cut at %d: state differs", cut)
		}
		if rec := back.Recovery(); rec.DroppedBytes != cut-fi.Size() || (cut > fi.Size() && rec.Reason == "") {
			t.Fatalf("cut at %d: recovery %+v", cut, rec)
		}
		back.Close()
	}
}

func TestReacherClosedAndNotPersistent(t *testing.T) {
	r, err := OpenReacher(context.Background(), t.TempDir(), &persistCfg)
	if err != nil {
		t.Fatal(err)
	}
	p := profileN(t, 1)
	r.SetContact(p, "email", "anna@mail.ru")
	r.Close()
	before := state(r)
	for _, err := range []error{
		r.SetContact(p, "sms", "+79161234567"),
		r.SetLocation(p, time.UTC),
		r.RecordConsent(p, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted}),
		r.Suppress("email", "anna@mail.ru", Bounced, time.Time{}),
		r.Unsuppress("email", "anna@mail.ru"),
		r.RecordSend(p, "email", time.Time{}),
		r.Follow(nil, identity.Change{Merges: []identity.Merge{{Into: profileN(t, 2), From: []identity.ProfileID{p}}}}),
		r.Snapshot(context.Background()), r.Sync(),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("after Close: %v, want ErrClosed", err)
		}
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if !bytes.Equal(state(r), before) {
		t.Error("a refused change changed the state")
	}
	if got := r.Reach(p, "transactional", time.Now())[0]; got.Contact != "anna@mail.ru" {
		t.Errorf("reads after Close: %v", got)
	}
	m, _ := NewReacher(&persistCfg)
	for _, err := range []error{m.Snapshot(context.Background()), m.Sync()} {
		if !errors.Is(err, ErrNotPersistent) {
			t.Errorf("in-memory Reacher: %v, want ErrNotPersistent", err)
		}
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close on an in-memory Reacher: %v", err)
	}
	if (m.Recovery() != Recovery{}) {
		t.Error("in-memory Reacher reports a recovery")
	}
}

// TestReacherBadRecords: records that do not decode are errors, never
// panics, and an unknown type stops the replay.
func TestReacherBadRecords(t *testing.T) {
	for _, rec := range []journal.Record{
		{Type: 0},
		{Type: 99, Payload: []byte{1}},
		{Type: recContact, Payload: []byte{1, 2, 3}},
		{Type: recConsent, Payload: append(append(make([]byte, 16), 1, 'e', 1, 'm'), 9, 0)},
		{Type: recLocation, Payload: append(make([]byte, 16), 3, 'X', '/', 'Y', 0)},
		{Type: recLocation, Payload: append(make([]byte, 16), 1, 'X', 1, 0xff, 0xff, 0xff, 0xff, 0x0f)},
		{Type: recMerge, Payload: make([]byte, 31)},
		{Type: recUnsuppress, Payload: []byte{0, 0, 0}},
	} {
		r, _ := NewReacher(&persistCfg)
		if err := r.apply(rec); !errors.Is(err, errRecord) {
			t.Errorf("record %d %x: %v", rec.Type, rec.Payload, err)
		}
	}
}

func FuzzReacherRecord(f *testing.F) {
	r, _ := NewReacher(&persistCfg)
	p := profileN(&testing.T{}, 1)
	r.SetContact(p, "email", "anna@mail.ru")
	r.SetLocation(p, time.FixedZone("X", 3600))
	r.RecordConsent(p, Consent{Channel: "email", Purpose: "*", Status: ConsentDenied, At: time.Unix(1e9, 0)})
	r.RecordSend(p, "sms", time.Unix(1e9, 0))
	r.Suppress("sms", "+7", Manual, time.Time{})
	rd := journal.NewReader(bytes.NewReader(r.appendState(nil)))
	for rd.Next() {
		f.Add(rd.Record().Type, rd.Record().Payload)
	}
	f.Add(recSplit, append(make([]byte, 16), make([]byte, 32)...))
	f.Add(recMerge, make([]byte, 32))
	f.Fuzz(func(t *testing.T, typ byte, payload []byte) {
		r, _ := NewReacher(&persistCfg)
		if err := r.apply(journal.Record{Type: typ, Payload: payload}); err != nil {
			return
		}
		// What applied encodes to records that restore the same state.
		st := r.appendState(nil)
		back, _ := NewReacher(&persistCfg)
		rd := journal.NewReader(bytes.NewReader(st))
		for rd.Next() {
			if err := back.apply(rd.Record()); err != nil {
				t.Fatalf("state record %d %x: %v", rd.Record().Type, rd.Record().Payload, err)
			}
		}
		if got := back.appendState(nil); !bytes.Equal(got, st) {
			t.Fatalf("state does not round-trip:\n%x\n%x", got, st)
		}
	})
}

func BenchmarkReacherRecordSendJournaled(b *testing.B) {
	cfg := persistCfg
	r, err := OpenReacher(context.Background(), b.TempDir(), &cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	p := profileN(&testing.T{}, 1)
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		at = at.Add(time.Minute)
		if err := r.RecordSend(p, "sms", at); err != nil {
			b.Fatal(err)
		}
	}
}

// TestReacherLock: one Reacher per directory; Close releases it.
func TestReacherLock(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenReacher(context.Background(), dir, &persistCfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenReacher(context.Background(), dir, &persistCfg); !errors.Is(err, ErrLocked) {
		t.Fatalf("second OpenReacher: %v, want ErrLocked", err)
	}
	r.Close()
	r2, err := OpenReacher(context.Background(), dir, &persistCfg)
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	r2.Close()
}

// TestReacherCancelled: a cancelled OpenReacher or Snapshot returns
// context.Canceled and leaves the directory usable.
func TestReacherCancelled(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenReacher(context.Background(), dir, &persistCfg)
	if err != nil {
		t.Fatal(err)
	}
	p := killProfile(1)
	if err := r.SetContact(p, "email", "a@mail.ru"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Snapshot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Snapshot: %v", err)
	}
	r.Close()
	if _, err := OpenReacher(ctx, dir, &persistCfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled OpenReacher: %v", err)
	}
	back, err := OpenReacher(context.Background(), dir, &persistCfg)
	if err != nil || back.people[p].contacts["email"] != "a@mail.ru" {
		t.Fatalf("reopened: %v", err)
	}
	back.Close()
}

// TestConsentRecordFormats: a consent's company fields survive the journal
// and the snapshot, and a record of the first format (no company) still
// decodes as the host's own consent.
func TestConsentRecordFormats(t *testing.T) {
	dir := t.TempDir()
	r, err := OpenReacher(context.Background(), dir, &persistCfg)
	if err != nil {
		t.Fatal(err)
	}
	p := killProfile(7)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	c := Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: at, Company: "North Motors LLC",
		Recipients: []string{"East Motors LLC", "West LLC"}, Document: "v3", TextHash: "sha256:ab", Source: "showroom", ValidUntil: at.AddDate(1, 0, 0)}
	if err := r.RecordConsent(p, c); err != nil {
		t.Fatal(err)
	}
	for _, snapshot := range []bool{false, true} {
		if snapshot {
			if err := r.Snapshot(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		r.Close()
		if r, err = OpenReacher(context.Background(), dir, &persistCfg); err != nil {
			t.Fatal(err)
		}
		got := r.people[p].consents[c.key()]
		if got.Company != c.Company || !slices.Equal(got.Recipients, c.Recipients) || got.Document != "v3" || got.TextHash != c.TextHash ||
			got.Source != "showroom" || !got.ValidUntil.Equal(c.ValidUntil) || !got.At.Equal(at) {
			t.Fatalf("snapshot %v: reopened consent %+v", snapshot, got)
		}
	}
	r.Close()
	old := enc{}.profile(p).str("sms").str("marketing").byte(byte(ConsentGranted)).time(at)
	m, _ := NewReacher(&persistCfg)
	if err := m.apply(journal.Record{Type: recConsent, Payload: old}); err != nil {
		t.Fatal(err)
	}
	if got := m.people[p].consents[consentKey{"", "sms", "marketing"}]; got.Status != ConsentGranted || got.Company != "" {
		t.Fatalf("a first-format record decoded to %+v", got)
	}
}
