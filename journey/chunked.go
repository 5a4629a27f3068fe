package journey

import "iter"

// A chunked is a growing list kept in fixed chunks: appending never
// copies what is there. A store interns a list of identifiers for about
// every profile; as one slice of slice headers, each doubling would copy
// them all, behind the collector's write barriers.
type chunked[T any] struct {
	chunks [][]T
	n      int
}

const chunkLen = 4096

func (c *chunked[T]) len() int { return c.n }

// at returns element i, below len.
func (c *chunked[T]) at(i int) *T { return &c.chunks[i/chunkLen][i%chunkLen] }

func (c *chunked[T]) append(v T) {
	if c.n%chunkLen == 0 {
		c.chunks = append(c.chunks, make([]T, 0, chunkLen))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, v)
	c.n++
}

// all yields the elements in order.
func (c *chunked[T]) all() iter.Seq2[int, *T] {
	return func(yield func(int, *T) bool) {
		for i := range c.n {
			if !yield(i, c.at(i)) {
				return
			}
		}
	}
}
