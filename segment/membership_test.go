package segment

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestRestoreMemberships(t *testing.T) {
	set := warmSet()
	set.Segments = append(set.Segments, Segment{Name: "lead\t\"quoted\"", When: Count{Event: Filter{Type: "lead"}, Min: 1}})
	w := newWorld(t, set)
	for _, c := range []string{"a", "b", "c"} {
		w.observe(at(0), "cookie:"+c)
	}
	for i := range 10 {
		w.add("cookie:a", at(float64(i)), "car_view", nil, at(float64(i)))
		w.add("cookie:b", at(float64(i)), "car_view", nil, at(float64(i)))
	}
	w.add("cookie:a", at(10), "lead", nil, at(10))
	w.add("cookie:b", at(10), "lead", nil, at(10))
	w.add("cookie:c", at(10), "lead", nil, at(10))
	var saved bytes.Buffer
	if _, err := w.e.WriteMemberships(context.Background(), &saved); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(saved.String(), membershipMagic+"\nsegments \"warm\" \"lead\\t\\\"quoted\\\"\"\n") || !strings.HasSuffix(saved.String(), "end 3\n") {
		t.Fatalf("file:\n%s", saved.String())
	}
	restart := func(set Set) *Engine {
		e, err := NewEngine(&set, &Options{Store: w.s, Graph: w.g, Reacher: w.r})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// A restart at the same time reports nothing: nobody enters again.
	e := restart(set)
	chs, err := e.Restore(context.Background(), bytes.NewReader(saved.Bytes()), at(10))
	if err != nil || len(chs) != 0 {
		t.Fatalf("restore: %v %v", names(chs), err)
	}
	for _, n := range w.e.Names() {
		if !slices.Equal(e.Members(n), w.e.Members(n)) {
			t.Fatalf("%s differs after restore", n)
		}
	}
	// Down for three weeks: the views aged out meanwhile; a new segment
	// in the set has its members enter.
	set2 := set
	set2.Segments = append(slices.Clone(set.Segments), Segment{Name: "any", When: Count{Event: Filter{}, Min: 1}})
	e = restart(set2)
	chs, err = e.Restore(context.Background(), bytes.NewReader(saved.Bytes()), at(31))
	if got := slices.Sorted(slices.Values(names(chs))); err != nil || !slices.Equal(got, []string{"+any", "+any", "+any", "-warm", "-warm"}) {
		t.Fatalf("restore later: %v %v", names(chs), err)
	}
	if _, err := e.Restore(context.Background(), bytes.NewReader(saved.Bytes()), at(31)); !errors.Is(err, ErrMembership) {
		t.Fatalf("restore into a used engine: %v", err)
	}
	// Cut anywhere before the trailer's end, the file is refused whole.
	b := saved.Bytes()
	for n := range len(b) - 1 {
		if _, err := readMemberships(bytes.NewReader(b[:n])); !errors.Is(err, ErrMembership) {
			t.Fatalf("cut at %d of %d accepted", n, len(b))
		}
	}
	for _, bad := range []string{
		"",
		"hello\n",
		membershipMagic + "\n",
		membershipMagic + "\nsegments \"a\"\nnot-a-uuid\t0\nend 1\n",
		membershipMagic + "\nsegments \"a\"\n" + w.e.Members("warm")[0].String() + "\t1\nend 1\n",
		membershipMagic + "\nsegments \"a\" \"b\"\n" + w.e.Members("warm")[0].String() + "\t1,0\nend 1\n",
		membershipMagic + "\nsegments \"a\nend 0\n",
		membershipMagic + "\nsegments \"a\"\nend 0\nextra\n",
		membershipMagic + "\nsegments \"a\"\nend 2\n",
	} {
		if _, err := readMemberships(strings.NewReader(bad)); !errors.Is(err, ErrMembership) {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func FuzzReadMemberships(f *testing.F) {
	f.Add(membershipMagic + "\nsegments \"warm\" \"x\"\n6cb174c8-5c5c-8084-a190-8fb370db876d\t0,1\nend 1\n")
	f.Add(membershipMagic + "\nsegments\nend 0\n")
	f.Add(membershipMagic + "\nsegments \"a\\\"b\"\nend 0\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := readMemberships(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, ErrMembership) {
				t.Fatal(err)
			}
			return
		}
		for _, l := range s.lines {
			for _, x := range l.ins {
				if x < 0 || x >= len(s.names) {
					t.Fatalf("index %d of %d names", x, len(s.names))
				}
			}
		}
	})
}

// TestWriteMembershipsCancelled: a cancelled write returns the context's
// error, and what it wrote is refused by Restore.
func TestWriteMembershipsCancelled(t *testing.T) {
	w := newWorld(t, warmSet())
	w.observe(t0, "cookie:c1", "email:a@mail.ru")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var saved bytes.Buffer
	if _, err := w.e.WriteMemberships(ctx, &saved); !errors.Is(err, context.Canceled) {
		t.Fatalf("WriteMemberships: %v", err)
	}
	fresh := newWorld(t, warmSet())
	if _, err := fresh.e.Restore(context.Background(), &saved, at(1)); !errors.Is(err, ErrMembership) {
		t.Fatalf("Restore of a cut file: %v", err)
	}
}
