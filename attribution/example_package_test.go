package attribution_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/throughline/throughline/attribution"
)

// Example shows the package's job: paths to conversion (ChannelAttribution's
// CSV here) credited to channels by several models side by side.
func Example() {
	d, bad, err := attribution.ReadCSV(context.Background(), strings.NewReader("path;total_conversions;total_null\n"+
		"display > retargeting;3;5\n"+
		"display;0;10\n"+
		"retargeting;2;2\n"+
		"search > retargeting;1;0\n"))
	if err != nil || len(bad) > 0 {
		fmt.Println(err, bad)
		return
	}
	rs, _ := attribution.Compare(context.Background(), d, attribution.FirstTouch{}, attribution.LastTouch{}, attribution.Linear{}, attribution.Markov{Order: 1})
	for _, r := range rs {
		fmt.Printf("%-7s display %.2f retargeting %.2f search %.2f\n", r.Model, r.Credit("display").Conversions, r.Credit("retargeting").Conversions, r.Credit("search").Conversions)
	}
	// Output:
	// first   display 3.00 retargeting 2.00 search 1.00
	// last    display 0.00 retargeting 6.00 search 0.00
	// linear  display 1.50 retargeting 4.00 search 0.50
	// markov  display 2.18 retargeting 3.55 search 0.27
}
