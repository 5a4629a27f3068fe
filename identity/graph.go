package identity

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/throughline/throughline/internal/journal"
)

// Options configure a [Graph]. The zero value (or nil) gives the built-in
// kinds with Russian phone numbering.
type Options struct {
	// Kinds adds host kinds, or replaces a built-in kind's spec when it
	// names one. At most 255 kinds in all.
	Kinds []KindSpec
	// PhoneRegion is the default region of the built-in phone normalizer
	// (see [PhoneNormalizer]); "" means RU.
	PhoneRegion string
	// Policy holds the merge rules; the zero value is the default policy.
	Policy Policy
	// SizeHint is the number of identifiers expected, so a bulk load does not
	// grow the index step by step. Zero is fine.
	SizeHint int
	// Sync and SyncInterval set when a graph made by [Open] writes its
	// journal to disk; the zero value fsyncs every mutating call.
	Sync         SyncMode
	SyncInterval time.Duration
	// LockTimeout is how long Open waits for a directory another graph
	// holds before failing with ErrLocked; 0 fails at once.
	LockTimeout time.Duration
	fs          journal.FS // a test's fault injection; nil is the OS
	// Logger hears about recoveries, compactions, quarantines (junk and
	// hubs) and erasures, never an identifier's value; nil is silent.
	Logger *slog.Logger

	// EraseKey keys the hashes that tombstones of forgotten identifiers keep
	// (HMAC-SHA-256). nil means a random key, made once and kept in the
	// graph's snapshots, so tombstones cannot be tested against a list of
	// phone numbers by anyone without the graph.
	EraseKey []byte
}

// A Graph keeps observations and the partition of identifiers into profiles.
// It is safe for concurrent use.
type Graph struct {
	kinds  []kindEntry // by kind number; immutable after New
	kindIx map[Kind]uint8
	log    *slog.Logger // never nil

	policy      policy
	eraseKey    []byte
	tombstoners *sync.Pool // of *tombstoner under eraseKey (setEraseKey)

	mu          shardedRW
	nodes       nodes
	index       index
	ev          evidence
	inc         incidences
	sources     sourceTable
	profiles    int // number of live profiles (anchors)
	quarantined []quarantineRec
	tombstones  map[[16]byte]struct{}
	scratch     clusterer
	tracker     tracker
	calib       calibration
	store       *store // nil unless made by Open
}

type quarantineRec struct {
	node   uint32
	reason string
}

type kindEntry struct {
	KindSpec
	salt uint64 // mixed into value hashes so equal values of two kinds differ
}

// New returns an empty graph.
func New(opts *Options) (*Graph, error) {
	if opts == nil {
		opts = &Options{}
	}
	phone := PhoneNormalizer{Region: opts.PhoneRegion}
	if err := phone.Check(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	specs := BuiltinKinds(opts.PhoneRegion)
	for _, s := range opts.Kinds {
		if !validKindName(s.Kind) {
			return nil, fmt.Errorf("%w: kind name %q (want 1-32 of a-z 0-9 _)", ErrBadOptions, s.Kind)
		}
		if s.Normalizer == nil {
			return nil, fmt.Errorf("%w: kind %q has no normalizer", ErrBadOptions, s.Kind)
		}
		if i := slices.IndexFunc(specs, func(b KindSpec) bool { return b.Kind == s.Kind }); i >= 0 {
			specs[i] = s
		} else {
			specs = append(specs, s)
		}
	}
	if len(specs) > 255 {
		return nil, fmt.Errorf("%w: %d kinds, at most 255", ErrBadOptions, len(specs))
	}
	g := &Graph{kindIx: make(map[Kind]uint8, len(specs))}
	for i, s := range specs {
		g.kinds = append(g.kinds, kindEntry{KindSpec: s, salt: xxhash.Sum64String("throughline/kind/" + string(s.Kind))})
		g.kindIx[s.Kind] = uint8(i)
	}
	g.index.init(max(1024, opts.SizeHint*4/3))
	g.mu.init()
	if err := g.setPolicy(opts.Policy); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOptions, err)
	}
	g.log = opts.Logger
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	key := opts.EraseKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	g.setEraseKey(key)
	return g, nil
}

// resetState empties the graph, keeping its kinds, policy, erase key,
// lock and store.
func (g *Graph) resetState() {
	g.nodes, g.ev, g.inc, g.sources = nodes{}, evidence{}, incidences{}, sourceTable{}
	g.index.init(len(g.index.slots))
	g.profiles, g.quarantined, g.tombstones = 0, nil, nil
	g.scratch, g.tracker, g.calib = clusterer{}, tracker{}, calibration{held: g.calib.held}
	if g.policy.calibrated {
		g.policy.threshold = g.calib.threshold()
	}
}

// kindOf finds a kind's number: a linear scan of short strings beats the
// map's hashing for the handful of kinds graphs have.
func (g *Graph) kindOf(k Kind) (uint8, bool) {
	if len(g.kinds) <= 8 {
		for i := range g.kinds {
			if g.kinds[i].Kind == k {
				return uint8(i), true
			}
		}
		return 0, false
	}
	i, ok := g.kindIx[k]
	return i, ok
}

// Kinds returns the specs of the graph's kinds.
func (g *Graph) Kinds() []KindSpec {
	out := make([]KindSpec, len(g.kinds))
	for i, k := range g.kinds {
		out[i] = k.KindSpec
	}
	return out
}

// Normalize returns the canonical form of a raw identifier under the graph's
// kinds. It takes no lock.
func (g *Graph) Normalize(kind Kind, raw string) (ID, error) {
	k, ok := g.kindOf(kind)
	if !ok {
		return ID{}, &ParseError{Kind: kind, Input: raw, Reason: "unknown kind", Err: ErrUnknownKind}
	}
	v, err := g.kinds[k].normalize(raw)
	if err != nil {
		return ID{}, err
	}
	return ID{kind, v}, nil
}

// hashID is the index hash of a canonical value of kind k. Bits 12..15 hold
// the UUID version 8, so the hash is also the first half of the ProfileID the
// value anchors; 60 bits of hash remain.
func (g *Graph) hashID(k uint8, v string) uint64 {
	return mix64(xxhash.Sum64String(v)^g.kinds[k].salt)&^(0xf<<12) | 0x8<<12
}

// mix64 is the SplitMix64 finalizer: it spreads the kind salt into all bits.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Prepare normalizes and hashes an observation's identifiers without taking
// the graph's lock, so bulk loaders can prepare on every core and apply in
// order with [Graph.ObserveBatch]. Identifiers that do not normalize are
// left out; err joins a *ParseError for each. Duplicates are dropped.
func (g *Graph) Prepare(o Observation) (Prepared, error) {
	return g.prepare(o, make([]preparedID, 0, len(o.IDs)))
}

// prepare is Prepare into the given storage (Observe passes a stack array).
func (g *Graph) prepare(o Observation, ids []preparedID) (Prepared, error) {
	p := Prepared{g: g, time: o.Time.UnixNano(), source: originKey(o.Source, o.Company, o.Site), trust: o.Trust}
	if o.Time.IsZero() {
		p.time = 0
	}
	p.ids = ids
	var errs []error
	for _, id := range o.IDs {
		k, ok := g.kindOf(id.Kind)
		if !ok {
			errs = append(errs, &ParseError{Kind: id.Kind, Input: id.Value, Reason: "unknown kind", Err: ErrUnknownKind})
			continue
		}
		v, err := g.kinds[k].normalize(id.Value)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		h := g.hashID(k, v)
		dup := false
		for _, q := range p.ids {
			if q.hash == h && q.kind == k && q.value == v {
				dup = true
				break
			}
		}
		if !dup {
			p.ids = append(p.ids, preparedID{kind: k, value: v, hash: h})
		}
	}
	return p, errors.Join(errs...)
}

// Observe records an observation and joins its identifiers into one profile.
//
// The contract, for every mutating call of the module's stores alike: a
// non-nil error means nothing was applied; a nil error means the Change
// describes everything that was. Identifiers that do not normalize are
// skipped, never joined: Observe applies the rest and lists each skipped
// one in Change.Skipped. When no identifier is left the error wraps
// [ErrNoIdentifiers] and the skipped ones' errors, and nothing changes; a
// journal write that fails is an error too, and nothing changes.
func (g *Graph) Observe(o Observation) (Change, error) {
	p, perr := g.Prepare(o)
	if len(p.ids) == 0 {
		return Change{}, errors.Join(ErrNoIdentifiers, perr)
	}
	c, err := g.observePrepared(p)
	if err != nil {
		return Change{}, err
	}
	c.Skipped = unjoin(perr)
	return c, nil
}

// unjoin splits an errors.Join error back into its parts.
func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// observePrepared applies an observation prepared by [Graph.Prepare].
func (g *Graph) observePrepared(p Prepared) (Change, error) {
	if p.g != g {
		return Change{}, errForeignPrepared
	}
	if len(p.ids) == 0 {
		return Change{}, ErrNoIdentifiers
	}
	g.mu.lock()
	defer g.mu.unlock()
	if err := g.record(&p); err != nil {
		return Change{}, err
	}
	return g.apply(p), nil
}

// record drops forgotten identifiers from p and writes what remains to the
// journal, before it is applied; the write lock is held.
func (g *Graph) record(p *Prepared) error {
	g.dropForgotten(p)
	if g.store == nil || g.replaying() {
		return nil
	}
	g.store.buf = g.encodeObservation(g.store.buf[:0], *p)
	return g.journalWrite(recObserve, g.store.buf, p.ids...)
}

// dropForgotten takes tombstoned identifiers out of p. One the index
// holds is not forgotten (forgetting takes it out, and a tombstone keeps
// it out), and the lookup is cheaper than the keyed hash.
func (g *Graph) dropForgotten(p *Prepared) {
	if len(g.tombstones) == 0 {
		return
	}
	var kept []preparedID // a copy, made at the first forgotten one: p.ids may be the caller's
	forgotten := 0
	for i, id := range p.ids {
		if _, found := g.index.lookup(&g.nodes, id.hash, id.kind, id.value); found || !g.tombstoned(id.kind, id.value) {
			if kept != nil {
				kept = append(kept, id)
			}
			continue
		}
		if kept == nil {
			kept = append(make([]preparedID, 0, len(p.ids)), p.ids[:i]...)
		}
		forgotten++
	}
	if forgotten > 0 {
		p.ids, p.forgotten = kept, forgotten
	}
}

// ObserveBatch applies prepared observations in order under one acquisition
// of the lock, for bulk loads. changes[i] reports ps[i]; an observation with
// no identifiers is skipped (its Change is zero) and reported in err.
//
// The calibrated threshold (Graph.Calibration) moves at most once a batch,
// after its last observation, whose Change reports what the move merged
// and split: the profiles are those Observe would give, one call at a
// time, but a batch over which the rate crosses a cut and comes back
// clusters nothing again.
func (g *Graph) ObserveBatch(ps []Prepared) (changes []Change, err error) {
	changes = make([]Change, len(ps))
	g.mu.lock()
	defer g.mu.unlock()
	if g.store != nil && g.store.js.Shared() {
		return g.observeShared(ps, changes)
	}
	b := g.holdCalibration(changes)
	for i, p := range ps {
		if i%observeAhead == 0 {
			g.readAhead(ps[i:min(i+observeAhead, len(ps))])
		}
		switch {
		case p.g != g:
			b.fail(fmt.Errorf("observation %d: %w", i, errForeignPrepared))
		case len(p.ids) == 0:
			b.fail(fmt.Errorf("observation %d: %w", i, ErrNoIdentifiers))
		default:
			err := g.record(&p)
			if errors.Is(err, ErrDuplicate) { // in the log and applied already
				b.fail(fmt.Errorf("observation %d: %w", i, err))
				continue
			}
			if err != nil {
				b.fail(err)
				return changes, b.release()
			}
			b.apply(i, p)
		}
	}
	return changes, b.release()
}

// observeAhead is how many observations ObserveBatch reads ahead at a
// time.
const observeAhead = 32

// readAhead reads ahead (index.readAhead) the identifiers of ps, so that
// applying them one after another finds them in cache; the write lock is
// held. Applying may grow the index under what was read: that costs only
// the misses.
func (g *Graph) readAhead(ps []Prepared) {
	if len(g.index.slots) < touchFrom {
		return
	}
	var buf [4 * observeAhead]uint64
	hs := buf[:0]
	for i := range ps {
		for _, id := range ps[i].ids {
			hs = append(hs, id.hash)
		}
	}
	g.index.readAhead(&g.nodes, hs)
}

// apply records a prepared observation, updates the profiles it touches
// and returns its Change; the write lock is held.
func (g *Graph) apply(p Prepared) Change {
	return g.settle(g.applyOpen(p))
}

// An applied observation is one whose Change is still open: the tracker
// holds what its application touched, so that a threshold move held back
// until after it (holdCalibration) is reported in its Change.
type applied struct {
	obs   uint32
	added int
	head  uint32 // the member whose profile Change.Profile names
	none  bool   // every identifier was forgotten: nothing was stored
}

// settle closes an applied observation's Change: the threshold moves
// first if the counts call for it (unless held), so the Change reports
// what the move merged and split as well.
func (g *Graph) settle(a applied) Change {
	g.recalibrate()
	ch := g.tracker.change(g)
	if a.none {
		return ch
	}
	ch.Observation = ObservationID(a.obs)
	ch.Added = a.added
	ch.Profile = g.profileIDOf(g.nodes.profile(a.head))
	return ch
}

// applyOpen is apply up to its Change, which settle closes.
func (g *Graph) applyOpen(p Prepared) applied {
	t := &g.tracker
	t.reset()
	t.forgotten = p.forgotten
	var stack [8]uint32
	members := stack[:0]
	added := 0
	for _, id := range p.ids {
		n, found := g.index.lookup(&g.nodes, id.hash, id.kind, id.value)
		if !found {
			if g.tombstoned(id.kind, id.value) {
				t.forgotten++
				continue
			}
			n = g.nodes.add(id.hash, idLo(g.kinds[id.kind].Kind, id.value), id.kind, id.value)
			g.index.insert(&g.nodes, n)
			added++
			t.fresh(n)
			if !g.policy.Disabled {
				if reason, junk := g.isJunk(id.kind, id.value); junk {
					g.quarantine(n, flagJunk, reason)
				}
			}
		} else {
			t.touch(g, n)
			g.nodes.at(n).flags &^= flagDead
		}
		members = append(members, n)
	}
	if len(members) == 0 {
		return applied{none: true}
	}
	source, _, _ := splitOrigin(p.source)
	trust, oflags := g.policy.sourceRule(source, p.trust)
	obs := g.ev.add(p.time, g.sources.intern(p.source), trust, oflags, members)
	for _, m := range members {
		g.inc.push(&g.nodes.at(m).adj, obs)
	}
	// Hubs: an identifier now seen with too many people stops linking, and
	// the component it held together is taken apart.
	if !g.policy.Disabled {
		// Only hard identifiers count towards hubs: an observation with no
		// hard member besides m cannot make m one.
		hard := 0
		for _, m := range members {
			if r := g.nodes.at(m); g.kinds[r.kind].Class == Hard && r.flags&(flagJunk|flagErased) == 0 {
				hard++
			}
		}
		for _, m := range members {
			r := g.nodes.at(m)
			own := g.kinds[r.kind].Class == Hard
			if hard == 0 || (own && hard == 1) {
				continue
			}
			others := hard
			if own {
				others--
			}
			r.hardSeen = uint8(min(int(r.hardSeen)+others, 255))
			if !r.linking() {
				continue
			}
			limit := g.policy.maxPerKind
			if !own {
				limit = g.policy.maxSoft
			}
			reason, hub := "", false
			if own {
				if fixed := g.fixedLine(m); fixed || g.besideOwnKind(m, members) {
					reason, hub = g.sharedCheck(m, fixed)
				}
			}
			if !hub && int(r.hardSeen) > limit && g.bringsNewHard(m, obs, members) {
				reason, hub = g.hubCheck(m)
			}
			if hub {
				t.touchComponent(g, m)
				g.quarantine(m, flagHub, reason)
				for _, root := range g.rebuild(m) {
					g.cluster(root)
				}
			}
		}
	}
	// Join the linking members' components.
	var root uint32
	first := true
	var anchors [8]uint32
	distinct := anchors[:0]
	var freshBuf [8]uint32
	newLinking := freshBuf[:0]
	hardOld := false // some known hard member of the observation links
	for _, m := range members {
		r := g.nodes.at(m)
		if !r.linking() {
			continue
		}
		if prev, touched := t.before(m); touched && prev.IsZero() {
			newLinking = append(newLinking, m)
		} else {
			if a := g.nodes.findProfile(m); !slices.Contains(distinct, a) {
				distinct = append(distinct, a)
			}
			hardOld = hardOld || g.kinds[r.kind].Class == Hard
		}
		if first {
			root, first = g.nodes.find(m), false
			continue
		}
		root = g.unionCC(root, g.nodes.find(m))
	}
	simple := !g.policy.Disabled && len(t.quarantined) == 0 && len(distinct) == 1 &&
		g.nodes.at(distinct[0]).flags&flagSimple != 0 && g.extendsSimply(distinct[0], newLinking, hardOld, oflags)
	allNew := !g.policy.Disabled && len(t.quarantined) == 0 && len(distinct) == 0 && len(newLinking) > 0 && g.freshIsOneProfile(newLinking, oflags)
	switch {
	case first:
		// Nothing links: every member is junk or quarantined.
	case simple:
		g.extendSimple(distinct[0], newLinking)
	case allNew:
		g.newSimple(newLinking)
	case g.policy.Disabled:
		// Profiles are the components: link the profiles' anchors, the
		// better anchor on top, in O(1) however large they are.
		distinct = append(distinct, newLinking...)
		best := g.bestAnchor(distinct)
		for _, a := range distinct {
			g.nodes.at(a).anchor = best
		}
	default:
		// Any evidence can change the profiles of its component, even inside
		// one profile (more evidence on a browser can make a second phone's
		// cluster independent), so the component is recomputed: it is a
		// person or a household, a few dozen identifiers.
		t.touchComponent(g, root)
		g.cluster(root)
	}
	a := applied{obs: obs, added: added, head: members[0]}
	for _, m := range members {
		if g.nodes.at(m).linking() {
			a.head = m
			break
		}
	}
	return a
}

// unionCC joins two components (roots); the root with the lower hash
// survives, a random-priority link that keeps trees shallow.
func (g *Graph) unionCC(a, b uint32) uint32 {
	if a == b {
		return a
	}
	ra, rb := g.nodes.at(a), g.nodes.at(b)
	if rb.hi < ra.hi || (rb.hi == ra.hi && b < a) {
		a, b, ra, rb = b, a, rb, ra
	}
	rb.parent = a
	ra.next, rb.next = rb.next, ra.next
	return a
}

// rebuild takes apart the component holding n and joins its members again
// through their live linking evidence; it returns the new components' roots.
func (g *Graph) rebuild(n uint32) []uint32 {
	members := g.ring(g.nodes.find(n), nil)
	for _, m := range members {
		r := g.nodes.at(m)
		r.parent, r.next, r.anchor = m, m, m
	}
	for _, m := range members {
		if !g.nodes.at(m).linking() {
			continue
		}
		g.inc.each(g.nodes.at(m).adj, func(o uint32) {
			rec := g.ev.at(o)
			if rec.flags&obsRetracted != 0 {
				return
			}
			for _, x := range rec.members {
				if x != m && x != erasedMember && g.nodes.at(x).linking() {
					g.unionCC(g.nodes.find(m), g.nodes.find(x))
				}
			}
		})
	}
	var roots []uint32
	for _, m := range members {
		if r := g.nodes.find(m); !slices.Contains(roots, r) {
			roots = append(roots, r)
		}
	}
	return roots
}

// bringsNewHard reports whether observation o carries a hard identifier m
// was never seen with before: only then can m's count of people grow, so
// only then is the full count (hubCheck) redone. Repeated pairs are found
// among m's most recent observations, so the common case is cheap.
func (g *Graph) bringsNewHard(m, o uint32, members []uint32) bool {
	for _, h := range members {
		hr := g.nodes.at(h)
		if h == m || g.kinds[hr.kind].Class != Hard || hr.flags&(flagJunk|flagErased) != 0 {
			continue
		}
		seen := false
		g.inc.until(g.nodes.at(m).adj, func(p uint32) bool {
			if p == o {
				return true
			}
			rec := g.ev.at(p)
			seen = rec.flags&obsRetracted == 0 && slices.Contains(rec.members, h)
			return !seen
		})
		if !seen {
			return true
		}
	}
	return false
}

// besideOwnKind reports whether an observation's members hold another
// linking identifier of hard node m's own kind.
func (g *Graph) besideOwnKind(m uint32, members []uint32) bool {
	kind := g.nodes.at(m).kind
	for _, x := range members {
		if xr := g.nodes.at(x); x != m && xr.kind == kind && xr.flags&(flagJunk|flagErased) == 0 {
			return true
		}
	}
	return false
}

// sharedCheck reports whether hard node n was typed in two observations
// beside values of its own kind (of any hard kind, when anyKind) that have
// nothing in common: a phone typed with one mobile in one form and with
// another in the next. One person types their own two phones together, or
// one at a time; a value typed beside two unrelated values of its kind is
// a household's landline or the dealer's own line or address typed into
// customers' forms, and joining through it mixes people. A fixed line is
// held to the stricter anyKind test because it is a home's or an office's
// before it is a person's: typed beside one email and then beside another,
// it is shared. The rule only grows with the observations (a disjoint
// pair stays disjoint), so the order they come in does not matter.
func (g *Graph) sharedCheck(n uint32, anyKind bool) (string, bool) {
	kind := g.nodes.at(n).kind
	groups := g.scratch.sharedGroups[:0] // each observation's own-kind values, flattened
	bounds := g.scratch.sharedBounds[:0]
	shared := false
	g.inc.until(g.nodes.at(n).adj, func(o uint32) bool {
		rec := g.ev.at(o)
		if rec.flags&obsRetracted != 0 {
			return true
		}
		start := len(groups)
		for _, x := range rec.members {
			if x == n || x == erasedMember {
				continue
			}
			if xr := g.nodes.at(x); (xr.kind == kind || anyKind && g.kinds[xr.kind].Class == Hard) && xr.flags&(flagJunk|flagErased) == 0 {
				groups = append(groups, x)
			}
		}
		if len(groups) == start {
			return true
		}
		cur := groups[start:]
		slices.Sort(cur)
		for i := range bounds {
			lo := 0
			if i > 0 {
				lo = bounds[i-1]
			}
			prev := groups[lo:bounds[i]]
			if slices.Equal(prev, cur) {
				// A group seen before meets every group it met: a value
				// retyped with the same companions (a CRM sync, a weekly
				// form) costs one comparison per distinct group, not one
				// per observation.
				groups = groups[:start]
				return true
			}
			if !slices.ContainsFunc(prev, func(x uint32) bool { return slices.Contains(cur, x) }) {
				shared = true
				return false
			}
		}
		bounds = append(bounds, len(groups))
		return true
	})
	g.scratch.sharedGroups, g.scratch.sharedBounds = groups, bounds
	if !shared {
		return "", false
	}
	if anyKind {
		return "a fixed line typed beside identifiers that were never typed together", true
	}
	return "typed beside two values of its kind that were never typed together", true
}

// fixedLine reports whether node n is a Russian fixed-line phone number
// (libphonenumber's fixed-line ranges of +7): it rings in a home or an
// office, so it is a household's or a company's number before a person's.
func (g *Graph) fixedLine(n uint32) bool {
	if g.kinds[g.nodes.at(n).kind].Kind != Phone {
		return false
	}
	v := g.nodes.value(n)
	return len(v) > 2 && v[0] == '+' && v[1] == '7' && planType(string(v[2:])) == phoneFixed
}

// hubReason is the whole hub decision for node n, both rules, without the
// cheap gates apply puts in front of each: Retract re-runs it to see
// whether a hub still is one.
func (g *Graph) hubReason(n uint32) (string, bool) {
	if g.kinds[g.nodes.at(n).kind].Class == Hard {
		if reason, shared := g.sharedCheck(n, g.fixedLine(n)); shared {
			return reason, true
		}
	}
	return g.hubCheck(n)
}

// hubCheck counts the distinct hard identifiers a linking node has been seen
// with: a soft identifier over MaxPeoplePerSoft, or a hard one over
// MaxPerKind of one kind, is a hub.
func (g *Graph) hubCheck(n uint32) (string, bool) {
	soft := g.kinds[g.nodes.at(n).kind].Class == Soft
	limit := g.policy.maxPerKind
	if soft {
		limit = g.policy.maxSoft
	}
	seen := g.scratch.hubSeen[:0]
	over := false
	g.inc.each(g.nodes.at(n).adj, func(o uint32) {
		if over {
			return
		}
		rec := g.ev.at(o)
		if rec.flags&obsRetracted != 0 {
			return
		}
		for _, x := range rec.members {
			if x == n || x == erasedMember {
				continue
			}
			xr := g.nodes.at(x)
			if g.kinds[xr.kind].Class != Hard || xr.flags&(flagJunk|flagErased) != 0 || slices.Contains(seen, x) {
				continue
			}
			seen = append(seen, x)
			if soft {
				over = len(seen) > limit
			} else {
				same := 0
				for _, y := range seen {
					if g.nodes.at(y).kind == xr.kind {
						same++
					}
				}
				over = same > limit
			}
		}
	})
	g.scratch.hubSeen = seen
	if !over {
		return "", false
	}
	if soft {
		return fmt.Sprintf("seen with more than %d people's identifiers", limit), true
	}
	return fmt.Sprintf("seen with more than %d identifiers of one kind", limit), true
}

// replaying reports whether the graph is replaying its journal or a
// shared log: records it applies were logged (and written) already.
func (g *Graph) replaying() bool { return g.store != nil && g.store.js.Replaying() }

// quarantine marks a node as not linking and records why.
func (g *Graph) quarantine(n uint32, flag uint8, reason string) {
	if !g.replaying() {
		what := "identity: junk identifier quarantined"
		if flag&flagHub != 0 {
			what = "identity: hub identifier quarantined (its profiles split)"
		}
		g.log.Warn(what, "kind", g.kinds[g.nodes.at(n).kind].Kind, "reason", reason) // never the value
	}
	g.nodes.at(n).flags |= flag
	g.quarantined = append(g.quarantined, quarantineRec{node: n, reason: reason})
	g.tracker.quarantined = append(g.tracker.quarantined, n)
}

// anchorLess orders nodes as anchors: kind rank, then hash, then kind and
// value (a total order, so the anchor of a set never depends on arrival).
func (g *Graph) anchorLess(a, b uint32) bool {
	ra, rb := g.nodes.at(a), g.nodes.at(b)
	if c := cmp.Compare(g.kinds[ra.kind].Rank, g.kinds[rb.kind].Rank); c != 0 {
		return c < 0
	}
	if ra.hi != rb.hi {
		return ra.hi < rb.hi
	}
	if ra.lo != rb.lo {
		return ra.lo < rb.lo
	}
	if c := cmp.Compare(g.kinds[ra.kind].Kind, g.kinds[rb.kind].Kind); c != 0 {
		return c < 0
	}
	return string(g.nodes.value(a)) < string(g.nodes.value(b))
}

// profileIDOf returns the ID of the profile anchored at root.
func (g *Graph) profileIDOf(root uint32) ProfileID {
	r := g.nodes.at(root)
	return ProfileID{hi: r.hi, lo: r.lo}
}

// Resolve returns the profile that holds the identifier. It returns a
// *ParseError when raw does not normalize and [ErrNotFound] when no profile
// holds it.
func (g *Graph) Resolve(kind Kind, raw string) (ProfileID, error) {
	k, ok := g.kindOf(kind)
	if !ok {
		return ProfileID{}, &ParseError{Kind: kind, Input: raw, Reason: "unknown kind", Err: ErrUnknownKind}
	}
	// Stored values are canonical, and normalizers are idempotent, so a raw
	// value found as it is was canonical already: its answer is right, and
	// the normalization can be skipped. Values stored by a service are often
	// queried just as they were stored.
	if len(raw) > 0 && len(raw) <= maxValueLen {
		if p, err := g.lookup(k, raw); err == nil {
			return p, nil
		}
	}
	v, err := g.kinds[k].normalize(raw)
	if err != nil {
		return ProfileID{}, err
	}
	return g.lookup(k, v)
}

// ResolveID is Resolve for an identifier already in canonical form (from
// [ParseID], [Graph.Normalize] or [Graph.Keys]); it skips normalization.
func (g *Graph) ResolveID(id ID) (ProfileID, error) {
	k, ok := g.kindOf(id.Kind)
	if !ok {
		return ProfileID{}, &ParseError{Kind: id.Kind, Input: id.Value, Reason: "unknown kind", Err: ErrUnknownKind}
	}
	return g.lookup(k, id.Value)
}

func (g *Graph) lookup(k uint8, v string) (ProfileID, error) {
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	if p, ok := g.lookupLocked(k, v); ok {
		return p, nil
	}
	return ProfileID{}, ErrNotFound
}

// lookupLocked finds the profile of a canonical value; the read lock is
// held.
func (g *Graph) lookupLocked(k uint8, v string) (ProfileID, bool) {
	return g.lookupHashed(k, g.hashID(k, v), v)
}

// lookupHashed is lookupLocked given v's hash.
func (g *Graph) lookupHashed(k uint8, h uint64, v string) (ProfileID, bool) {
	n, found := g.index.lookup(&g.nodes, h, k, v)
	if !found || g.nodes.at(n).flags&(flagDead|flagErased) != 0 {
		return ProfileID{}, false
	}
	return g.profileIDOf(g.nodes.profile(n)), true
}

// ResolveAll resolves ids as Resolve resolves each, and appends to dst
// the profile of each, in order: the zero ProfileID where Resolve would
// fail. It takes the graph's read lock once for them all.
//
// ResolveAll hashes a group of identifiers first and reads them ahead
// (index.readAhead) before looking any up: in a large graph their cache
// misses overlap.
func (g *Graph) ResolveAll(dst []ProfileID, ids []ID) []ProfileID {
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	for len(ids) > 0 {
		n := min(len(ids), resolveGroup)
		dst = g.resolveGroup(dst, ids[:n])
		ids = ids[n:]
	}
	return dst
}

// resolveGroup is how many identifiers ResolveAll hashes ahead.
const resolveGroup = 64

// resolveGroup resolves up to resolveGroup ids; the read lock is held.
func (g *Graph) resolveGroup(dst []ProfileID, ids []ID) []ProfileID {
	var ks [resolveGroup]uint8 // the kind's index; noKind: none, or no raw lookup
	var hs [resolveGroup]uint64
	for i, id := range ids {
		ks[i] = noKind
		if k, ok := g.kindOf(id.Kind); ok && len(id.Value) > 0 && len(id.Value) <= maxValueLen {
			ks[i], hs[i] = k, g.hashID(k, id.Value)
		}
	}
	g.index.readAhead(&g.nodes, hs[:len(ids)])
	for i, id := range ids {
		var p ProfileID
		found := false
		if ks[i] != noKind {
			p, found = g.lookupHashed(ks[i], hs[i], id.Value)
		}
		if k, ok := g.kindOf(id.Kind); ok && !found {
			if v, err := g.kinds[k].normalize(id.Value); err == nil {
				p, _ = g.lookupLocked(k, v)
			}
		}
		dst = append(dst, p)
	}
	return dst
}

// noKind marks, in resolveGroup, an identifier not to look up as it is
// spelled (at most 255 kinds leave 255 free).
const noKind = 0xff

// Current returns the ID that p names now: p itself while it names a
// profile, the profile it was merged into after it retired. It reports false
// for an ID the graph never issued.
func (g *Graph) Current(p ProfileID) (ProfileID, bool) {
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	n, ok := g.anchorOf(p)
	if !ok {
		return ProfileID{}, false
	}
	now := g.liveProfileOf(n)
	return now, !now.IsZero()
}

// anchorOf finds the node a profile ID was derived from.
func (g *Graph) anchorOf(p ProfileID) (uint32, bool) {
	for n := range g.index.candidates(&g.nodes, p.hi) {
		if g.profileIDOf(n) == p && g.nodes.at(n).flags&flagErased == 0 {
			return n, true
		}
	}
	return 0, false
}

// Keys returns the identifiers of the profile p names (following p if it
// retired), sorted by kind rank and value. The sequence is a snapshot taken
// when it starts; it is empty for an unknown ID.
func (g *Graph) Keys(p ProfileID) iter.Seq[ID] {
	return func(yield func(ID) bool) {
		for _, id := range g.keys(p) {
			if !yield(id) {
				return
			}
		}
	}
}

func (g *Graph) keys(p ProfileID) []ID {
	l := g.mu.rlock()
	n, ok := g.anchorOf(p)
	if !ok {
		g.mu.runlock(l)
		return nil
	}
	if g.nodes.at(n).flags&(flagDead|flagErased) != 0 {
		g.mu.runlock(l)
		return nil
	}
	a := g.nodes.profile(n)
	var ids []ID
	for m := a; ; {
		if r := g.nodes.at(m); g.nodes.profile(m) == a && r.flags&(flagDead|flagErased) == 0 {
			ids = append(ids, g.idOf(m))
		}
		m = g.nodes.at(m).next
		if m == a {
			break
		}
	}
	g.mu.runlock(l)
	rank := func(k Kind) int {
		i, _ := g.kindOf(k)
		return g.kinds[i].Rank
	}
	slices.SortFunc(ids, func(a, b ID) int {
		return cmp.Or(cmp.Compare(rank(a.Kind), rank(b.Kind)), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
	})
	return ids
}

// Profiles returns the IDs of all profiles in ascending order. The sequence is
// a snapshot taken when it starts.
func (g *Graph) Profiles() iter.Seq[ProfileID] {
	return func(yield func(ProfileID) bool) {
		l := g.mu.rlock()
		ids := make([]ProfileID, 0, g.profiles)
		for n := range uint32(g.nodes.len()) {
			if r := g.nodes.at(n); r.anchor == n && r.flags&(flagDead|flagErased) == 0 {
				ids = append(ids, g.profileIDOf(n))
			}
		}
		g.mu.runlock(l)
		slices.SortFunc(ids, ProfileID.Compare)
		for _, id := range ids {
			if !yield(id) {
				return
			}
		}
	}
}

// Stats describe a graph's size.
type Stats struct {
	Identifiers  int
	Profiles     int
	Observations int
	Quarantined  int
	// IndexBytes is the memory held for identifiers: the index, the
	// union-find arrays and the value arenas (allocated capacity).
	IndexBytes int
	// EvidenceBytes is the memory held for observations.
	EvidenceBytes int
}

// Stats returns the graph's current size.
func (g *Graph) Stats() Stats {
	l := g.mu.rlock()
	defer g.mu.runlock(l)
	return Stats{
		Identifiers:   g.nodes.len(),
		Profiles:      g.profiles,
		Quarantined:   len(g.quarantined),
		Observations:  g.ev.len(),
		IndexBytes:    g.nodes.bytes() + g.index.bytes(),
		EvidenceBytes: g.ev.bytes() + g.inc.bytes() + g.sources.bytes(),
	}
}
