// Package segment defines audiences by rules over profiles and journeys
// ("viewed 10+ car cards in 30 days, left a lead, no contract yet"), keeps
// their membership current as events and identity merges arrive, and exports
// audiences in the formats Google, Meta and Yandex accept.
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
// Segment rules, live membership and offline conversions are
// being built; see the project's issue tracker (issue 7).
package segment
