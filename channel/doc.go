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
// Network, Google Ads, Meta click IDs, VK, OK, Dzen, Rutube, Telegram and
// messengers.
// Under GA4's rules alone yandex / cpc is Paid Search for both search and
// RSYa, and yandex / cpm is Paid Search before it can be Display, so a
// retargeting-versus-RSYa comparison needs the overlay.
//
// Tags come from the Arrival or its landing URL; without UTM tags a click ID
// stands in (gclid, gbraid, wbraid: google / cpc, the overlay's Google Ads;
// yclid: yandex / cpc, its Yandex Direct; fbclid: its Meta), then the
// referrer (search engines by name as organic, other hosts as referral,
// the site's own hosts ignored), then
// (direct) / (none). Comparisons are case-insensitive, as in GA4. Hosts add
// rules with a RuleSet of their own placed first, or replace a built-in rule
// by channel name (Rule.Replace).
//
// # Personal links
//
// Links signs tokens for links in emails and SMS: HMAC-SHA-256 (truncated
// to 128 bits) over the profile, message ID, channel, purpose, expiry and
// key ID, in a compact URL-safe form (about 90 characters) in which the
// profile ID is encrypted (AES-256, SIV construction). Verification is
// constant-time and fails with distinct errors for malformed, unknown-key,
// tampered, expired and wrong-purpose tokens; keys rotate by ID. A verified
// click becomes identity evidence through ClickObservation: asserted and
// attach-only, so a forwarded link never merges two people who both left
// hard identifiers. Tokens are stateless and replayable until expiry; see
// Links for the replay policy.
//
// # Call tracking
//
// CallPool is dynamic number insertion: each visitor session gets a number
// from the dealer's pool on its first page view and keeps it while active
// plus a grace period after leaving (150 s by default, as Roistat); an
// exhausted pool shows the default number. Match finds the session that
// held a called number at the time of the call, and when an earlier holder
// could also be calling it reports both with confidences rather than guess.
// A confident match yields inferred, attach-only identity evidence (caller
// phone with the session's cookie). The pool's numbers are junk to identity
// (CallPool.Junk).
//
// # Consent and reachability
//
// Reacher keeps per-profile contacts, consent per (channel, purpose),
// suppression lists, and the sends that count towards frequency caps (per
// local calendar day and rolling week, per channel and across channels).
// Reach answers, in preference order, which channels can reach a person
// now and why the others cannot: no contact, no consent, suppressed,
// capped, or quiet until HH:MM in the person's time zone (windows may wrap
// past midnight; Next holds a message until quiet hours end). Transactional
// purposes skip consent (unless refused), caps, quiet hours and
// unsubscribes. Time is always passed in, never read from the clock.
// Reacher.Follow keeps it in step with identity: merged people pool their
// consents and sends; a split keeps refusals on every side and grants only
// where the original profile ID stays, since no one can tell which of the
// people gave them. OpenReacher keeps all of it in a directory (an
// append-only journal and snapshots, the format identity and journey use):
// a refusal must survive a restart.
//
// A keyed Reacher (ReachOptions.Graph set) keeps what it is told under the
// identifiers the profile held then, and answers from the identifiers a
// profile holds now, so its answers depend on the graph and the records
// only, not on when changes were followed: the form replicas sharing one
// log need (OpenReacherBackend, with the pglog module).
package channel
