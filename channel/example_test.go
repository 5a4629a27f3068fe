package channel_test

import (
	"fmt"

	"github.com/throughline/throughline/channel"
)

func ExampleClassifier_Classify() {
	c, err := channel.NewClassifier(channel.ClassifierConfig{InternalHosts: []string{"dealer.ru"}})
	if err != nil {
		panic(err)
	}
	ga4 := channel.GA4()
	for _, t := range []channel.Touch{
		{Landing: "https://dealer.ru/x5?utm_source=yandex&utm_medium=cpc&placement=search"},
		{Landing: "https://dealer.ru/x5?utm_source=yandex&utm_medium=cpc&placement=context"},
		{Landing: "https://dealer.ru/x5?utm_source=yandex&utm_medium=cpc&rt=4451"},
		{Landing: "https://dealer.ru/x5?gclid=Cj0KCQ"},
		{Referrer: "https://ok.ru/group/1"},
		{Referrer: "https://dealer.ru/cars"},
	} {
		fmt.Printf("%-28s GA4: %s\n", c.Classify(t).Channel, ga4.Classify(t).Channel)
	}
	// Output:
	// Yandex Direct                GA4: Paid Search
	// Yandex Advertising Network   GA4: Paid Search
	// Retargeting                  GA4: Paid Search
	// Paid Search                  GA4: Paid Search
	// OK                           GA4: Referral
	// Direct                       GA4: Referral
}
