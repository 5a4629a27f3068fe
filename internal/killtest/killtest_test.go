package killtest

import "testing"

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		stored []int
		acked  int
		ok     bool
	}{
		{nil, 0, true},
		{[]int{0, 1, 2}, 3, true},
		{[]int{0, 1, 2, 3}, 3, true},  // written, killed before it was acknowledged
		{[]int{0, 1}, 3, false},       // lost
		{[]int{0, 1, 1, 2}, 3, false}, // doubled
		{[]int{0, 2, 1}, 3, false},    // out of order
		{[]int{1, 2, 3}, 3, false},    // lost at the front
	} {
		_, err := Check(c.stored, c.acked)
		if (err == nil) != c.ok {
			t.Errorf("Check(%v, %d) = %v", c.stored, c.acked, err)
		}
	}
}
