// Package identity joins the identifiers one person leaves behind into one
// profile.
//
// A dealer sees a customer as a cookie on the website, a device ID in the
// app, an email typed into a test-drive form, a phone that called a tracked
// number, a CRM number once the contract is signed. Each sighting that puts
// several identifiers together (a form sent from a browser, a login in the
// app, a call matched to a session) is an [Observation]. A [Graph] keeps every
// observation as evidence and maintains the partition of identifiers into
// profiles: two identifiers can belong to one profile only when a chain of
// observations joins them, and do when the merge rules weigh that chain
// enough.
//
// # Merge rules
//
// Joining everything seen together glues a dealer's base into one blob: a
// showroom tablet, a family computer, test@test.com, one call matched to the
// wrong visitor. A [Policy] decides instead: junk and hubs never link (and
// are quarantined, see [Graph.Status]); hard identifiers (email, phone, CRM
// number) typed or verified together merge; soft ones (cookies, devices)
// bridge two profiles only when both typed on them and the bridge's score
// (a sum of weights of evidence, [Weights]) reaches [Policy.Threshold]:
// clicks and calls alone never merge two profiles that hold contacts
// ([Bridge], [DefaultDecide]). Unless the host sets it, the threshold is
// learned from the graph's own bridges ([Graph.Calibration]): how often the
// plainly two-person ones (two phones or two emails, each side typing on a
// browser of its own and on a common one) turn up says how far a bridge on
// a shared browser can be believed. A soft identifier goes to the profile whose
// evidence on it dominates; one that people who stay apart typed on, or
// that no one dominates, stays on its own. What was refused, and why, is kept:
// [Graph.Explain] gives the chain that joins two identifiers and
// [Graph.WhyNot] the refusals that keep them apart. [Graph.Retract] and
// [Graph.Forget] take evidence back and rebuild only what it touched.
//
// # Canonical keys
//
// Raw values are normalized before they are joined, so "Ivan.Petrov@Gmail.com"
// and "ivanpetrov@gmail.com", or "8 (916) 123-45-67" and "+79161234567", are one
// identifier. Each [Kind] has a [Normalizer]; the built-in ones are
// [NormalizeEmail], [PhoneNormalizer], [NormalizeCookie], [NormalizeDevice] and
// [NormalizeCRM]. Hosts register their own kinds (a loyalty card, a Telegram
// ID) through [Options.Kinds]. A value that does not normalize is never joined
// to anything; the error names the kind and the reason and wraps [ErrEmpty],
// [ErrMalformed] or [ErrRefused].
//
// # Profiles and their IDs
//
// A [ProfileID] is derived from one member of the profile, its anchor: the
// member of the lowest-ranked kind (CRM number, then email, phone, device,
// cookie), ties broken by a keyed hash of the value. The anchor depends only
// on the set of members, so the same observations in any order give the same
// profiles with the same IDs. When profiles merge, the merged profile keeps
// the ID of the better anchor and the other IDs retire; a retired ID still
// resolves through [Graph.Current]. Every mutating call returns a [Change]
// naming created and retired IDs, so a journey store can follow merges.
//
// # Views of a group
//
// A group's companies share one graph (a person is one person), and each
// sees its own evidence: a [Viewer] (company, dealership, purpose) sees
// what its company collected, what no company is named on, and what
// another company collected under a [Basis] naming it (a consent with
// recipients; channel.Reacher is one). [Graph.ExplainFor] explains a
// profile through a viewer's evidence only.
//
// # Memory
//
// Identifiers are interned: the graph runs on 32-bit node numbers behind an
// open-addressing index keyed by a 64-bit hash (xxhash) of kind and value,
// with values packed in chunked byte arenas. A graph holds about 76 bytes per
// identifier and about 55 bytes per observation of evidence (measured at
// 10^6 identifiers; see the README's figures).
//
// # Concurrency
//
// A Graph is safe for concurrent use: reads ([Graph.Resolve], [Graph.Keys])
// proceed in parallel and writes ([Graph.Observe]) are serialized.
// Normalization runs outside the lock; [Graph.Prepare] exposes it so a bulk
// loader can normalize on every core and apply in order.
package identity
