package journey

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTimelineRoundTrip encodes records with every kind of difference
// (negative and sub-second times, equal times, identifier lists and event
// numbers going down as well as up, large values) and decodes them back.
func TestTimelineRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n := rng.IntN(40)
		rs := make([]rec, n)
		tm := int64(rng.IntN(1<<40)) - 1<<39
		if trial == 0 {
			tm = math.MinInt64 / 2
		}
		for i := range rs {
			switch rng.IntN(4) {
			case 0: // same time
			case 1:
				tm += int64(rng.IntN(1e9)) // sub-second
			case 2:
				tm += int64(rng.IntN(90*24*3600)) * 1e9 // whole seconds
			default:
				tm += int64(rng.Uint64() >> 4)
			}
			rs[i] = rec{t: tm, ev: rng.Uint32(), typ: uint32(rng.IntN(70_000)), touch: rng.Uint32(), ids: rng.Uint32(), extra: uint32(rng.IntN(2)) * rng.Uint32()}
		}
		tl := encodeTimeline(rs)
		got := tl.decode(nil)
		if len(got) != n || int(tl.n) != n {
			t.Fatalf("trial %d: %d records back, want %d", trial, len(got), n)
		}
		for i := range rs {
			if got[i] != rs[i] {
				t.Fatalf("trial %d, record %d: %+v, want %+v", trial, i, got[i], rs[i])
			}
		}
		// Appending after decoding continues from the last record.
		if n > 0 {
			more := rec{t: tm + 1e9, ev: 3, typ: 1, ids: 9}
			tl.push(more)
			if back := tl.decode(nil); back[n] != more {
				t.Fatalf("trial %d: appended %+v, read %+v", trial, more, back[n])
			}
		}
	}
}

// TestTimelineSize holds the layout to its point: a person's events one
// identifier list, hours apart, numbered close together, take a few bytes
// each.
func TestTimelineSize(t *testing.T) {
	var tl timeline
	for i := range 100 {
		tl.push(rec{t: 1.7e18 + int64(i)*3600e9, ev: uint32(1000 + 3*i), typ: 2, ids: 5})
	}
	if per := float64(len(tl.data)) / 100; per > 4.2 {
		t.Fatalf("%.1f bytes a record, want ≤ 4.2", per)
	}
}

// TestTimelineInsert inserts records in random order and checks the
// timeline against the sorted records.
func TestTimelineInsert(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cmp := func(a, b rec) int {
		switch {
		case a.t < b.t:
			return -1
		case a.t > b.t:
			return 1
		}
		return int(a.ev) - int(b.ev)
	}
	for trial := range 100 {
		var tl timeline
		var want []rec
		for i := range rng.IntN(60) {
			r := rec{t: int64(rng.IntN(50)) * 1e9, ev: uint32(i), typ: uint32(rng.IntN(5)), ids: uint32(rng.IntN(3)), touch: uint32(rng.IntN(2)), extra: uint32(rng.IntN(3))}
			if tl.n == 0 || cmp(want[len(want)-1], r) < 0 {
				tl.push(r)
			} else {
				tl.insert(r, cmp)
			}
			want = append(want, r)
			slices.SortFunc(want, cmp)
		}
		if got := tl.decode(nil); !slices.Equal(got, want) {
			t.Fatalf("trial %d:\n got %+v\nwant %+v", trial, got, want)
		}
	}
}
