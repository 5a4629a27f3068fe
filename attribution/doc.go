// Package attribution says which channels earned a conversion.
//
// It runs on its own [Path] type (ordered touches with channel and time, a
// conversion count and value, a null count for paths that did not
// convert), so researchers can use it on aggregated path data without the
// rest of Throughline; package journey produces such paths from timelines.
// It imports nothing else of the module.
//
// A [Model] turns paths into a [Result]: per channel, the conversions and
// value credited, and for the models that have them, removal effects and
// the probability of conversion. The built-in models:
//
//   - [FirstTouch], [LastTouch], [LastNonDirect] (which channels count as
//     direct is configurable), [Linear] (per touch, or per distinct channel),
//     [PositionBased] (40/20/40 by default), [TimeDecay] (half-life 7 days,
//     continuous 2^(-Δt/h));
//   - [Markov]: the removal effect of order k, computed exactly by solving
//     the absorbing chain, not by random walks, so it is deterministic and has
//     no sampling noise (ChannelAttribution's answers vary by 2–13 %);
//   - [Shapley]: Zhao et al.'s simplified Shapley, the ordered variant, and
//     exact Shapley over coalitions (bitmasks, up to 20 channels; seeded
//     permutation sampling beyond);
//   - [Associated]: conversions a channel assisted without being last.
//
// Defaults follow ChannelAttribution wherever it has the model (linear per
// touch, consecutive repeats merged in Markov, nulls and value used when
// given), so results compare one to one with it; other conventions are
// options. Package attributiontest checks any Model, a host's included,
// against the invariants every model owes: credits sum to the conversions
// and the value, none is negative, results do not depend on the order of
// paths.
//
// Credit goes to whatever a touch's Channel names: to credit dealerships or
// salespeople, or (channel, campaign) pairs, rename the touches with [Rekey].
//
// # Credit by party
//
// Which dealerships and people earned a sale is a second ledger, kept apart
// from channel credit: [CreditPolicy.Credit] weighs the recorded activity
// toward a [Sale] (weights, decay, caps, a floor for the closing
// dealership); revenue credit sums to 1 across dealerships and again across
// each dealership's people, overlay parties are credited beside it, and an
// [Override] is a manager's record with a reason. A [PartyLedger]
// recomputes credit as late evidence arrives and freezes it at a period's
// [PartyLedger.Close]. [Cross] gives dealership × channel credit.
package attribution
