package pglog

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/throughline/throughline/identity"
)

// TestPullMovesOnce: a replica pulling another's records moves the
// calibrated threshold once at most, at the end of the pull, to the
// threshold and the profiles the writer reached one call at a time, and
// the last pulled Change reports the move.
func TestPullMovesOnce(t *testing.T) {
	db, _ := newDB(t, nil)
	ctx := context.Background()
	open := func(moves *atomic.Int64) *identity.Graph {
		t.Helper()
		opts := graphOptions()
		opts.Logger = slog.New(moveCounter{moves})
		g, err := identity.OpenBackend(ctx, db.Stream("identity", t.TempDir()), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { g.Close() })
		return g
	}
	var wrote, pulled atomic.Int64
	w, r := open(&wrote), open(&pulled)
	observe := func(os []identity.Observation) {
		t.Helper()
		for _, o := range os {
			if _, err := w.Observe(o); err != nil {
				t.Fatal(err)
			}
		}
	}
	pull := func() []identity.Change {
		t.Helper()
		chs, err := r.PullChanges(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return chs
	}
	same := func(step string) {
		t.Helper()
		if w.Calibration() != r.Calibration() {
			t.Fatalf("%s: the writer's calibration %+v, the reader's %+v", step, w.Calibration(), r.Calibration())
		}
		for _, id := range []string{target1, target2, "email:target@mail.ru", "email:a0@mail.ru", "phone:+79161000100"} {
			k, v, _ := strings.Cut(id, ":")
			pw, err1 := w.Resolve(identity.Kind(k), v)
			pr, err2 := r.Resolve(identity.Kind(k), v)
			if err1 != nil || err2 != nil || pw != pr {
				t.Fatalf("%s: %s is %v (%v) to the writer, %v (%v) to the reader", step, id, pw, err1, pr, err2)
			}
		}
	}
	// The 165th single takes the threshold to 0, the household back to 1.
	observe(calibrationSingles(0, 167))
	observe(calibrationHousehold(0))
	pull()
	if wrote.Load() != 2 || pulled.Load() != 0 || r.Calibration().Threshold != 1 {
		t.Fatalf("to 0 and back: the writer moved %d times, the reader %d (want 2, 0); %+v", wrote.Load(), pulled.Load(), r.Calibration())
	}
	same("to 0 and back")
	// 70 more singles take it to 0 again and merge the target's phones.
	observe(calibrationSingles(167, 237))
	chs := pull()
	if wrote.Load() != 3 || pulled.Load() != 1 || r.Calibration().Threshold != 0 || len(chs) == 0 || len(chs[len(chs)-1].Merges) != 1 {
		t.Fatalf("to 0: the writer moved %d times, the reader %d (want 3, 1); %+v; last Change %+v", wrote.Load(), pulled.Load(), r.Calibration(), chs[len(chs)-1])
	}
	same("to 0")
	if a, _ := r.Resolve(identity.Phone, target1[len("phone:"):]); a != chs[len(chs)-1].Merges[0].Into {
		t.Fatalf("the move's merge is into %v, the target is in %v", chs[len(chs)-1].Merges[0].Into, a)
	}
	// On a shared log ObserveBatch holds the calibration too: a household
	// would take the threshold to 1, and 61 singles after it back to 0.
	os := append(calibrationHousehold(1), calibrationSingles(237, 298)...)
	ps := make([]identity.Prepared, len(os))
	for i, o := range os {
		ps[i], _ = w.Prepare(o)
	}
	if _, err := w.ObserveBatch(ps); err != nil {
		t.Fatal(err)
	}
	pull()
	if wrote.Load() != 3 || pulled.Load() != 1 || r.Calibration().Threshold != 0 {
		t.Fatalf("a batch to 1 and back: the writer moved %d times, the reader %d (want 3, 1); %+v", wrote.Load(), pulled.Load(), r.Calibration())
	}
	same("a batch to 1 and back")
}

const target1, target2 = "phone:+79160000001", "phone:+79160000002"

// calibrationSingles is a target whose second phone, typed days later on
// his one browser, scores 0 (first == 0), and singles [first, last):
// people who typed an email and a phone in separate forms on their one
// browser, a pair of one person's (identity's calibrate_test.go builds
// the same world).
func calibrationSingles(first, last int) []identity.Observation {
	var out []identity.Observation
	if first == 0 {
		out = append(out, calibrationObs(0, "email:target@mail.ru", target1, "cookie:target"), calibrationObs(5, target2, "cookie:target"))
	}
	for i := first; i < last; i++ {
		c := fmt.Sprintf("cookie:single%d", i)
		out = append(out, calibrationObs(0, fmt.Sprintf("email:single%d@mail.ru", i), c), calibrationObs(1, fmt.Sprintf("phone:+7916%07d", 1000000+i), c))
	}
	return out
}

// calibrationHousehold is two people who each typed on a browser of their
// own and on the home computer: plainly two.
func calibrationHousehold(i int) []identity.Observation {
	a, b, h := fmt.Sprintf("email:a%d@mail.ru", i), fmt.Sprintf("email:b%d@mail.ru", i), fmt.Sprintf("cookie:home%d", i)
	return []identity.Observation{
		calibrationObs(0, a, fmt.Sprintf("cookie:a%d", i)), calibrationObs(0, b, fmt.Sprintf("cookie:b%d", i)),
		calibrationObs(2, a, h), calibrationObs(3, b, h),
	}
}

func calibrationObs(day int, ids ...string) identity.Observation {
	o := identity.Observation{Time: time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC).AddDate(0, 0, day), Source: "web_form"}
	for _, s := range ids {
		k, v, _ := strings.Cut(s, ":")
		o.IDs = append(o.IDs, identity.ID{Kind: identity.Kind(k), Value: v})
	}
	return o
}

// A moveCounter is a slog.Handler counting the threshold's moves.
type moveCounter struct{ n *atomic.Int64 }

func (h moveCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h moveCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "identity: bridge threshold moved" {
		h.n.Add(1)
	}
	return nil
}
func (h moveCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h moveCounter) WithGroup(string) slog.Handler      { return h }
