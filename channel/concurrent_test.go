package channel

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse exercises every type documented as safe for concurrent
// use from several goroutines at once; run under -race.
func TestConcurrentUse(t *testing.T) {
	c := newTestClassifier(t)
	rows := readGolden(t)
	l := mustLinks(t, LinkOptions{Keys: map[uint32][]byte{1: key1}, Current: 1})
	tok, _ := l.Sign(testClaims(t))
	pool := mustPool(t, CallPoolOptions{Numbers: poolNumbers(5), Default: defaultNumber})
	r := newReacher(t)
	var wg sync.WaitGroup
	for g := range 4 {
		p := profileN(t, byte(10+g))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				want := rows[i%len(rows)]
				if got := c.Classify(want.touch).Channel; got != want.deflt {
					t.Errorf("concurrent Classify = %q, want %q", got, want.deflt)
					return
				}
				if _, err := l.Verify(tok, "view", t0); err != nil {
					t.Error(err)
					return
				}
				at := t0.Add(time.Duration(i) * time.Second)
				num, _ := pool.Assign(SessionRef{fmt.Sprint(g, "-", i%7), "c"}, at)
				if num != defaultNumber {
					if _, err := pool.Match(num, "+79160000000", at); err != nil {
						t.Error(err)
						return
					}
				}
				r.SetContact(p, "email", "x@mail.ru")
				r.RecordConsent(p, Consent{Channel: "email", Purpose: "marketing", Status: ConsentGranted, At: at})
				r.RecordSend(p, "email", at)
				r.Reach(p, "marketing", at)
			}
		}()
	}
	wg.Wait()
}
