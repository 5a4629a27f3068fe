// Package journey keeps one time-ordered timeline per profile across devices
// and channels: the touchpoints (ad clicks, email and SMS link clicks, calls),
// sessions derived from them, conversions (lead, test drive, advance payment,
// contract), and the funnels and paths built from them.
//
// A car purchase takes about 90 days across about 7 sources and at least two
// devices; identity resolution (package identity) says which sightings are one
// person, and this package follows its merges and splits so that the person's
// journey stays whole.
//
// This package is being built; see the project's issue tracker.
package journey
