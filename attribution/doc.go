// Package attribution says which channels earned a conversion.
//
// It runs on its own path type (ordered touches with channel and time, a
// conversion count and value, a null count for paths that did not convert),
// so researchers can use it on aggregated path data without the rest of
// Throughline; package journey produces such paths from timelines.
//
// This package is being built; see the project's issue tracker.
package attribution
