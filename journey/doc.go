// Package journey keeps one time-ordered timeline per profile across devices
// and channels: the events a person leaves (car views, leads, calls, email
// and SMS clicks, test drives, pay-by-link advances, contracts, surveys), the
// touchpoints among them, sessions derived from those, conversions, and the
// paths that lead to conversions, ready for package attribution.
//
// A car purchase takes about 90 days across about 7 sources and at least two
// devices; package identity says which sightings are one person, and a
// [Store] follows its merges and splits ([Store.Follow]) so that the
// person's journey stays whole: no event is lost or counted twice when
// profiles join or come apart.
//
// # Events
//
// An [Event] has an ID (a UUIDv7 when the host gives none; an ID seen twice
// is stored once), a time, a type (an open set; see the constants), the
// identifiers it carried, an optional marketing [Touch] (UTM tags, click IDs,
// referrer, landing page) and properties. Money is exact: integer minor units
// and a currency ([Money]).
//
// # Sessions and paths
//
// [Sessions] cuts touchpoints and activity into sessions by a [SessionPolicy]
// that reproduces GA4 (30-minute timeout), Universal Analytics (plus a split
// at midnight and on a new campaign) or Yandex Metrica (plus a new session on
// every ad click). [Store.Paths] returns, for each conversion, the touchpoints
// within a lookback window (90 days by default) as attribution paths.
//
// This package is being built: funnels, segment counts, persistence and
// JSONL input come next (see the project's issue tracker).
package journey
