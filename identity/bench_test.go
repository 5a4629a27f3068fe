package identity

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// benchPeople returns n observations of 3 identifiers (email, phone, cookie)
// in raw spellings, about three per person, as a web form sends them.
func benchObservations(n int) []Observation {
	rng := rand.New(rand.NewPCG(11, 12))
	people := n / 3
	out := make([]Observation, n)
	for i := range out {
		p := rng.IntN(people)
		phone := 9000000000 + p
		email := fmt.Sprintf("Person.%d@Mail.ru", p)
		if p%3 == 0 {
			email = fmt.Sprintf("Person.%d+cars@Gmail.com", p)
		}
		cookie := fmt.Sprintf("GA1.2.%d.%d", 100000000+rng.IntN(900000000), 1700000000+i)
		out[i] = Observation{
			Time:   time.Unix(int64(1700000000+i), 0),
			Source: "web_form",
			IDs: []ID{
				{Email, email},
				{Phone, fmt.Sprintf("8 (%03d) %03d-%02d-%02d", phone/10000000%1000, phone/10000%1000, phone/100%100, phone%100)},
				{Cookie, cookie},
			},
		}
	}
	return out
}

// BenchmarkObserve: one observation of three raw identifiers, normalization
// included. "hot": 10^4 people whose records stay in cache; "1e6": a graph
// growing to about 10^6 identifiers, where each lookup misses the cache.
// "rules" runs the default policy, "core" the plain union (Policy.Disabled);
// "erasures" is a graph that has forgotten an identifier, as every graph
// in service has, so each observation is checked against the tombstones.
func BenchmarkObserve(b *testing.B) {
	for _, c := range []struct {
		name   string
		n      int
		opts   *Options
		forgot bool
	}{{"hot/rules", 1 << 15, nil, false}, {"hot/core", 1 << 15, noRules, false}, {"hot/rules/erasures", 1 << 15, nil, true},
		{"1e6/rules", 1 << 21, nil, false}, {"1e6/core", 1 << 21, noRules, false}} {
		b.Run(c.name, func(b *testing.B) {
			os := benchObservations(c.n)
			g := mustGraph(b, c.opts)
			if c.forgot { // one erasure: from then on each identifier is checked against the tombstones
				if _, err := g.Observe(Observation{Source: "web_form", IDs: []ID{{Email, "gone@example.com"}}}); err != nil {
					b.Fatal(err)
				}
				if _, err := g.Forget(b.Context(), Email, "gone@example.com"); err != nil {
					b.Fatal(err)
				}
			}
			i := 0
			for b.Loop() {
				if _, err := g.Observe(os[i&(len(os)-1)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(g.Stats().Identifiers), "identifiers")
		})
	}
}

// BenchmarkNormalize measures each built-in normalizer on a typical value.
func BenchmarkNormalize(b *testing.B) {
	for _, c := range []struct {
		name string
		f    func(string) (string, error)
		in   string
	}{
		{"email", NormalizeEmail, "Ivan.Petrov+cars@Gmail.com"},
		{"email_cyrillic", NormalizeEmail, "Анна@Почта.РФ"},
		{"phone", NormalizePhone, "8 (916) 123-45-67"},
		{"cookie", NormalizeCookie, "GA1.2.512900830.1700083068"},
		{"device", NormalizeDevice, "6F9619FF-8B86-D011-B42D-00CF4FC964FF"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.f(c.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func resolveGraph(b *testing.B, n int) (*Graph, []ID) {
	b.Helper()
	g := mustGraph(b, nil)
	ids := make([]ID, 0, n)
	for i := 0; i < n; i += 2 {
		e := ID{Email, fmt.Sprintf("person%d@example.com", i)}
		c := ID{Cookie, fmt.Sprintf("%d.%d", 100000000+i, 1700000000+i)}
		if _, err := g.Observe(Observation{Source: "bench", IDs: []ID{e, c}}); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, e, c)
	}
	rand.New(rand.NewPCG(1, 1)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return g, ids
}

// graphSizes are the sizes resolve benchmarks run at: a graph whose records
// stay in cache, and one of 10^6 identifiers queried at random, where each of
// the three cache lines a lookup reads (index slot, record, root record) is a
// miss.
var graphSizes = []struct {
	name string
	n    int
}{{"hot", 10_000}, {"1e6", 1_000_000}}

// BenchmarkResolve: one lookup of a raw identifier that is already written
// canonically (as services store and query them): found on the first probe.
func BenchmarkResolve(b *testing.B) { benchResolve(b, nil) }

// benchResolve times Resolve over every graph size, on identifiers
// respelled by spell (nil: as stored).
func benchResolve(b *testing.B, spell func(ID) string) {
	for _, size := range graphSizes {
		b.Run(size.name, func(b *testing.B) {
			g, ids := resolveGraph(b, size.n)
			if spell != nil {
				for i, id := range ids {
					ids[i].Value = spell(id)
				}
			}
			i := 0
			for b.Loop() {
				id := ids[i%len(ids)]
				if _, err := g.Resolve(id.Kind, id.Value); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkResolveAll: the same lookups 256 at a time, as journey's
// AddBatch and Load make them.
func BenchmarkResolveAll(b *testing.B) {
	for _, size := range graphSizes {
		b.Run(size.name, func(b *testing.B) {
			g, ids := resolveGraph(b, size.n)
			for i := range ids { // as a batch arrives: its strings side by side
				ids[i].Value = strings.Clone(ids[i].Value)
			}
			const batch = 256
			var dst []ProfileID
			i := 0
			for b.Loop() {
				if i+batch > len(ids) {
					i = 0
				}
				dst = g.ResolveAll(dst[:0], ids[i:i+batch])
				if dst[0].IsZero() {
					b.Fatal("not resolved")
				}
				i += batch
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/identifier")
		})
	}
}

// BenchmarkResolveSpelled: lookups of identifiers as forms spell them
// (upper-case emails, _ga cookies with their GA1.2. prefix), which miss the
// canonical-first probe and are normalized.
func BenchmarkResolveSpelled(b *testing.B) {
	benchResolve(b, func(id ID) string {
		if id.Kind == Email {
			return strings.ToUpper(id.Value[:1]) + id.Value[1:]
		}
		return "GA1.2." + id.Value
	})
}

// BenchmarkResolveID: the same lookup of a canonical identifier.
func BenchmarkResolveID(b *testing.B) {
	for _, size := range graphSizes {
		b.Run(size.name, func(b *testing.B) {
			g, ids := resolveGraph(b, size.n)
			i := 0
			for b.Loop() {
				if _, err := g.ResolveID(ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkResolveParallel: lookups from every core at once.
func BenchmarkResolveParallel(b *testing.B) {
	for _, size := range graphSizes {
		b.Run(size.name, func(b *testing.B) {
			g, ids := resolveGraph(b, size.n)
			var seed atomic.Int64
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := int(seed.Add(7919))
				for pb.Next() {
					id := ids[i%len(ids)]
					if _, err := g.Resolve(id.Kind, id.Value); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
}

// BenchmarkBytesPerIdentifier builds a graph of 10^6 identifiers and reports
// the memory it holds per identifier, evidence aside, both as the graph
// counts it and as the Go heap grew.
func BenchmarkBytesPerIdentifier(b *testing.B) {
	os := benchObservations(1_000_000)
	var st Stats
	var heap uint64
	for b.Loop() {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		g := mustGraph(b, nil)
		for _, o := range os {
			if st = g.Stats(); st.Identifiers >= 1_000_000 {
				break
			}
			if _, err := g.Observe(o); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		heap = m1.HeapAlloc - m0.HeapAlloc
		st = g.Stats()
		runtime.KeepAlive(g)
	}
	b.ReportMetric(float64(st.IndexBytes)/float64(st.Identifiers), "bytes/id")
	b.ReportMetric(float64(heap-uint64(st.EvidenceBytes))/float64(st.Identifiers), "heap-bytes/id")
	b.ReportMetric(float64(st.EvidenceBytes)/float64(st.Observations), "evidence-bytes/obs")
}

// BenchmarkObserveRepeated: one value typed again and again with the same
// companions, as a CRM sync resends a record or a customer fills in the
// same form every week: a landline with an email (the shared-value rule's
// fixed-line test) and a person's two mobiles (its own-kind test), in
// observations 1..n of one fresh graph. ns/obs is the mean cost of one
// observation; it must not grow with n faster than the component's own
// re-clustering does.
func BenchmarkObserveRepeated(b *testing.B) {
	for _, c := range []struct {
		name string
		ids  []ID
	}{
		{"landline", []ID{{Phone, "+74951234567"}, {Email, "office@firm.ru"}, {Cookie, "GA1.2.1.1700000000"}}},
		{"two_mobiles", []ID{{Phone, "+79161234567"}, {Phone, "+79031234567"}, {Cookie, "GA1.2.1.1700000000"}}},
	} {
		for _, n := range []int{500, 2000} {
			b.Run(fmt.Sprintf("%s/%d", c.name, n), func(b *testing.B) {
				for b.Loop() {
					g := mustGraph(b, nil)
					for i := range n {
						if _, err := g.Observe(Observation{Time: time.Unix(int64(1700000000+i*3600), 0), Source: "web_form", IDs: c.ids}); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/obs")
			})
		}
	}
}
