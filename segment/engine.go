package segment

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/journey"
)

// Options connects an Engine to the rest of the system.
type Options struct {
	// Store holds the timelines: the engine files events through it and
	// reads it back when identity changes take profiles apart. Required.
	Store *journey.Store
	// Graph answers HasID and lists the profiles that have no events yet
	// ("no contract ever" holds for them too). Required when a condition
	// uses HasID; when nil, the engine's profiles are the store's.
	Graph *identity.Graph
	// Props returns a profile's properties (a CRM's city, brand, birth
	// date) for Prop conditions; nil means none. The engine calls it from
	// several goroutines at once.
	Props func(identity.ProfileID) map[string]string
	// Reacher answers ReachableOn; required when a condition uses it.
	Reacher *channel.Reacher
	// Workers bounds the goroutines of whole-population passes; 0 means
	// GOMAXPROCS.
	Workers int
	// Logger hears about rebuilds (how many profiles, changes, how long);
	// nil is silent.
	Logger *slog.Logger
}

// Cause says what made a membership change.
type Cause uint8

const (
	CauseEvent    Cause = iota + 1 // an event arrived (Add)
	CauseIdentity                  // profiles merged or split, or gained identifiers (Follow)
	CauseTime                      // a window moved on (Refresh)
	CauseTouch                     // the host said properties or consent changed (Touch)
	CauseRebuild                   // a whole rebuild from the store (Rebuild)
)

func (c Cause) String() string {
	switch c {
	case CauseEvent:
		return "event"
	case CauseIdentity:
		return "identity"
	case CauseTime:
		return "time"
	case CauseTouch:
		return "touch"
	case CauseRebuild:
		return "rebuild"
	}
	return fmt.Sprintf("Cause(%d)", c)
}

// A Transition is a profile entering or leaving a segment: what trigger
// mailings run on.
type Transition struct {
	Segment string // a segment's name, or "segmentation/tab"
	Profile identity.ProfileID
	Entered bool // false: exited
	At      time.Time
	Cause   Cause
	// Carried lists, for an entry caused by a merge or split, the retired
	// profiles that were already in the segment: the person is not new to
	// it, so a host may skip the welcome mail. Exits of retired profiles
	// come with the same Cause.
	Carried []identity.ProfileID
}

// ErrConfig reports an Engine configuration that cannot work.
var ErrConfig = errors.New("segment: bad engine configuration")

// An Engine keeps the membership of every profile in every segment of a
// Set current. It keeps, per profile, the second of each event that passed
// each distinct filter of the set (8 bytes a hit), so evaluation never
// rereads timelines; it learns events through Add and identity changes
// through Follow, and it reads properties and reachability live.
//
// Feed events and identity changes through the engine (Add, Follow), not
// to the store directly: the engine passes them on under its own lock, so
// no merge slips between filing an event and counting it.
//
// Membership moves for four reasons, each with its own call: an event (Add
// re-evaluates only the segments the event's filters feed, and those that
// read them), an identity change (Follow), the passing of time (Refresh:
// "in the last 30 days" changes with no event at all) and a property or
// consent change the engine cannot see (Touch). Every call takes the
// evaluation time from its caller. An Engine is safe for concurrent use.
type Engine struct {
	mu      sync.Mutex
	cfg     Options
	prog    *program
	index   map[identity.ProfileID]int32
	states  []pstate
	bits    []uint64 // prog.words per state
	free    []int32
	evalCtx *evalCtx // for single-profile work under mu
}

// NewEngine compiles the set against the configuration. The engine starts
// empty: call Rebuild to load a store that already holds events.
func NewEngine(set *Set, opts *Options) (*Engine, error) {
	var cfg Options
	if opts != nil {
		cfg = *opts
	}
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Options.Store is required", ErrConfig)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	prog, err := compileSet(set, &cfg)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, prog: prog, index: map[identity.ProfileID]int32{}}
	e.evalCtx = e.newCtx()
	return e, nil
}

func (e *Engine) newCtx() *evalCtx {
	return &evalCtx{getter: e.cfg.Props, bits: make([]uint64, e.prog.words)}
}

// Names lists the segments and tabs, in the set's order.
func (e *Engine) Names() []string { return slices.Clone(e.prog.names) }

// Add files an event in the store and re-evaluates the segments it can
// change for its profile. A duplicate (an event ID already stored) changes
// nothing.
func (e *Engine) Add(ev journey.Event, now time.Time) ([]Transition, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, added, err := e.cfg.Store.Add(ev)
	if err != nil || !added {
		return nil, err
	}
	return e.update(p, &ev, now), nil
}

// update is Add's work after the store filed ev under p.
func (e *Engine) update(p identity.ProfileID, ev *journey.Event, now time.Time) []Transition {
	i, fresh := e.state(p)
	if fresh {
		// First sight: load the whole timeline, this event included, so an
		// engine made over a store that already holds events heals itself.
		e.load(&e.states[i])
		return e.reeval(i, e.prog.all, now, CauseEvent, nil, nil)
	}
	st := &e.states[i]
	sec := ev.Time.Unix()
	var units []int
	for f, cf := range e.prog.filters {
		if !cf.match(ev) {
			continue
		}
		h := hitKey(f, sec)
		j, _ := slices.BinarySearch(st.hits, h)
		st.hits = slices.Insert(st.hits, j, h)
		units = append(units, e.prog.byFilter[f]...)
	}
	if len(units) == 0 {
		return nil
	}
	slices.Sort(units)
	return e.reeval(i, slices.Compact(units), now, CauseEvent, nil, nil)
}

// Follow applies an identity change, in the store and in memberships:
// profiles that merged or split are rebuilt from their timelines; a
// profile that only gained identifiers is re-evaluated. Pass every Change
// the graph returns.
func (e *Engine) Follow(ch identity.Change, now time.Time) []Transition {
	e.mu.Lock()
	defer e.mu.Unlock()
	// Rebuild the profiles the store filed moved events under: usually the
	// change's own, but an event stored under a profile that lost its
	// identifier earlier lands wherever its identifiers resolve now.
	results := e.cfg.Store.Follow(ch).Profiles
	var old []identity.ProfileID
	for _, m := range ch.Merges {
		old = append(old, m.From...)
		results = append(results, m.Into)
	}
	for _, s := range ch.Splits {
		old = append(old, s.From)
		results = append(results, s.Into...)
	}
	for _, r := range ch.Retired {
		old = append(old, r)
		if e.cfg.Graph != nil {
			if cur, ok := e.cfg.Graph.Current(r); ok {
				results = append(results, cur)
			}
		}
	}
	results = append(results, ch.Created...)
	slices.SortFunc(results, identity.ProfileID.Compare)
	results = slices.Compact(results)
	slices.SortFunc(old, identity.ProfileID.Compare)
	old = slices.Compact(old) // a merged profile is also listed as retired
	// Memberships of the profiles that changed shape, before the change.
	prior := map[identity.ProfileID][]uint64{}
	for _, p := range append(slices.Clone(old), results...) {
		if i, ok := e.index[p]; ok {
			prior[p] = slices.Clone(e.word(i))
		}
	}
	var out []Transition
	for _, p := range old {
		if slices.Contains(results, p) {
			continue
		}
		if i, ok := e.index[p]; ok {
			for b := range e.prog.names {
				if hasBit(e.word(i), b) {
					out = append(out, Transition{Segment: e.prog.names[b], Profile: p, At: now, Cause: CauseIdentity})
				}
			}
			e.drop(p)
		}
	}
	all := e.prog.all
	for _, p := range results {
		i, _ := e.state(p)
		e.load(&e.states[i])
		var carried []identity.ProfileID
		for _, o := range old {
			if o != p && prior[o] != nil {
				carried = append(carried, o)
			}
		}
		out = append(out, e.reeval(i, all, now, CauseIdentity, carried, prior)...)
	}
	// A profile that only gained or lost identifiers.
	if p := ch.Profile; !p.IsZero() && !slices.Contains(results, p) {
		out = append(out, e.reeval(e.refreshed(p), all, now, CauseIdentity, nil, nil)...)
	}
	return out
}

// Touch re-evaluates every segment for one profile, after a change the
// engine cannot see: its properties, consents or suppressions.
func (e *Engine) Touch(p identity.ProfileID, now time.Time) []Transition {
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur, ok := e.current(p); ok {
		p = cur
	}
	return e.reeval(e.refreshed(p), e.prog.all, now, CauseTouch, nil, nil)
}

// Refresh re-evaluates every profile at now and reports the changes the
// passing of time caused (a car view leaving the 30-day window, a lead
// turning 14 days old). Run it on a clock: daily is Unomi's default;
// hourly keeps hourly windows honest.
//
// A Refresh whose ctx is done before it finishes returns ctx's error and
// changes no membership.
func (e *Engine) Refresh(ctx context.Context, now time.Time) ([]Transition, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	out, err := e.pass(ctx, now, CauseTime)
	if err != nil {
		return nil, fmt.Errorf("segment: refresh: %w", err)
	}
	return out, nil
}

// Rebuild forgets what the engine knew and reloads every profile from the
// store (and the graph, for profiles without events), then evaluates all of
// them at now; the changes are against the memberships before.
//
// It runs in two steps: load every profile's history into new slots (the
// long part, on every core, stopping when ctx is done), then commit: drop
// the profiles that are gone, install the new slots and evaluate. A
// cancelled Rebuild returns ctx's error before the commit and leaves the
// engine as it was.
func (e *Engine) Rebuild(ctx context.Context, now time.Time) ([]Transition, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	start := time.Now()
	ps := e.allProfiles()
	loaded, err := e.loadAll(ctx, ps)
	if err != nil {
		return nil, fmt.Errorf("segment: rebuild: %w", err)
	}
	var out []Transition
	keep := make(map[identity.ProfileID]bool, len(ps))
	for _, p := range ps {
		keep[p] = true
	}
	for p, i := range e.index {
		if keep[p] {
			continue
		}
		for b := range e.prog.names {
			if hasBit(e.word(i), b) {
				out = append(out, Transition{Segment: e.prog.names[b], Profile: p, At: now, Cause: CauseRebuild})
			}
		}
		e.drop(p)
	}
	for k, p := range ps {
		i, _ := e.state(p) // an existing slot keeps its memberships, to report changes against
		e.states[i].kinds, e.states[i].hits = loaded[k].kinds, loaded[k].hits
	}
	// The commit is not cancelled half way: ctx was checked while loading.
	passed, _ := e.pass(context.Background(), now, CauseRebuild)
	out = append(out, passed...)
	sortChanges(out)
	if e.cfg.Logger != nil {
		e.cfg.Logger.Info("segment: rebuilt", "profiles", len(ps), "changes", len(out), "elapsed", time.Since(start))
	}
	return out, nil
}

// allProfiles lists the profiles of the graph and the store, sorted.
func (e *Engine) allProfiles() []identity.ProfileID {
	var ps []identity.ProfileID
	if e.cfg.Graph != nil {
		for p := range e.cfg.Graph.Profiles() {
			ps = append(ps, p)
		}
	}
	ps = append(ps, e.cfg.Store.Profiles()...)
	slices.SortFunc(ps, identity.ProfileID.Compare)
	return slices.Compact(ps)
}

// loadAll loads each profile's history into a slot of its own, on every
// core, checking ctx every 1,024 profiles.
func (e *Engine) loadAll(ctx context.Context, ps []identity.ProfileID) ([]pstate, error) {
	loaded := make([]pstate, len(ps))
	w := min(e.cfg.Workers, max(1, len(ps)/1024))
	chunk := (len(ps) + w - 1) / max(w, 1)
	var wg sync.WaitGroup
	for k := range w {
		lo, hi := k*chunk, min(len(ps), (k+1)*chunk)
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				if i%1024 == 0 && ctx.Err() != nil {
					return
				}
				loaded[i].id = ps[i]
				e.load(&loaded[i])
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return loaded, nil
}

// Evaluate returns the segments and tabs a profile is in at now, computed
// afresh; it changes nothing.
func (e *Engine) Evaluate(p identity.ProfileID, now time.Time) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur, ok := e.current(p); ok {
		p = cur
	}
	st := pstate{id: p}
	e.load(&st)
	c := e.newCtx()
	e.run(c, &st, nil, e.prog.all, now)
	return e.memberNames(c)
}

// memberNames are the names of the segments c's bits hold.
func (e *Engine) memberNames(c *evalCtx) []string {
	var out []string
	for b, n := range e.prog.names {
		if hasBit(c.bits, b) {
			out = append(out, n)
		}
	}
	return out
}

// EvaluateFor is Evaluate as v sees the profile (see identity.Viewer):
// conditions on events read only the events v may see
// (journey.Store.TimelineFor, under basis); conditions on the profile
// (HasID, Prop, ReachableOn) read the group's profile. It changes
// nothing: memberships kept by the engine stay the group's.
func (e *Engine) EvaluateFor(p identity.ProfileID, v identity.Viewer, basis identity.Basis, now time.Time) []string {
	// The view is read before the engine's lock: the basis may lock a
	// Reacher the engine's ReachableOn reads under it.
	seen := e.cfg.Store.TimelineFor(p, v, basis, now)
	e.mu.Lock()
	defer e.mu.Unlock()
	if cur, ok := e.current(p); ok {
		p = cur
	}
	st := pstate{id: p}
	e.loadFrom(&st, slices.Values(seen))
	c := e.newCtx()
	e.run(c, &st, nil, e.prog.all, now)
	return e.memberNames(c)
}

// Is reports whether a profile is in a segment (or "segmentation/tab") as
// of the last evaluation.
func (e *Engine) Is(p identity.ProfileID, segment string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.prog.byName[segment] - 1
	i, ok := e.index[p]
	return ok && b >= 0 && hasBit(e.word(i), b)
}

// Members returns the members of a segment (or "segmentation/tab") as of
// the last evaluation, in profile ID order.
func (e *Engine) Members(segment string) []identity.ProfileID {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.prog.byName[segment] - 1
	if b < 0 {
		return nil
	}
	var out []identity.ProfileID
	for i := range e.states {
		if !e.states[i].id.IsZero() && hasBit(e.word(int32(i)), b) {
			out = append(out, e.states[i].id)
		}
	}
	slices.SortFunc(out, identity.ProfileID.Compare)
	return out
}

// Profiles iterates over the profiles the engine keeps, in no order. The
// sequence is a snapshot taken when it starts: no lock is held while the
// loop body runs, so the body may call the engine.
func (e *Engine) Profiles() iter.Seq[identity.ProfileID] {
	return func(yield func(identity.ProfileID) bool) {
		// A snapshot: the lock is not held while the loop body runs, so
		// the body may add events or follow merges.
		e.mu.Lock()
		ids := make([]identity.ProfileID, 0, len(e.states))
		for i := range e.states {
			if !e.states[i].id.IsZero() {
				ids = append(ids, e.states[i].id)
			}
		}
		e.mu.Unlock()
		for _, id := range ids {
			if !yield(id) {
				return
			}
		}
	}
}

func (e *Engine) word(i int32) []uint64 {
	w := e.prog.words
	return e.bits[int(i)*w : int(i)*w+w]
}

func (e *Engine) current(p identity.ProfileID) (identity.ProfileID, bool) {
	if e.cfg.Graph == nil {
		return p, false
	}
	return e.cfg.Graph.Current(p)
}

// state returns p's slot, making an empty one the first time (fresh: the
// caller loads it).
func (e *Engine) state(p identity.ProfileID) (i int32, fresh bool) {
	if j, ok := e.index[p]; ok {
		return j, false
	}
	if n := len(e.free); n > 0 {
		i = e.free[n-1]
		e.free = e.free[:n-1]
	} else {
		i = int32(len(e.states))
		e.states = append(e.states, pstate{})
		e.bits = append(e.bits, make([]uint64, e.prog.words)...)
	}
	e.states[i] = pstate{id: p}
	clear(e.word(i))
	e.index[p] = i
	return i, true
}

func (e *Engine) drop(p identity.ProfileID) {
	i, ok := e.index[p]
	if !ok {
		return
	}
	delete(e.index, p)
	e.states[i] = pstate{}
	clear(e.word(i))
	e.free = append(e.free, i)
}

func (e *Engine) kindsOf(p identity.ProfileID) uint64 {
	if e.cfg.Graph == nil || len(e.prog.kinds) == 0 {
		return 0
	}
	var k uint64
	for id := range e.cfg.Graph.Keys(p) {
		if i := slices.Index(e.prog.kinds, string(id.Kind)); i >= 0 {
			k |= 1 << i
		}
	}
	return k
}

// load rebuilds a profile's hits from its timeline.
func (e *Engine) load(st *pstate) { e.loadFrom(st, e.cfg.Store.Events(st.id)) }

// loadFrom rebuilds a profile's hits from events.
func (e *Engine) loadFrom(st *pstate, events iter.Seq[journey.Event]) {
	st.kinds = e.kindsOf(st.id)
	st.hits = st.hits[:0]
	if len(e.prog.filters) == 0 {
		return
	}
	for ev := range events {
		sec := ev.Time.Unix()
		for f, cf := range e.prog.filters {
			if cf.match(&ev) {
				st.hits = append(st.hits, hitKey(f, sec))
			}
		}
	}
	slices.Sort(st.hits)
}

// refreshed returns p's slot with what the engine cannot learn from
// events current: loaded whole the first time, its identifier kinds read
// again from the graph otherwise.
func (e *Engine) refreshed(p identity.ProfileID) int32 {
	i, fresh := e.state(p)
	if fresh {
		e.load(&e.states[i])
	} else {
		e.states[i].kinds = e.kindsOf(p)
	}
	return i
}

// run evaluates units, in order, for st at now, starting from the
// memberships in start; the result is left in c.bits.
func (e *Engine) run(c *evalCtx, st *pstate, start []uint64, units []int, now time.Time) {
	copy(c.bits, start)
	c.st, c.now, c.nowT, c.loaded, c.props = st, now.Unix(), now, false, nil
	for _, u := range units {
		e.prog.units[u].eval(c)
	}
}

// reeval evaluates units (in order) for slot i and reports the changes.
// prior, when it has the profile, gives the memberships to compare with
// (a profile that merged in or split off had them under its old shape).
func (e *Engine) reeval(i int32, units []int, now time.Time, cause Cause, carried []identity.ProfileID, prior map[identity.ProfileID][]uint64) []Transition {
	c := e.evalCtx
	st := &e.states[i]
	cur := e.word(i)
	before := cur
	if pb, ok := prior[st.id]; ok {
		before = pb
	}
	e.run(c, st, cur, units, now)
	out := e.diff(st.id, before, c.bits, now, cause, carried, prior)
	copy(cur, c.bits)
	sortChanges(out)
	return out
}

func (e *Engine) diff(p identity.ProfileID, before, after []uint64, now time.Time, cause Cause, carried []identity.ProfileID, prior map[identity.ProfileID][]uint64) []Transition {
	var out []Transition
	for w := range after {
		x := before[w] ^ after[w]
		for x != 0 {
			b := w*64 + bits.TrailingZeros64(x)
			x &= x - 1
			ch := Transition{Segment: e.prog.names[b], Profile: p, Entered: hasBit(after, b), At: now, Cause: cause}
			if ch.Entered {
				for _, o := range carried {
					if hasBit(prior[o], b) {
						ch.Carried = append(ch.Carried, o)
					}
				}
			}
			out = append(out, ch)
		}
	}
	return out
}

// pass evaluates every profile on every core.
func (e *Engine) pass(ctx context.Context, now time.Time, cause Cause) ([]Transition, error) {
	// New memberships go to next and are committed only when every
	// profile is done, so a cancelled pass changes nothing.
	next := make([]uint64, len(e.bits))
	var cancelled atomic.Bool
	out := e.parallel(func(lo, hi int, c *evalCtx) []Transition {
		var out []Transition
		for i := lo; i < hi; i++ {
			if (i-lo)%1024 == 0 && ctx.Err() != nil {
				cancelled.Store(true)
				return nil
			}
			st := &e.states[i]
			if st.id.IsZero() {
				continue
			}
			cur := e.word(int32(i))
			e.run(c, st, cur, e.prog.all, now)
			out = append(out, e.diff(st.id, cur, c.bits, now, cause, nil, nil)...)
			w := e.prog.words
			copy(next[i*w:i*w+w], c.bits)
		}
		return out
	})
	if cancelled.Load() {
		return nil, ctx.Err()
	}
	copy(e.bits, next)
	sortChanges(out)
	return out, nil
}

// parallel runs f over slices of the states on cfg.Workers goroutines,
// each with its own evaluation context, and joins what they return in
// slice order.
func (e *Engine) parallel(f func(lo, hi int, c *evalCtx) []Transition) []Transition {
	n := len(e.states)
	w := min(e.cfg.Workers, max(1, n/1024))
	chunk := (n + w - 1) / max(w, 1)
	parts := make([][]Transition, w)
	var wg sync.WaitGroup
	for k := range w {
		lo, hi := k*chunk, min(n, (k+1)*chunk)
		if lo >= hi {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[k] = f(lo, hi, e.newCtx())
		}()
	}
	wg.Wait()
	return slices.Concat(parts...)
}

// sortChanges orders changes by profile, then segment, exits first.
func sortChanges(cs []Transition) {
	slices.SortStableFunc(cs, func(a, b Transition) int {
		if c := a.Profile.Compare(b.Profile); c != 0 {
			return c
		}
		if a.Entered != b.Entered {
			if !a.Entered {
				return -1
			}
			return 1
		}
		return 0
	})
}
