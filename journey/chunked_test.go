package journey

import "testing"

func TestChunked(t *testing.T) {
	var c chunked[int]
	if c.len() != 0 {
		t.Fatal("a zero chunked is not empty")
	}
	const n = 3*chunkLen + 5
	for i := range n {
		c.append(i * 7)
	}
	p := c.at(chunkLen - 1)
	for i := range n { // appending did not move what was there
		c.append(0)
		if i == 0 && p != c.at(chunkLen-1) {
			t.Fatal("an element moved")
		}
	}
	if c.len() != 2*n {
		t.Fatalf("len %d, want %d", c.len(), 2*n)
	}
	for i, v := range c.all() {
		want := 0
		if i < n {
			want = i * 7
		}
		if *v != want {
			t.Fatalf("element %d is %d, want %d", i, *v, want)
		}
		if i == 10 {
			*v = -1
		}
	}
	if *c.at(10) != -1 {
		t.Fatal("all does not yield the elements themselves")
	}
	seen := 0
	for range c.all() {
		if seen++; seen == 3 {
			break
		}
	}
}
