// Package channel classifies touchpoints into marketing channels, signs
// personal links for email and SMS, matches tracked calls to web sessions,
// and decides through which channels a person may be reached now.
//
// # Classification
//
// A Classifier applies ordered, first-match rule tables shipped as data
// (rules/*.json, embedded and versioned). GA4Rules reproduces GA4's default
// channel group with Google's source-category lists; RussianRules is an
// overlay tried before it that separates what GA4 lumps together: Yandex
// Direct search, the Yandex Advertising Network (RSYa, placement or
// source_type = context) and retargeting (campaign naming, a retargeting
// ID in rt or retargeting_id, or a retargeting medium), the Google Display
// Network, Meta click IDs, VK, OK, Dzen, Rutube, Telegram and messengers.
// Under GA4's rules alone yandex / cpc is Paid Search for both search and
// RSYa, and yandex / cpm is Paid Search before it can be Display, so a
// retargeting-versus-RSYa comparison needs the overlay.
//
// Tags come from the Touch or its landing URL; without UTM tags a click ID
// stands in (gclid, gbraid, wbraid: google / cpc; yclid: yandex / cpc;
// fbclid: Meta in the overlay), then the referrer (search engines by name
// as organic, other hosts as referral, the site's own hosts ignored), then
// (direct) / (none). Comparisons are case-insensitive, as in GA4. Hosts add
// rules with a RuleSet of their own placed first, or replace a built-in rule
// by channel name (Rule.Replace).
//
// Personal links, call tracking and reachability are being built; see the
// project's issue tracker (issue 6).
package channel
