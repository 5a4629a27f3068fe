package attribution_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/throughline/throughline/attribution"
)

// The Anderl et al. toy: one converting path and two that did not convert.
func anderl() *attribution.Dataset {
	return attribution.NewDataset([]attribution.Path{
		attribution.PathOf(1, 100, 0, "C1", "C2", "C3"),
		attribution.PathOf(0, 0, 1, "C1"),
		attribution.PathOf(0, 0, 1, "C2", "C3"),
	})
}

func ExampleMarkov() {
	r, _ := attribution.Markov{}.Attribute(context.Background(), anderl())
	fmt.Printf("P(conversion) %.4f\n", r.PConversion)
	for _, c := range r.Credits {
		fmt.Printf("%s removal %.2f conversions %.2f value %.0f\n", c.Channel, c.RemovalEffect, c.Conversions, c.Value)
	}
	// Output:
	// P(conversion) 0.3333
	// C1 removal 0.50 conversions 0.20 value 20
	// C2 removal 1.00 conversions 0.40 value 40
	// C3 removal 1.00 conversions 0.40 value 40
}

func ExampleCompare() {
	rs, _ := attribution.Compare(context.Background(), anderl(), attribution.FirstTouch{}, attribution.LastTouch{}, attribution.PositionBased{}, attribution.Shapley{})
	for _, r := range rs {
		fmt.Printf("%-8s C1 %.2f C2 %.2f C3 %.2f\n", r.Model, r.Credit("C1").Conversions, r.Credit("C2").Conversions, r.Credit("C3").Conversions)
	}
	// Output:
	// first    C1 1.00 C2 0.00 C3 0.00
	// last     C1 0.00 C2 0.00 C3 1.00
	// position C1 0.40 C2 0.20 C3 0.40
	// shapley  C1 0.33 C2 0.33 C3 0.33
}

func ExampleTimeDecay() {
	sale := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	p := attribution.Path{Conversions: 1, ConvertedAt: sale, Touches: []attribution.Touch{
		{Channel: "display", Time: sale.AddDate(0, 0, -14)},
		{Channel: "retargeting", Time: sale.AddDate(0, 0, -7)},
		{Channel: "call", Time: sale},
	}}
	r, _ := attribution.TimeDecay{}.Attribute(context.Background(), attribution.NewDataset([]attribution.Path{p}))
	for _, c := range r.Credits {
		fmt.Printf("%s %.4f\n", c.Channel, c.Conversions)
	}
	// Output:
	// call 0.5714
	// display 0.1429
	// retargeting 0.2857
}

func ExampleReadCSV() {
	in := "path;total_conversions;total_conversion_value;total_null\n" +
		"search > retargeting;3;900000;10\n" +
		"display;0;0;40\n" +
		"display > retargeting;1;250000;5\n"
	d, bad, err := attribution.ReadCSV(context.Background(), strings.NewReader(in))
	fmt.Println(d.Len(), len(bad), err)
	r, _ := attribution.LastTouch{}.Attribute(context.Background(), d)
	fmt.Println(r.Credit("retargeting").Conversions, r.Credit("retargeting").Value)
	// Output:
	// 3 0 <nil>
	// 4 1.15e+06
}

// Credit by dealership instead of channel: the same models, other names.
func ExampleRekey() {
	paths := []attribution.Path{{Conversions: 1, Touches: []attribution.Touch{
		{Channel: "search", Attrs: map[string]string{"dealership": "North"}},
		{Channel: "call", Attrs: map[string]string{"dealership": "North"}},
		{Channel: "showroom", Attrs: map[string]string{"dealership": "South"}},
	}}}
	byDealer := attribution.Rekey(paths, func(t attribution.Touch) string { return t.Attrs["dealership"] })
	r, _ := attribution.Linear{}.Attribute(context.Background(), attribution.NewDataset(byDealer))
	for _, c := range r.Credits {
		fmt.Printf("%s %.3f\n", c.Channel, c.Conversions)
	}
	// Output:
	// North 0.667
	// South 0.333
}

// searchOnly is a host's own model: a Name and an Attribute method make
// any type an attribution.Model.
type searchOnly struct{}

func (searchOnly) Name() string { return "search_only" }

func (searchOnly) Attribute(ctx context.Context, d *attribution.Dataset) (attribution.Result, error) {
	r, err := attribution.FirstTouch{}.Attribute(context.Background(), d)
	r.Model = "search_only"
	return r, err
}

func ExampleModel() {
	rs, _ := attribution.Compare(context.Background(), anderl(), attribution.LastTouch{}, searchOnly{})
	for _, r := range rs {
		fmt.Println(r.Model, r.Credit("C1").Conversions)
	}
	// Output:
	// last 0
	// search_only 1
}

// Journeys with touch times, as examples/journeys -format jsonl writes
// them, are what time decay needs: with a 7-day half-life, the touch a day
// before the sale weighs 2^(−1/7) and the one 20 days before 2^(−20/7).
func ExampleReadJSONL() {
	d, bad, err := attribution.ReadJSONL(context.Background(), strings.NewReader(`{"touches":[{"channel":"Yandex Direct","time":"2026-05-01T10:00:00Z"},{"channel":"Retargeting","time":"2026-05-20T10:00:00Z"}],"conversions":1,"value":2500000,"converted_at":"2026-05-21T10:00:00Z"}
{"touches":[{"channel":"VK","time":"2026-05-02T10:00:00Z"}],"conversions":0,"nulls":1}
{"touches":[],"conversions":1}
`))
	fmt.Println(len(bad), "bad line;", err)
	r, _ := attribution.TimeDecay{}.Attribute(context.Background(), d)
	for _, c := range r.Credits {
		fmt.Printf("%s %.3f\n", c.Channel, c.Conversions)
	}
	// Output:
	// 1 bad line; <nil>
	// Retargeting 0.868
	// VK 0.000
	// Yandex Direct 0.132
}

// Two dealerships of one group share a buyer: South answered the lead and
// gave a test drive, then referred the buyer to North, which closed.
func ExampleCreditPolicy_Credit() {
	policy := attribution.CreditPolicy{Version: "2026-12",
		Weights:      map[string]float64{"lead_response": 1, "test_drive": 3, "trade_in": 2},
		ClosingFloor: 0.5}
	sale := attribution.Sale{ID: "contract-42", Value: 3_000_000, Closing: "North",
		At: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC),
		Activities: []attribution.Activity{
			{Type: "lead_response", Dealership: "South", Person: "anna", At: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)},
			{Type: "test_drive", Dealership: "South", Person: "anna", At: time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)},
			{Type: "trade_in", Dealership: "North", Person: "boris", At: time.Date(2026, 11, 18, 0, 0, 0, 0, time.UTC)},
		}}
	c := policy.Credit(sale, nil)
	for _, d := range []string{"North", "South"} {
		fmt.Printf("%s %.0f%% (%.0f RUB)\n", d, 100*c.Dealerships[d], c.Dealerships[d]*c.Value)
	}
	// Output:
	// North 50% (1500000 RUB)
	// South 50% (1500000 RUB)
}
