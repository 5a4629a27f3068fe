package identity

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestCalibrationThreshold(t *testing.T) {
	for _, c := range []struct {
		pairs, shared int
		want          float64
	}{
		{0, 0, 1},      // a new graph: the prior alone, 2%
		{100, 0, 1},    // 10/600: too little evidence yet
		{166, 0, 1},    // 10/666 = 1.5015%
		{167, 0, 0},    // 10/667 = 1.4993%
		{2000, 0, 0},   // a population whose households seldom type together
		{2000, 27, 0},  // 37/2500 = 1.48%
		{2000, 28, 1},  // 38/2500 = 1.52%
		{2000, 64, 1},  // 74/2500 = 2.96%
		{2000, 65, 3},  // 75/2500 = 3%
		{2000, 139, 3}, // 149/2500 = 5.96%
		{2000, 140, 5}, // 150/2500 = 6%
		{200, 200, 5},  // every pair two people's
		{10, 0, 1},     // 10/510: the prior outweighs ten pairs
		{10, 10, 3},    // 20/510: but not ten households
		{30, 30, 5},    // 40/530: thirty are
		{100000, 0, 0}, // the reference case at 100x
	} {
		cal := calibration{pairs: c.pairs, shared: c.shared}
		if got := cal.threshold(); got != c.want {
			t.Errorf("pairs %d, shared %d: threshold %g (rate %.5f), want %g", c.pairs, c.shared, got, cal.rate(), c.want)
		}
	}
}

// calibrationWorld is a population built to move the calibration: a
// person whose second phone, typed once on his own browser, scores 0; then
// people who typed an email and a phone in separate forms on their one
// browser (a pair of one person's); then households of two who each typed
// on a browser of their own and on the home computer (plainly two people).
type calibrationWorld struct{}

// target is two people: one whose second phone, typed days later, scores
// 0 (clash −6, typed +3, covered +3), and one whose second phone, typed
// in the same sitting, scores 2 (session +2).
func (calibrationWorld) target() []Observation {
	sitting := at(0, "web_form", "phone:+79160000004", "cookie:sitting")
	sitting.Time = sitting.Time.Add(30 * time.Minute)
	return []Observation{
		at(0, "web_form", "email:target@mail.ru", "phone:+79160000001", "cookie:target"),
		at(5, "web_form", "phone:+79160000002", "cookie:target"),
		at(0, "web_form", "email:sitting@mail.ru", "phone:+79160000003", "cookie:sitting"),
		sitting,
	}
}

func (calibrationWorld) single(i int) []Observation {
	c := fmt.Sprintf("cookie:single%d", i)
	return []Observation{
		at(0, "web_form", fmt.Sprintf("email:single%d@mail.ru", i), c),
		at(1, "web_form", fmt.Sprintf("phone:+7916%07d", 1000000+i), c),
	}
}

func (calibrationWorld) household(i int) []Observation {
	a, b, h := fmt.Sprintf("email:a%d@mail.ru", i), fmt.Sprintf("email:b%d@mail.ru", i), fmt.Sprintf("cookie:home%d", i)
	return []Observation{
		at(0, "web_form", a, fmt.Sprintf("cookie:a%d", i)),
		at(0, "web_form", b, fmt.Sprintf("cookie:b%d", i)),
		at(2, "web_form", a, h),
		at(3, "web_form", b, h),
	}
}

// all is the whole population: the target, singles and households.
func (w calibrationWorld) all(singles, households int) []Observation {
	out := w.target()
	for i := range singles {
		out = append(out, w.single(i)...)
	}
	for i := range households {
		out = append(out, w.household(i)...)
	}
	return out
}

// recounted checks that the graph's running counts are what counting
// every component afresh gives.
func recounted(t *testing.T, g *Graph) {
	t.Helper()
	was, profiles := g.calib, snapshotProfiles(g)
	was.parts = maps.Clone(was.parts)
	g.calib = calibration{}
	g.clusterAll()
	if g.calib.pairs != was.pairs || g.calib.shared != was.shared || !maps.Equal(g.calib.parts, was.parts) {
		t.Fatalf("running counts %d/%d over %d components, counted afresh %d/%d over %d",
			was.pairs, was.shared, len(was.parts), g.calib.pairs, g.calib.shared, len(g.calib.parts))
	}
	if !maps.Equal(snapshotProfiles(g), profiles) {
		t.Fatal("clustering every component afresh at the threshold in force changed the profiles")
	}
}

// TestCalibrationMovesThreshold: the graph's own evidence moves the
// threshold, a score-0 bridge merges and splits with it, the call that
// moves it reports the merge or split, and the counts stay exact through
// retraction, dry runs and erasure.
func TestCalibrationMovesThreshold(t *testing.T) {
	var w calibrationWorld
	g := mustGraph(t, nil)
	for _, o := range w.target() {
		mustObserve(t, g, o)
	}
	const a, b = "phone:+79160000001", "phone:+79160000002"
	const c, d = "phone:+79160000003", "phone:+79160000004" // scoring 2
	if together(t, g, a, b) || !together(t, g, c, d) || g.Calibration().Threshold != 1 {
		t.Fatalf("new graph: threshold %g, second phone together %v", g.Calibration().Threshold, together(t, g, a, b))
	}
	rs, err := g.WhyNot(ID{Phone, "+79160000001"}, ID{Phone, "+79160000002"})
	i := slices.IndexFunc(rs, func(r Refusal) bool { return r.Reason == RefusedBridge })
	if err != nil || i < 0 || rs[i].Bridge.Score != 0 || rs[i].Bridge.Threshold != 1 {
		t.Fatalf("WhyNot = %v, %v; want a bridge scoring 0 against threshold 1", rs, err)
	}
	// The targets' two pairs and 164 one-person pairs leave the rate at
	// the cut; the 165th takes it under, and its Change reports the
	// target's merge.
	for i := range 167 {
		var ch Change
		for _, o := range w.single(i) {
			ch = mustObserve(t, g, o)
		}
		merged := together(t, g, a, b)
		if want := i >= 164; merged != want || (len(ch.Merges) > 0) != (i == 164) {
			t.Fatalf("after %d singles: threshold %g, target together %v, merges reported %v", i+1, g.Calibration().Threshold, merged, ch.Merges)
		}
	}
	if cal := g.Calibration(); cal != (Calibration{Pairs: 169, Shared: 0, Rate: 10.0 / 669, Threshold: 0}) {
		t.Fatalf("calibration %+v", cal)
	}
	// One household is plain evidence that people share browsers: back to 1.
	var ch Change
	for _, o := range w.household(0) {
		ch = mustObserve(t, g, o)
	}
	if together(t, g, a, b) || len(ch.Splits) == 0 || g.Calibration().Threshold != 1 {
		t.Fatalf("after a household: threshold %g, target together %v, splits %v", g.Calibration().Threshold, together(t, g, a, b), ch.Splits)
	}
	for i := 1; i < 11; i++ {
		for _, o := range w.household(i) {
			mustObserve(t, g, o)
		}
		if want := map[bool]float64{false: 1, true: 3}[i == 10]; g.Calibration().Threshold != want || together(t, g, c, d) != (want == 1) {
			t.Fatalf("after %d households: %+v, want threshold %g; the score-2 pair together %v", i+1, g.Calibration(), want, together(t, g, c, d))
		}
	}
	recounted(t, g)
	// Retracting one household's typing at home: 20/679, back to 1.
	last := ObservationID(g.Stats().Observations - 1)
	before := g.Calibration()
	if _, err := g.PreviewRetract(last); err != nil || g.Calibration() != before {
		t.Fatalf("a dry run moved the calibration: %+v, was %+v (%v)", g.Calibration(), before, err)
	}
	recounted(t, g)
	if _, err := g.Retract(last); err != nil {
		t.Fatal(err)
	}
	if cal := g.Calibration(); cal.Shared != 10 || cal.Pairs != 179 || cal.Threshold != 1 || !together(t, g, c, d) {
		t.Fatalf("after a retraction: %+v", cal)
	}
	recounted(t, g)
	if _, err := g.PreviewForget(Email, "a1@mail.ru"); err != nil || g.Calibration().Shared != 10 {
		t.Fatalf("a dry run moved the calibration: %+v (%v)", g.Calibration(), err)
	}
	if _, err := g.Forget(context.Background(), Email, "a1@mail.ru"); err != nil {
		t.Fatal(err)
	}
	if cal := g.Calibration(); cal.Shared != 9 || cal.Pairs != 178 {
		t.Fatalf("after an erasure: %+v", cal)
	}
	recounted(t, g)
}

// TestCalibrationOrderIndependent: the profiles, including those a moved
// threshold re-decided, depend on which observations exist, not on their
// order, and every change is reported.
func TestCalibrationOrderIndependent(t *testing.T) {
	var w calibrationWorld
	os := w.all(200, 5) // threshold 1 in the end, 0 on the way when singles come first
	answer := func(os []Observation) (map[ID]ProfileID, Calibration) {
		g := mustGraph(t, nil)
		for _, o := range os {
			mustObserve(t, g, o)
		}
		return snapshotProfiles(g), g.Calibration()
	}
	want, wantCal := answer(os)
	if wantCal.Threshold != 1 || wantCal.Shared != 5 {
		t.Fatalf("calibration %+v", wantCal)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 3 {
		shuffled := slices.Clone(os)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, cal := answer(shuffled)
		if cal != wantCal || !maps.Equal(got, want) {
			t.Fatalf("round %d: calibration %+v, want %+v; profiles equal %v", round, cal, wantCal, maps.Equal(got, want))
		}
	}
	checkChangesTrackProfiles(t, mustGraph(t, nil), w.all(200, 0))
	checkChangesTrackProfiles(t, mustGraph(t, nil), append(w.all(200, 0), w.household(0)...))
}

// TestCalibrationPersists: a graph reopened from its snapshot and journal
// has the counts and the threshold it had, so replicas and restarts agree.
func TestCalibrationPersists(t *testing.T) {
	var w calibrationWorld
	dir := t.TempDir()
	ctx := context.Background()
	g, err := Open(ctx, dir, &Options{Sync: SyncNever})
	if err != nil {
		t.Fatal(err)
	}
	os := w.all(200, 0)
	for i, o := range os {
		mustObserve(t, g, o)
		if i == len(os)/2 {
			if err := g.Snapshot(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, wantCal := snapshotProfiles(g), g.Calibration()
	if wantCal.Threshold != 0 {
		t.Fatalf("calibration %+v", wantCal)
	}
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopened from a snapshot and a journal, then from a snapshot alone.
	for round := range 2 {
		back, err := Open(ctx, dir, &Options{Sync: SyncNever})
		if err != nil {
			t.Fatal(err)
		}
		if got := snapshotProfiles(back); back.Calibration() != wantCal || !maps.Equal(got, want) {
			t.Fatalf("round %d: reopened with calibration %+v, want %+v; profiles equal %v", round, back.Calibration(), wantCal, maps.Equal(got, want))
		}
		recounted(t, back)
		if err := back.Snapshot(ctx); err != nil {
			t.Fatal(err)
		}
		if err := back.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCalibrationFixedThreshold: a threshold the host sets is used as it
// is, and the counts are still reported.
func TestCalibrationFixedThreshold(t *testing.T) {
	var w calibrationWorld
	g := mustGraph(t, &Options{Policy: Policy{Threshold: 2}})
	for _, o := range w.all(200, 0) {
		mustObserve(t, g, o)
	}
	if c := g.Calibration(); c.Threshold != 2 || c.Pairs != 202 {
		t.Fatalf("calibration %+v", c)
	}
	if together(t, g, "phone:+79160000001", "phone:+79160000002") {
		t.Fatal("a score-0 bridge merged under a fixed threshold of 2")
	}
}

// TestCalibrationCustomDecide: under a custom Decide, which may judge any
// bridge by the threshold, a move clusters again every component with a
// candidate bridge, not only those with bridges in the band.
func TestCalibrationCustomDecide(t *testing.T) {
	var w calibrationWorld
	g := mustGraph(t, &Options{Policy: Policy{Decide: func(b Bridge) bool { return b.Typed > 0 && b.Score+3 >= b.Threshold }}})
	// A second phone typed 30 days later: score −3 (far), merged by this
	// Decide at threshold 0 only.
	mustObserve(t, g, at(0, "web_form", "email:far@mail.ru", "phone:+79160000005", "cookie:far"))
	mustObserve(t, g, at(30, "web_form", "phone:+79160000006", "cookie:far"))
	if together(t, g, "phone:+79160000005", "phone:+79160000006") {
		t.Fatal("merged at threshold 1")
	}
	for i := range 200 {
		for _, o := range w.single(i) {
			mustObserve(t, g, o)
		}
	}
	if g.Calibration().Threshold != 0 || !together(t, g, "phone:+79160000005", "phone:+79160000006") {
		t.Fatalf("%+v: the far pair was not decided again", g.Calibration())
	}
	recounted(t, g)
}

// TestCalibrationMovesToFive: where most households type on the home
// computer (rate ≥ 6%), the threshold goes to 5, and a bridge scoring 3
// (an email-only and a phone-only form on one browser, weeks apart: typed
// +3, covered +3, far −3), merged at 3, is split by the call that moves it.
func TestCalibrationMovesToFive(t *testing.T) {
	var w calibrationWorld
	g := mustGraph(t, nil)
	const e, f = "email:far@mail.ru", "phone:+79160000009"
	mustObserve(t, g, at(0, "web_form", e, "cookie:far"))
	mustObserve(t, g, at(40, "web_form", f, "cookie:far"))
	if !together(t, g, e, f) {
		t.Fatal("new graph (threshold 1): the score-3 pair apart")
	}
	moved := -1
	for i := range 40 {
		var ch Change
		for _, o := range w.household(i) {
			ch = mustObserve(t, g, o)
		}
		th := g.Calibration().Threshold
		if together(t, g, e, f) != (th < 5) {
			t.Fatalf("after %d households: threshold %g, the score-3 pair together %v", i+1, th, together(t, g, e, f))
		}
		if th == 5 && moved < 0 {
			moved = i
			if len(ch.Splits) == 0 {
				t.Fatalf("the move to 5 reported no split: %+v", ch)
			}
		}
	}
	// (n + 0.02·500) / (1 + n + 500) ≥ 0.06 from the 22nd household on.
	if cal := g.Calibration(); moved != 21 || cal.Threshold != 5 {
		t.Fatalf("threshold 5 after %d households; now %+v", moved+1, cal)
	}
	rs, err := g.WhyNot(ID{Email, "far@mail.ru"}, ID{Phone, "+79160000009"})
	if i := slices.IndexFunc(rs, func(r Refusal) bool { return r.Reason == RefusedBridge }); err != nil || i < 0 || rs[i].Bridge.Score != 3 || rs[i].Bridge.Threshold != 5 {
		t.Fatalf("WhyNot = %v, %v; want a bridge scoring 3 against threshold 5", rs, err)
	}
	recounted(t, g)
}

// TestCalibrationHeldInBatches: ObserveBatch and a replay move the
// threshold at most once, at their end, to the threshold and the profiles
// one call at a time gives, and the batch's last Change reports the move.
// (A pull does too: pglog's TestPullMovesOnce.)
func TestCalibrationHeldInBatches(t *testing.T) {
	var w calibrationWorld
	there := w.all(167, 0)                                 // the 165th single takes the threshold to 0 and merges the target
	back := append(slices.Clone(there), w.household(0)...) // and a household back to 1
	for _, tc := range []struct {
		name             string
		os               []Observation
		th               float64
		perCall, batched int64
		lastMergesTarget bool
	}{
		{"to 0", there, 0, 1, 1, true},
		{"to 0 and back", back, 1, 2, 0, false},
	} {
		var perCall, batched moveCounter
		one := mustGraph(t, &Options{Logger: slog.New(&perCall)})
		for _, o := range tc.os {
			mustObserve(t, one, o)
		}
		g := mustGraph(t, &Options{Logger: slog.New(&batched)})
		ps := make([]Prepared, len(tc.os))
		for i, o := range tc.os {
			ps[i], _ = g.Prepare(o)
		}
		chs, err := g.ObserveBatch(ps)
		if err != nil {
			t.Fatal(err)
		}
		if perCall.n != tc.perCall || batched.n != tc.batched || g.Calibration() != one.Calibration() || g.Calibration().Threshold != tc.th {
			t.Fatalf("%s: %d moves one call at a time, %d in a batch (want %d, %d); calibration %+v and %+v",
				tc.name, perCall.n, batched.n, tc.perCall, tc.batched, one.Calibration(), g.Calibration())
		}
		if !maps.Equal(snapshotProfiles(g), snapshotProfiles(one)) {
			t.Fatalf("%s: the batch's profiles differ from one call at a time", tc.name)
		}
		if together(t, g, "phone:+79160000001", "phone:+79160000002") != tc.lastMergesTarget ||
			(len(chs[len(chs)-1].Merges) > 0) != tc.lastMergesTarget {
			t.Fatalf("%s: the target's merge %v, in the last Change %+v", tc.name, tc.lastMergesTarget, chs[len(chs)-1])
		}
		checkChangesReported(t, g, chs)
		recounted(t, g)
	}
	// A replay holds the calibration too: the journal of "to 0 and back"
	// reopens without a move, that of "to 0" with one.
	for _, tc := range []struct {
		os    []Observation
		moves int64
	}{{back, 0}, {there, 1}} {
		dir := t.TempDir()
		g, err := Open(context.Background(), dir, &Options{Sync: SyncNever})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range tc.os {
			mustObserve(t, g, o)
		}
		want, wantCal := snapshotProfiles(g), g.Calibration()
		g.Close()
		var moves moveCounter
		g, err = Open(context.Background(), dir, &Options{Sync: SyncNever, Logger: slog.New(&moves)})
		if err != nil {
			t.Fatal(err)
		}
		if moves.n != tc.moves || g.Calibration() != wantCal || !maps.Equal(snapshotProfiles(g), want) {
			t.Fatalf("reopened with %d moves (want %d), calibration %+v (want %+v)", moves.n, tc.moves, g.Calibration(), wantCal)
		}
		recounted(t, g)
		g.Close()
	}
}

// A moveCounter is a slog.Handler counting the threshold's moves.
type moveCounter struct{ n int64 }

func (h *moveCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *moveCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "identity: bridge threshold moved" {
		h.n++
	}
	return nil
}
func (h *moveCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *moveCounter) WithGroup(string) slog.Handler      { return h }
