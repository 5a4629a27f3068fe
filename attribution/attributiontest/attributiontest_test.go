package attributiontest_test

import (
	"context"
	"testing"

	"github.com/throughline/throughline/attribution"
	"github.com/throughline/throughline/attribution/attributiontest"
)

func TestBuiltinModels(t *testing.T) {
	for _, c := range []struct {
		m    attribution.Model
		opts *attributiontest.Options
	}{
		{attribution.FirstTouch{}, nil},
		{attribution.LastTouch{}, nil},
		{attribution.LastNonDirect{}, nil},
		{attribution.Linear{}, nil},
		{attribution.Linear{PerChannel: true}, nil},
		{attribution.PositionBased{}, nil},
		{attribution.TimeDecay{}, nil},
		{attribution.Shapley{}, nil},
		{attribution.Shapley{Variant: attribution.Ordered}, nil},
		{attribution.Shapley{Variant: attribution.Exact}, nil},
		{attribution.Shapley{Variant: attribution.Exact, MaxExact: 3}, &attributiontest.Options{Tolerance: 1e-6}},
		{attribution.Associated{}, nil},
		{attribution.Markov{}, &attributiontest.Options{CreditsNonConverting: true}},
		{attribution.Markov{Order: 2}, &attributiontest.Options{CreditsNonConverting: true}},
		{attribution.Markov{Order: 3, KeepRepeats: true}, &attributiontest.Options{CreditsNonConverting: true}},
		{attribution.Markov{Order: 4, IgnoreNulls: true}, &attributiontest.Options{CreditsNonConverting: true}},
	} {
		attributiontest.Run(t, c.m, c.opts)
	}
}

// halfFirstHalfLast is a host's own model: any type with Name and
// Attribute is an attribution.Model, and runs the same suite.
type halfFirstHalfLast struct{}

func (halfFirstHalfLast) Name() string { return "half_first_half_last" }

func (halfFirstHalfLast) Attribute(ctx context.Context, d *attribution.Dataset) (attribution.Result, error) {
	first, _ := attribution.FirstTouch{}.Attribute(context.Background(), d)
	last, _ := attribution.LastTouch{}.Attribute(context.Background(), d)
	for i := range first.Credits {
		first.Credits[i].Conversions = (first.Credits[i].Conversions + last.Credits[i].Conversions) / 2
		first.Credits[i].Value = (first.Credits[i].Value + last.Credits[i].Value) / 2
	}
	first.Model = "half_first_half_last"
	return first, nil
}

func TestHostModel(t *testing.T) {
	attributiontest.Run(t, halfFirstHalfLast{}, nil)
}
