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
// [Store.Sales] returns each contract with the parties' recorded activity
// before it (lead responses, test drives, trade-in appraisals, tracked
// calls, completed actions, each with its dealership and salesperson), as
// attribution's party credit takes it: the two ledgers, channel and party,
// come from one timeline.
//
// # Funnels and counts
//
// [Store.Funnel] answers "how many leads became contracts, through which
// steps, from which channels, in how long": ordered steps that may be
// loose, strict or in any order, open or closed, with a total window,
// per-step limits and exclusions, each profile counted once per step, broken
// down by the channel of the first, the last or each step's touch.
// [Store.CountSince] is the cheap "N events of type T in the last days" read
// segments need.
//
// # Storage
//
// Each profile's events are kept as one byte string, each event a few
// varint-coded differences from the one before it (time, interned type,
// touch and identifier list, event number). Event IDs sit in chunks by
// event number beside a compact duplicate index, and the few events with
// a value, properties or an origin keep them in a side table: in all
// about 52 bytes per event, the ID's 16 included. Readers decode a
// profile's events into scratch records as they go.
// [Open] makes a durable store: events are written ahead to a journal in the
// format package identity uses, [Store.Snapshot] compacts, and reopening
// replays; [Store.ReadJSONL] and [Store.Load] load the JSONL event format
// and [Store.LoadCSV] a CSV one (a header naming the columns), parsing and
// resolving on every core, reporting bad lines by number.
//
// # Concurrency
//
// A Store is safe for concurrent use. Add resolves and files an event under
// one lock, so a Follow never strands an event under a retired profile.
package journey
