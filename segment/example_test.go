package segment_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
	"github.com/throughline/throughline/segment"
)

// The reference dealer's warm customers, as a marketer would store them.
func ExampleParseSet() {
	set, err := segment.ParseSet([]byte(`{"segments":[{"name":"warm","when":{"and":[
		{"count":{"event":{"type":"car_view"},"min":10,"window":{"last":"30d"}}},
		{"count":{"event":{"type":"lead"},"min":1}},
		{"none":{"event":{"type":"contract"}}}]}}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set.Segments[0].Name, len(set.Segments[0].When.(segment.And)), "conditions")

	// A mistake is reported at its path.
	_, err = segment.ParseCondition([]byte(`{"and":[{"has":"email"},{"has":"phone"},
		{"count":{"event":{"type":"car_view"},"min":10,"window":{"last":"30d","from":"2026-01-01T00:00:00Z"}}}]}`))
	fmt.Println(err)
	// Output:
	// warm 3 conditions
	// segment: and[2].count.window: last and from/to are exclusive
}

func ExampleEngine() {
	g, _ := identity.New(nil)
	store, _ := journey.New(g, nil)
	set := &segment.Set{Segments: []segment.Segment{{Name: "warm", When: segment.And{
		segment.Count{Event: segment.Filter{Type: journey.CarView}, Min: 3, Window: segment.Window{Last: 30 * 24 * time.Hour}},
		segment.None{Event: segment.Filter{Type: journey.Contract}},
	}}}}
	e, err := segment.NewEngine(set, &segment.Options{Store: store, Graph: g})
	if err != nil {
		fmt.Println(err)
		return
	}
	ch, _ := g.Observe(identity.Observation{Source: "web_form", IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.111.222"}}})
	e.Follow(ch, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))

	day := func(d int) time.Time { return time.Date(2026, 6, d, 12, 0, 0, 0, time.UTC) }
	show := func(chs []segment.Transition) {
		for _, c := range chs {
			fmt.Println(c.At.Format("Jan 2"), c.Segment, map[bool]string{true: "entered", false: "exited"}[c.Entered], "by", c.Cause)
		}
	}
	for d := 1; d <= 3; d++ {
		chs, _ := e.Add(journey.Event{Time: day(d), Type: journey.CarView, IDs: []identity.ID{{Kind: identity.Cookie, Value: "GA1.2.111.222"}}}, day(d))
		show(chs)
	}
	// Thirty days after the first view, time alone takes her out.
	chs, _ := e.Refresh(context.Background(), day(31))
	show(chs)
	// Output:
	// Jun 3 warm entered by event
	// Jul 1 warm exited by time
}

func ExampleMetricaConversions() {
	g, _ := identity.New(nil)
	store, _ := journey.New(g, nil)
	cookie := []identity.ID{{Kind: identity.Cookie, Value: "1700000000111"}}
	g.Observe(identity.Observation{Source: "web", IDs: cookie})
	store.Add(journey.Event{Time: time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC), Type: journey.PageView, IDs: cookie,
		Touch: journey.Touch{Source: "yandex", Medium: "cpc", YCLID: "2871"}})
	price, _ := journey.ParseMoney("2500000", "RUB")
	store.Add(journey.Event{Time: time.Date(2026, 6, 20, 12, 0, 0, 0, time.UTC), Type: journey.Contract, IDs: cookie, Value: price})

	rows, skipped, _ := segment.MetricaConversions(store, segment.MetricaConfig{
		IDType: segment.MetricaYclid, Goals: map[journey.EventType]string{journey.Contract: "contract_signed"},
		Now: time.Date(2026, 6, 22, 0, 0, 0, 0, time.UTC)})
	segment.WriteMetricaConversions(os.Stdout, segment.MetricaYclid, nil, rows)
	fmt.Println(len(skipped), "skipped")
	// Output:
	// Yclid,Target,DateTime,Price,Currency
	// 2871,contract_signed,1781956800,2500000.00,RUB
	// 0 skipped
}
