package identity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/throughline/throughline/internal/journal"
)

func openGraph(t *testing.T, dir string) *Graph {
	t.Helper()
	g, err := Open(context.Background(), dir, &Options{Sync: SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func familyObservations() []Observation {
	return []Observation{
		at(0, "web_form", "cookie:anna-laptop", "email:anna@mail.ru", "phone:+79160000001"),
		at(0, "web_form", "cookie:boris-phone", "email:boris@mail.ru", "phone:+79160000002"),
		at(1, "web_form", "cookie:family-pc", "email:anna@mail.ru", "phone:+79160000001"),
		at(2, "web_form", "cookie:family-pc", "phone:+79160000002"),
		at(3, "email_click", "cookie:boris-phone", "email:anna@mail.ru"),
		at(4, "crm_import", "crm:CRM-1", "phone:+79160000001"),
		at(5, "web_form", "email:test@test.ru", "phone:+79160000003", "cookie:c3"),
		at(6, "web_form", "cookie:anna-laptop", "phone:+79160000009"),
	}
}

func TestOpenReplaysJournal(t *testing.T) {
	dir := t.TempDir()
	g := openGraph(t, dir)
	mem := mustGraph(t, nil)
	mem.eraseKey = g.eraseKey
	for _, o := range familyObservations() {
		mustObserve(t, g, o)
		mustObserve(t, mem, o)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	back := openGraph(t, dir)
	defer back.Close()
	if r := back.Recovery(); r.Records != len(familyObservations()) || r.DroppedBytes != 0 || r.Snapshot {
		t.Fatalf("Recovery = %+v", r)
	}
	if !mapsEqual(snapshotProfiles(back), snapshotProfiles(mem)) || back.Stats() != mem.Stats() {
		t.Fatal("the replayed graph differs from the one kept in memory")
	}
}

func TestSnapshotRestoreAndCompaction(t *testing.T) {
	dir := t.TempDir()
	g := openGraph(t, dir)
	obs := familyObservations()
	for _, o := range obs[:5] {
		mustObserve(t, g, o)
	}
	if err := g.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, o := range obs[5:] {
		mustObserve(t, g, o)
	}
	retracted := mustObserve(t, g, at(7, "web_form", "email:anna@mail.ru", "email:boris@mail.ru"))
	if _, err := g.Retract(retracted.Observation); err != nil {
		t.Fatal(err)
	}
	want := snapshotProfiles(g)
	wantStats := g.Stats()
	g.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "journal-*.log"))
	if len(files) != 1 || filepath.Base(files[0]) != "journal-1.log" {
		t.Fatalf("journals after compaction: %v", files)
	}
	back := openGraph(t, dir)
	defer back.Close()
	if r := back.Recovery(); !r.Snapshot || r.Generation != 1 || r.Records != len(obs)-5+2 {
		t.Fatalf("Recovery = %+v", r)
	}
	if !mapsEqual(snapshotProfiles(back), want) || back.Stats() != wantStats {
		t.Fatalf("restored graph differs: %+v vs %+v", back.Stats(), wantStats)
	}
	// The restored graph keeps working, quarantines included.
	if st, err := back.Status(Email, "test@test.ru"); err != nil || !st.Junk {
		t.Fatalf("Status after restore = %+v, %v", st, err)
	}
	if _, err := back.Retract(retracted.Observation); !errors.Is(err, ErrRetracted) {
		t.Fatalf("retraction not restored: %v", err)
	}
}

// TestForgetLeavesNoTrace: after Forget nothing in the directory holds the
// erased value, and reopening keeps the tombstone.
func TestForgetLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	g := openGraph(t, dir)
	for _, o := range familyObservations() {
		mustObserve(t, g, o)
	}
	if _, err := g.Forget(context.Background(), Phone, "+79160000001"); err != nil {
		t.Fatal(err)
	}
	g.Close()
	back := reopenErased(t, dir, "79160000001")
	defer back.Close()
	ch, _ := back.Observe(at(9, "web_form", "phone:+79160000001", "email:anna@mail.ru"))
	if ch.Forgotten != 1 {
		t.Fatalf("tombstone lost on reopening: %+v", ch)
	}
}

// cancelLater is a context that is live the first time it is asked and
// cancelled every time after: Forget starts, and the erase from disk is
// called off.
type cancelLater struct {
	context.Context
	asked atomic.Int32
	done  chan struct{}
	once  sync.Once
}

func newCancelLater() *cancelLater {
	return &cancelLater{Context: context.Background(), done: make(chan struct{})}
}

func (c *cancelLater) Err() error {
	if c.asked.Add(1) == 1 {
		return nil
	}
	c.once.Do(func() { close(c.done) })
	return context.Canceled
}

func (c *cancelLater) Done() <-chan struct{} { return c.done }

// TestForgetContext holds Forget's rules for its context: cancelled
// before, nothing changes; cancelled while the value is taken off the
// disk, the value is forgotten all the same (and stays forgotten after a
// restart), the error wraps ErrNotCompacted and context.Canceled, and
// Snapshot finishes the erase.
func TestForgetContext(t *testing.T) {
	dir := t.TempDir()
	g := openGraph(t, dir)
	for _, o := range familyObservations() {
		mustObserve(t, g, o)
	}
	before := snapshotProfiles(g)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := g.Forget(ctx, Phone, "+79160000001"); !errors.Is(err, context.Canceled) || errors.Is(err, ErrNotCompacted) {
		t.Fatalf("Forget with a cancelled context: %v, want context.Canceled alone", err)
	}
	if !mapsEqual(snapshotProfiles(g), before) {
		t.Fatal("Forget with a cancelled context changed the graph")
	}
	ch, err := g.Forget(newCancelLater(), Phone, "+79160000001")
	if !errors.Is(err, ErrNotCompacted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Forget cancelled during the erase: %v, want ErrNotCompacted and context.Canceled", err)
	}
	if len(ch.Erased) != 1 {
		t.Fatalf("Forget cancelled during the erase returned %+v, want the Change", ch)
	}
	if _, err := g.Resolve(Phone, "+79160000001"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("phone resolves after Forget: %v", err)
	}
	if err := g.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.Close()
	reopenErased(t, dir, "79160000001").Close()
}

// reopenErased checks that no file in dir holds the erased phone's digits
// and that the graph reopened from dir does not resolve it, and returns
// that graph.
func reopenErased(t *testing.T, dir, digits string) *Graph {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if bytes.Contains(b, []byte(digits)) {
			t.Fatalf("%s still holds the erased phone", e.Name())
		}
	}
	back := openGraph(t, dir)
	if _, err := back.Resolve(Phone, "+"+digits); !errors.Is(err, ErrNotFound) {
		t.Fatalf("erased phone resolves after reopening: %v", err)
	}
	return back
}

// TestTornJournal cuts the journal at every byte of its last records:
// reopening keeps exactly the complete ones and never fails.
func TestTornJournal(t *testing.T) {
	dir := t.TempDir()
	g := openGraph(t, dir)
	obs := familyObservations()
	var sizes []int64
	for _, o := range obs {
		mustObserve(t, g, o)
		g.Sync()
		st, _ := os.Stat(filepath.Join(dir, "journal-0.log"))
		sizes = append(sizes, st.Size())
	}
	g.Close()
	data, _ := os.ReadFile(filepath.Join(dir, "journal-0.log"))
	for cut := sizes[len(sizes)-3]; cut <= int64(len(data)); cut++ {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, "journal-0.log"), data[:cut], 0o644)
		back, err := Open(context.Background(), d, &Options{Sync: SyncNever})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		kept := 0
		for kept < len(sizes) && sizes[kept] <= cut {
			kept++
		}
		r := back.Recovery()
		if r.Records != kept || (cut != sizes[kept-1]) != (r.DroppedBytes > 0) {
			t.Fatalf("cut at %d: %+v, want %d records", cut, r, kept)
		}
		mem := mustGraph(t, nil)
		for _, o := range obs[:kept] {
			mustObserve(t, mem, o)
		}
		if !mapsEqual(snapshotProfiles(back), snapshotProfiles(mem)) {
			t.Fatalf("cut at %d: graph differs from the first %d observations", cut, kept)
		}
		back.Close()
	}
}

func TestCorruptSnapshot(t *testing.T) {
	dir := t.TempDir()
	g := openGraph(t, dir)
	for _, o := range familyObservations() {
		mustObserve(t, g, o)
	}
	g.Snapshot(context.Background())
	g.Close()
	path := filepath.Join(dir, "snapshot.snap")
	data, _ := os.ReadFile(path)
	data[len(data)/2] ^= 0xff
	os.WriteFile(path, data, 0o644)
	if _, err := Open(context.Background(), dir, nil); err == nil || !strings.Contains(err.Error(), "bad snapshot") {
		t.Fatalf("a corrupted snapshot opened: %v", err)
	}
}

// TestKilledProcess kills a child that observes into an opened graph with
// SyncAlways; the graph reopens to a prefix of its observations.
func TestNotPersistent(t *testing.T) {
	g := mustGraph(t, nil)
	if err := g.Snapshot(context.Background()); !errors.Is(err, ErrNotPersistent) {
		t.Fatal(err)
	}
	if err := g.Close(); err != nil {
		t.Fatalf("Close on a graph made by New: %v", err)
	}
}

// TestLockAndLifecycle: a second Open of a directory fails with ErrLocked
// while the first holds it; Close is idempotent, later changes fail with
// ErrClosed, and the directory reopens after Close with what was written.
func TestLockAndLifecycle(t *testing.T) {
	dir := t.TempDir()
	g, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	mustObserve(t, g, at(0, "web_form", "cookie:b1", "email:ivan@mail.ru"))
	_, err = Open(context.Background(), dir, nil)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if want := "identity: journal: directory is in use by another store: " + dir; err.Error() != want {
		t.Errorf("second Open says %q, want %q", err, want)
	}
	if err := g.Close(); err != nil || g.Close() != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := g.Observe(at(1, "web_form", "cookie:b2", "email:anna@mail.ru")); !errors.Is(err, ErrClosed) || err.Error() != "identity: journal: log closed" {
		t.Fatalf("Observe after Close: %v, want ErrClosed (and no doubled prefix)", err)
	}
	h, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatalf("reopen after Close: %v", err)
	}
	defer h.Close()
	if !together(t, h, "cookie:b1", "email:ivan@mail.ru") {
		t.Fatal("reopened graph lost what was written")
	}
}

// snapshotBody is g's snapshot body.
func snapshotBody(t testing.TB, g *Graph) []byte {
	t.Helper()
	b, err := g.encodeSnapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSnapshotContext: encoding a snapshot stops with ctx's error, before
// anything is written, and a snapshot called off leaves the directory
// as it was: the graph reopens with everything.
func TestSnapshotContext(t *testing.T) {
	dir := t.TempDir()
	g := openGraph(t, dir)
	for _, o := range familyObservations() {
		mustObserve(t, g, o)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if b, err := g.encodeSnapshot(ctx); !errors.Is(err, context.Canceled) || b != nil {
		t.Fatalf("encodeSnapshot with a cancelled context: %d bytes, %v", len(b), err)
	}
	if err := g.Snapshot(newCancelLater()); !errors.Is(err, context.Canceled) {
		t.Fatalf("Snapshot cancelled: %v", err)
	}
	want := snapshotProfiles(g)
	g.Close()
	back := openGraph(t, dir)
	defer back.Close()
	if !mapsEqual(snapshotProfiles(back), want) {
		t.Fatal("a snapshot called off lost evidence")
	}
}

// FuzzSnapshotBody: decoding arbitrary bytes as a snapshot body fails
// cleanly or yields a graph that answers queries.
func FuzzSnapshotBody(f *testing.F) {
	g := mustGraph(f, nil)
	for _, o := range familyObservations() {
		g.Observe(o)
	}
	g.Forget(context.Background(), Phone, "+79160000002")
	f.Add(snapshotBody(f, g))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, _ := New(nil)
		if err := h.decodeSnapshot(b); err != nil {
			return
		}
		for p := range h.Profiles() {
			for id := range h.Keys(p) {
				h.ResolveID(id)
			}
		}
		h.Observe(at(0, "web_form", "email:x@mail.ru", "cookie:zz"))
	})
}

// FuzzJournalRecord: replaying arbitrary record payloads never panics.
func FuzzJournalRecord(f *testing.F) {
	g := mustGraph(f, nil)
	p, _ := g.Prepare(at(0, "web_form", "email:anna@mail.ru", "phone:+79160000001"))
	f.Add(byte(recObserve), g.encodeObservation(nil, p))
	f.Add(byte(recRetract), []byte{0})
	f.Add(byte(recForget), append(appendString(nil, "phone"), make([]byte, 16)...))
	f.Fuzz(func(t *testing.T, typ byte, payload []byte) {
		h, _ := New(nil)
		h.Observe(at(0, "web_form", "email:anna@mail.ru", "phone:+79160000001"))
		_, _ = h.replayRecord(journalRecord(typ, payload))
	})
}

// errAfter is a context whose Err turns to context.Canceled after n calls:
// a cancellation that lands in the middle of a long replay.
type errAfter struct {
	context.Context
	n int
}

func (c *errAfter) Err() error {
	if c.n--; c.n < 0 {
		return context.Canceled
	}
	return nil
}

// TestCancelled: an Open cancelled before it starts, or in the middle of
// its replay, returns context.Canceled, releases the directory and leaves
// it as it was; a cancelled Snapshot changes no file and the graph stays
// usable.
func TestCancelled(t *testing.T) {
	dir := t.TempDir()
	g, err := Open(context.Background(), dir, &Options{Sync: SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10_000 {
		mustObserve(t, g, at(i%300, "web_form", fmt.Sprintf("cookie:c%d", i), fmt.Sprintf("email:p%d@mail.ru", i/3)))
	}
	files := func() map[string]string {
		out := map[string]string{}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
			out[e.Name()] = string(b)
		}
		return out
	}
	before := files()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.Snapshot(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Snapshot: %v", err)
	}
	if !maps.Equal(files(), before) {
		t.Fatal("a cancelled Snapshot changed the directory")
	}
	mustObserve(t, g, at(1, "web_form", "cookie:after", "email:after@mail.ru"))
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	before = files()
	for _, c := range []context.Context{ctx, &errAfter{Context: context.Background(), n: 2}} {
		if _, err := Open(c, dir, nil); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Open: %v", err)
		}
		if !maps.Equal(files(), before) {
			t.Fatal("a cancelled Open changed the directory")
		}
	}
	back, err := Open(context.Background(), dir, nil) // the lock was released
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if back.Recovery().Records != 10_001 {
		t.Fatalf("reopened with %+v", back.Recovery())
	}
}

// TestObservationOrigin: the company and site that collected an
// observation come back in Explain, through JSON, the journal and a
// snapshot, and the source's rule still applies (a click from North's
// site is attach-only like any click).
func TestObservationOrigin(t *testing.T) {
	dir := t.TempDir()
	g, err := Open(context.Background(), dir, &Options{Sync: SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	o := at(0, "web_form", "cookie:c1", "email:anna@mail.ru")
	o.Company, o.Site = "North Motors LLC", "north-motors.ru"
	var back Observation
	if err := back.UnmarshalJSON(o.AppendJSON(nil)); err != nil || back.Company != o.Company || back.Site != o.Site {
		t.Fatalf("JSON: %+v, %v", back, err)
	}
	mustObserve(t, g, back)
	click := at(1, "email_click", "cookie:c2", "email:boris@mail.ru")
	click.Company = "North Motors LLC"
	mustObserve(t, g, at(1, "web_form", "cookie:c2", "email:vera@mail.ru"))
	mustObserve(t, g, click)
	if together(t, g, "email:boris@mail.ru", "email:vera@mail.ru") {
		t.Fatal("a click with a company bridged two profiles: the source's rule was lost")
	}
	check := func(g *Graph) {
		t.Helper()
		links, err := g.Explain(ID{Cookie, "c1"}, ID{Email, "anna@mail.ru"})
		if err != nil || len(links) != 1 || links[0].Source != "web_form" || links[0].Company != "North Motors LLC" || links[0].Site != "north-motors.ru" {
			t.Fatalf("Explain = %+v, %v", links, err)
		}
	}
	check(g)
	g.Close()
	g, _ = Open(context.Background(), dir, nil) // from the journal
	check(g)
	if err := g.Snapshot(context.Background()); err != nil {
		t.Fatal(err)
	}
	g.Close()
	g, _ = Open(context.Background(), dir, nil) // from the snapshot
	defer g.Close()
	check(g)
}

// TestOpenBackend: a shared backend needs one erase key in every
// process; Pull on a directory's graph has nothing to apply, and on a
// graph made by New says it has no backend.
func TestOpenBackend(t *testing.T) {
	ctx := context.Background()
	b := journal.LocalBackend(t.TempDir(), "identity", nil)
	if _, err := OpenBackend(ctx, b, &Options{}); err == nil {
		t.Fatal("OpenBackend took a nil erase key")
	}
	g, err := OpenBackend(ctx, b, &Options{EraseKey: []byte("k")})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if n, err := g.Pull(ctx); n != 0 || err != nil {
		t.Fatalf("Pull on a directory: %d, %v", n, err)
	}
	m, _ := New(nil)
	if _, err := m.Pull(ctx); !errors.Is(err, ErrNotPersistent) {
		t.Fatalf("Pull on New: %v", err)
	}
}

// TestErasureTags: Forget's Change carries the erased identifier's tag,
// the tag ErasureTag gives for any spelling of it; Erased and Erasures
// report it; PullChanges has nothing to pull on a directory and refuses a
// graph made by New.
func TestErasureTags(t *testing.T) {
	g, err := Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	mustObserve(t, g, at(0, "web_form", "email:anna@mail.ru", "cookie:c1"))
	want, err := g.ErasureTag(ID{Kind: Email, Value: " Anna@Mail.RU "})
	if err != nil {
		t.Fatal(err)
	}
	if g.Erasures() != 0 || g.Erased(ID{Kind: Email, Value: "anna@mail.ru"}) {
		t.Fatal("erased before Forget")
	}
	ch, err := g.Forget(context.Background(), Email, "anna@mail.ru")
	if err != nil || len(ch.Erased) != 1 || ch.Erased[0] != want || ch.Rebuilt {
		t.Fatalf("Forget: %+v, %v; want the tag %x", ch, err, want)
	}
	if g.Erasures() != 1 || !g.Erased(ID{Kind: Email, Value: "ANNA@mail.ru"}) || g.Erased(ID{Kind: Cookie, Value: "c1"}) {
		t.Fatal("Erased or Erasures misreport the erasure")
	}
	if other, _ := g.ErasureTag(ID{Kind: Cookie, Value: "c1"}); other == want {
		t.Fatal("two identifiers share a tag")
	}
	if chs, err := g.PullChanges(context.Background()); err != nil || len(chs) != 0 {
		t.Fatalf("PullChanges on a directory: %v, %v", chs, err)
	}
	if _, err := mustGraph(t, nil).PullChanges(context.Background()); !errors.Is(err, ErrNotPersistent) {
		t.Fatalf("PullChanges on New: %v", err)
	}
}
