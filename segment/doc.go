// Package segment defines audiences by rules over profiles and journeys
// ("viewed 10+ car cards in 30 days, left a lead, no contract yet"), keeps
// their membership current as events, identity merges and time arrive,
// reports who entered and who left (what trigger mailings run on), and
// exports audiences and offline conversions in the formats Google, Meta and
// Yandex accept.
//
// # Conditions
//
// A segment is a name and a Condition tree. And, Or and Not combine; HasID
// and Prop look at the profile (Prop with Apache Unomi's operators: equals,
// contains, startsWith, matchesRegex, greaterThan, between, in, exists, …,
// typed by the value: numbers as numbers, dates as instants, "now-30d"
// relative to the evaluation); Count, None, Last, First and Sequence look
// at events; InSegment reads another segment; ReachableOn asks package
// channel whether a person can be messaged on a channel.
//
// A behaviour node holds its event filter and its count together, so "at
// least 10 car_view events with brand = Kia in 30 days" counts exactly the
// Kia views: the filter and the count can never drift apart as Mautic's
// "visited URL" and "visited URL count" did.
//
// Conditions are plain values. Their JSON form (see ParseCondition) is an
// object keyed by the node type, so validation errors name the node's path
// as the document reads: "and[2].count.window: last and from/to are
// exclusive". A Set holds segments and Segmentations (Bloomreach's ordered
// tabs: each profile in exactly the first tab that matches, or in other).
//
// # Membership
//
// An Engine evaluates a Set. It keeps, per profile, the second of every
// event that passed each distinct filter, 8 bytes a hit in one sorted
// slice, and answers counts, recency and sequences by binary search; this
// is Unomi's cached past-event counters, kept exact instead of as counts,
// so that a relative window can move without rereading events. Changes
// come four ways: Add (an event re-evaluates only the segments its
// filters feed), Follow (identity merges and splits rebuild the profiles
// concerned from their timelines; an entry after a merge names the
// profiles that were already members, so a welcome mail is not sent
// twice), Refresh (time passing: a view leaving the 30-day window) and
// Touch (properties or consent changed outside the engine). Every call
// takes the evaluation time from its caller, and a property test checks
// that incremental changes always equal a full rebuild.
//
// Only memberships need saving (WriteMemberships): the rest is derived from
// the journey store. Restore loads them into a new engine and rebuilds, so
// a restart reports what changed while the service was down rather than
// every member entering again.
//
// # Audience files
//
// WriteAudience writes a customer-list file for Google Customer Match, Meta
// Custom Audiences or Yandex Audiences. Each platform hashes its own
// spelling of an identifier, which is not identity's matching form:
// Google wants phones in E.164 with "+" and Gmail addresses without dots
// and "+tags"; Meta and Yandex want phones as bare digits with the country
// code and emails only trimmed and lower-cased. Values are hashed with
// SHA-256 (Yandex: MD5 as an option, since its help pages disagree),
// already-hashed values pass through unhashed, malformed values are dropped
// one by one and reported, profiles without paid-media consent are never
// written, and a file below the platform's minimum (Yandex: 100 rows) is
// refused. BuildAudience returns the rows instead of a file; a Ledger per
// destination turns successive audiences into add and remove files, the
// removals in exactly the hashed form that was uploaded (a changed email is
// removed under the old one), and saves itself with a trailer that catches
// truncation.
//
// # Offline conversions
//
// MetricaConversions and GoogleClickConversions tie contracts and advance
// payments in the journey store to the click or visit the platform can
// find (a yclid or Metrica ClientID within Metrica's 21-day join, a gclid,
// gbraid or wbraid within Google's 90 days) and write them as the
// platforms' upload files; what cannot be tied is returned with the
// reason.
//
// # Next best action
//
// An [Arbiter] ranks a [Catalog] of actions for a [Customer]: gates in
// Pega's terms (eligible, applicable, suitable, reachable through the
// acting company), then the contact policy (caps per channel, cooldowns,
// suppression after rejections), then one action per mutual-exclusion
// group, by propensity × context × value × lever. Propensity is learned
// from recorded outcomes ([Arbiter.Learn]), a Beta–Bernoulli estimate per
// action and segment with prior mean 1. Every action not offered comes
// back as [Declined] with its gate and a reason a salesperson can read. A
// stable random holdout gets no actions; [Uplift] estimates the lift
// against it. Outcomes are kept on the customer's timeline as journey
// events ([Outcome.Event], [OutcomesIn]), with salesperson and
// dealership, so they follow merges and splits and feed propensities,
// the contact policy and party credit (journey.Store.Sales).
// [DefaultDealerActions] is the built-in dealer catalog as data
// ([ActionSet], JSON the host edits): call back a fresh lead no one has
// contacted, offer a test drive of a model viewed and in stock, send a
// trade-in estimate, offer a premium unlock or a factory order when the
// trim viewed is out of stock; its gates name segments of its own set and
// inventory rules.
//
// # Placement
//
// A [Placement] ranks the host's inventory ([Car]: model, trim,
// dealership, count) for a site visitor: the trims it viewed (the latest
// weighing most), other trims of those models, trims other visitors
// viewed with them ([Placement.LearnViews]), and popularity, the only
// term for a new visitor and for one in the holdout
// (PlacementOptions.Holdout, an Arbiter's InHoldout), among cars in stock
// at a dealership that may serve it. Each [Card] says why it is there.
package segment
