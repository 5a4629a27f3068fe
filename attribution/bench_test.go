package attribution

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// benchCSV is 1M aggregated paths over 12 channels, lengths 1 to 10, in
// ChannelAttribution's format (about 60 MB).
var benchCSV = sync.OnceValue(func() []byte {
	rng := rand.New(rand.NewPCG(42, 42))
	channels := []string{"search", "display", "retargeting", "yandex_direct", "rsya", "vk", "email", "sms", "call", "organic", "direct", "referral"}
	var b bytes.Buffer
	b.WriteString("path;total_conversions;total_conversion_value;total_null\n")
	for range 1_000_000 {
		l := 1 + rng.IntN(10)
		for j := range l {
			if j > 0 {
				b.WriteString(" > ")
			}
			b.WriteString(channels[rng.IntN(len(channels))])
		}
		c := rng.IntN(3)
		fmt.Fprintf(&b, ";%d;%d;%d\n", c, c*(1000+rng.IntN(100000)), rng.IntN(20))
	}
	return b.Bytes()
})

// BenchmarkMillionPaths parses 1M paths and runs a model, end to end.
func BenchmarkMillionPaths(b *testing.B) {
	data := benchCSV()
	runtime.GC() // the generator's garbage is not the models' cost
	for _, m := range []Model{FirstTouch{}, LastTouch{}, Linear{}, PositionBased{}, Shapley{}, Markov{Order: 1}, Markov{Order: 2}, Markov{Order: 3}, Markov{Order: 4}} {
		name := m.Name()
		if mk, ok := m.(Markov); ok {
			name = fmt.Sprintf("markov%d", mk.Order)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				d, bad, err := ReadCSV(context.Background(), bytes.NewReader(data))
				if err != nil || len(bad) != 0 {
					b.Fatal(err, bad)
				}
				if _, err := m.Attribute(context.Background(), d); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data))/1e6, "MB")
		})
	}
}

// BenchmarkReadCSV parses 1M paths.
func BenchmarkReadCSV(b *testing.B) {
	data := benchCSV()
	for b.Loop() {
		if _, _, err := ReadCSV(context.Background(), bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}
