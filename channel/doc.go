// Package channel classifies touchpoints into marketing channels (GA4's
// default channel grouping with a Russian overlay), signs personal links for
// email and SMS, matches tracked calls to web sessions, and decides through
// which channels a person may be reached now: consent, suppression, frequency
// caps and quiet hours.
//
// This package is being built; see the project's issue tracker.
package channel
