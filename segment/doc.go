// Package segment defines audiences by rules over profiles and journeys
// ("viewed 10+ car cards in 30 days, left a lead, no contract yet"), keeps
// their membership current as events and identity merges arrive, and exports
// audiences in the formats Google, Meta and Yandex accept.
//
// This package is being built; see the project's issue tracker.
package segment
