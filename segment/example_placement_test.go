package segment_test

import (
	"fmt"
	"time"

	"github.com/throughline/throughline/segment"
)

// A site's car cards for a visitor who looked at a Camry XSE yesterday:
// that car first, then the other Camry, then what others viewed with it.
func ExamplePlacement_Rank() {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	pl, _ := segment.NewPlacement([]segment.Car{
		{Model: "Camry", Trim: "LE", Dealership: "North", Count: 2},
		{Model: "Camry", Trim: "XSE", Dealership: "North", Count: 1},
		{Model: "RAV4", Trim: "XLE", Dealership: "South", Count: 3},
		{Model: "Corolla", Trim: "L", Dealership: "North", Count: 5},
	}, nil)
	pl.LearnViews([][]segment.View{ // other visitors' views
		{{Model: "Camry", Trim: "XSE"}, {Model: "RAV4", Trim: "XLE"}},
		{{Model: "Corolla", Trim: "L"}},
		{{Model: "Corolla", Trim: "L"}},
	})
	v := &segment.Visitor{Now: now, Views: []segment.View{{Model: "Camry", Trim: "XSE", At: now.Add(-24 * time.Hour)}}}
	for _, c := range pl.Rank(v, 4) {
		fmt.Println(c.Model, c.Trim, "at", c.Dealership+":", c.Why)
	}
	fmt.Println("new visitor:", pl.Rank(&segment.Visitor{Now: now}, 1)[0].Model)
	// Output:
	// Camry XSE at North: viewed
	// Camry LE at North: same model
	// RAV4 XLE at South: co-viewed
	// Corolla L at North: popular
	// new visitor: Corolla
}
