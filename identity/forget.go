package identity

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"slices"
	"sync"
)

// ErrRetracted is returned when retracting an observation twice.
var ErrRetracted = errors.New("identity: observation already retracted")

// Retract withdraws an observation: it stops being evidence, and the
// profiles it held together are rebuilt from what remains (only the affected
// component is recomputed). Identifiers left with no evidence stop resolving.
func (g *Graph) Retract(id ObservationID) (Change, error) { return g.retractCall(id, false) }

// PreviewRetract returns the Change Retract would make, and changes nothing.
func (g *Graph) PreviewRetract(id ObservationID) (Change, error) { return g.retractCall(id, true) }

func (g *Graph) retractCall(id ObservationID, dryRun bool) (Change, error) {
	g.mu.lock()
	defer g.mu.unlock()
	if !dryRun && int(id) < g.ev.len() && g.ev.at(uint32(id)).flags&obsRetracted == 0 {
		if err := g.journalWrite(recRetract, binary.AppendUvarint(nil, uint64(id))); err != nil {
			return Change{}, err
		}
	}
	return g.retract(id, dryRun)
}

func (g *Graph) retract(id ObservationID, dryRun bool) (Change, error) {
	if int(id) >= g.ev.len() {
		return Change{}, fmt.Errorf("%w: observation %d", ErrNotFound, id)
	}
	rec := g.ev.at(uint32(id))
	if rec.flags&obsRetracted != 0 {
		return Change{}, fmt.Errorf("%w: %d", ErrRetracted, id)
	}
	members := slices.Clone(rec.members)
	g.ev.setFlag(uint32(id), obsRetracted)
	// Hubs whose count falls back under the limit link again, so the region
	// to recompute includes their neighbours' components.
	var unhub []uint32
	var seeds []uint32
	for _, m := range members {
		if m == erasedMember {
			continue
		}
		seeds = append(seeds, m)
		if r := g.nodes.at(m); r.flags&flagHub != 0 {
			r.flags &^= flagHub
			if _, hub := g.hubReason(m); !hub {
				unhub = append(unhub, m)
				g.eachLiveNeighbour(m, func(x uint32) { seeds = append(seeds, x) })
			}
			r.flags |= flagHub
		}
	}
	var undo *regionUndo
	if dryRun {
		undo = g.saveRegion(seeds)
		undo.obs, undo.obsFlag = uint32(id), rec.flags
	}
	t := &g.tracker
	t.reset()
	for _, s := range seeds {
		t.touchComponent(g, g.nodes.find(s))
	}
	for _, m := range members {
		if m == erasedMember {
			continue
		}
		live := false
		g.inc.each(g.nodes.at(m).adj, func(o uint32) { live = live || g.ev.at(o).flags&obsRetracted == 0 })
		if !live {
			g.nodes.at(m).flags |= flagDead
		}
	}
	for _, m := range unhub {
		g.nodes.at(m).flags &^= flagHub
	}
	g.recompute(seeds, unhub)
	if undo == nil {
		g.recalibrate()
	}
	ch := t.change(g)
	if undo != nil {
		g.restoreRegion(undo)
	}
	return ch, nil
}

// Forget erases an identifier (a person's request under GDPR or 152-FZ):
// it leaves every observation, its value is wiped from memory, the profiles
// it held together are rebuilt, and a tombstone (a keyed hash, not the
// value) makes the graph drop it from any later or replayed observation.
//
// On a persistent graph Forget writes the tombstone to the journal, then
// takes the value off the disk (Options.Store's Erase: the journal and a
// shared log rewritten without it), which can run long; ctx bounds that
// step. The rules:
//   - ctx done before Forget starts: nothing changes, and the error is
//     ctx's.
//   - the tombstone's write fails: nothing changes, and the error is the
//     write's.
//   - the erase from disk fails or ctx ends during it: the identifier is
//     forgotten (in memory, and by the journaled tombstone after a
//     restart), the Change is returned, and the error wraps both
//     ErrNotCompacted and the cause (context.Canceled, say).
func (g *Graph) Forget(ctx context.Context, kind Kind, raw string) (Change, error) {
	if err := ctx.Err(); err != nil {
		return Change{}, err
	}
	return g.forget(ctx, kind, raw, false)
}

// PreviewForget returns the Change Forget would make, and changes nothing.
func (g *Graph) PreviewForget(kind Kind, raw string) (Change, error) {
	return g.forget(context.Background(), kind, raw, true) // a dry run does no I/O
}

func (g *Graph) forget(ctx context.Context, kind Kind, raw string, dryRun bool) (Change, error) {
	c, err := g.Normalize(kind, raw)
	if err != nil {
		return Change{}, err
	}
	g.mu.lock()
	defer g.mu.unlock()
	k, _ := g.kindOf(c.Kind)
	h := g.hashID(k, c.Value)
	n, found := g.index.lookup(&g.nodes, h, k, c.Value)
	if !found || g.nodes.at(n).flags&flagErased != 0 {
		return Change{}, fmt.Errorf("%w: %s", ErrNotFound, c)
	}
	ts := g.tombstone(k, c.Value)
	if !dryRun && g.store != nil {
		if err := g.journalWrite(recForget, append(appendString(nil, string(c.Kind)), ts[:]...)); err != nil {
			return Change{}, err
		}
	}
	ch := g.forgetNode(n, k, c.Value, dryRun)
	ch.Erased = []ErasureTag{ts}
	if !dryRun {
		g.log.Info("identity: identifier forgotten", "kind", c.Kind, "profiles_rebuilt", len(ch.Splits)+len(ch.Merges))
	}
	if !dryRun && g.store != nil {
		// Take it off the disk at once: the journal (and a shared log's
		// records) still hold the value in clear.
		if err := g.store.js.Erase(ctx, ts); err != nil {
			return ch, fmt.Errorf("%w: %w", ErrNotCompacted, err)
		}
	}
	return ch, nil
}

// forgetNode erases node n (kind k, value v); the write lock is held.
func (g *Graph) forgetNode(n uint32, k uint8, v string, dryRun bool) Change {
	seeds := []uint32{n}
	var undo *regionUndo
	if dryRun {
		undo = g.saveRegion(seeds)
	}
	t := &g.tracker
	t.reset()
	t.touchComponent(g, g.nodes.find(n))
	g.nodes.at(n).flags |= flagErased
	// Out of the evidence before the recompute, so the profiles rebuilt
	// are the ones a graph restored from a snapshot (which holds the
	// evidence without it) rebuilds.
	type erased struct {
		o     uint32
		slots []uint32
	}
	var gone []erased
	g.inc.each(g.nodes.at(n).adj, func(o uint32) { gone = append(gone, erased{o, g.ev.erase(o, n)}) })
	g.recompute(seeds, nil)
	if undo == nil {
		g.recalibrate()
	}
	ch := t.change(g)
	ch.Forgotten = 1
	if undo != nil {
		for _, e := range gone {
			g.ev.unerase(e.o, e.slots, n)
		}
		g.restoreRegion(undo)
		return ch
	}
	// Wipe the value and its hashes.
	g.index.remove(&g.nodes, n)
	g.nodes.wipe(n)
	if g.tombstones == nil {
		g.tombstones = map[[16]byte]struct{}{}
	}
	g.tombstones[g.tombstone(k, v)] = struct{}{}
	return ch
}

// recompute rebuilds the components of the seeds, joins nodes that link
// again (unhub) with their neighbours, and reclusters what results.
func (g *Graph) recompute(seeds, unhub []uint32) {
	// Every part a rebuild leaves is clustered, not only the seeds' own:
	// a forgotten identifier's component falls apart into parts that
	// need not hold it.
	var parts []uint32
	done := map[uint32]bool{}
	for _, s := range seeds {
		if done[g.nodes.find(s)] {
			continue
		}
		for _, r := range g.rebuild(s) {
			done[r] = true
			parts = append(parts, r)
		}
	}
	for _, m := range unhub {
		g.eachLiveNeighbour(m, func(x uint32) {
			if g.nodes.at(x).linking() {
				g.unionCC(g.nodes.find(m), g.nodes.find(x))
			}
		})
	}
	var roots []uint32
	for _, p := range append(parts, seeds...) {
		if r := g.nodes.find(p); !slices.Contains(roots, r) {
			roots = append(roots, r)
		}
	}
	for _, r := range roots {
		g.cluster(r)
	}
}

func (g *Graph) eachLiveNeighbour(n uint32, fn func(uint32)) {
	g.inc.each(g.nodes.at(n).adj, func(o uint32) {
		rec := g.ev.at(o)
		if rec.flags&obsRetracted != 0 {
			return
		}
		for _, x := range rec.members {
			if x != n && x != erasedMember && g.nodes.at(x).flags&flagErased == 0 {
				fn(x)
			}
		}
	})
}

// A tombstoner computes tombstones under one key. hmac.New costs some
// thirty allocations, and once a graph has forgotten anything every
// observation's new identifiers are checked against the tombstones (and
// on a shared log every record is tagged with its identifiers'), so the
// graph keeps a pool of them: readers check tombstones too (Erased,
// ErasureTag), under the read lock.
type tombstoner struct {
	mac hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// setEraseKey sets the key tombstones are made with.
func (g *Graph) setEraseKey(key []byte) {
	g.eraseKey = key
	g.tombstoners = &sync.Pool{New: func() any { return &tombstoner{mac: hmac.New(sha256.New, key)} }}
}

// tombstone is the keyed hash a forgotten identifier leaves behind.
func (g *Graph) tombstone(k uint8, v string) [16]byte {
	t := g.tombstoners.Get().(*tombstoner)
	t.mac.Reset()
	t.buf = append(append(append(t.buf[:0], g.kinds[k].Kind...), 0), v...)
	t.mac.Write(t.buf)
	var out [16]byte
	copy(out[:], t.mac.Sum(t.sum[:0]))
	g.tombstoners.Put(t)
	return out
}

func (g *Graph) tombstoned(k uint8, v string) bool {
	if len(g.tombstones) == 0 {
		return false
	}
	_, ok := g.tombstones[g.tombstone(k, v)]
	return ok
}

// regionUndo saves the records of every node a recompute may write, so a
// dry run can put them back.
type regionUndo struct {
	nodes    []uint32
	recs     []node
	pairs    int // the calibration's counts
	shared   int
	parts    map[uint32]calibPart // the region's shares
	obs      uint32
	obsFlag  uint8
	profiles int
	quarLen  int
}

func (g *Graph) saveRegion(seeds []uint32) *regionUndo {
	u := &regionUndo{obs: ^uint32(0), profiles: g.profiles, quarLen: len(g.quarantined),
		pairs: g.calib.pairs, shared: g.calib.shared, parts: map[uint32]calibPart{}}
	seen := map[uint32]bool{}
	for _, s := range seeds {
		root := g.nodes.find(s)
		if seen[root] {
			continue
		}
		for _, m := range g.ring(root, nil) {
			seen[m] = true
			u.nodes = append(u.nodes, m)
			u.recs = append(u.recs, *g.nodes.at(m))
			if v, ok := g.calib.parts[m]; ok {
				u.parts[m] = v
			}
		}
		seen[root] = true
	}
	return u
}

func (g *Graph) restoreRegion(u *regionUndo) {
	for i, n := range u.nodes {
		*g.nodes.at(n) = u.recs[i]
		delete(g.calib.parts, n)
	}
	for n, v := range u.parts {
		g.calib.parts[n] = v
	}
	g.calib.pairs, g.calib.shared = u.pairs, u.shared
	if u.obs != ^uint32(0) {
		ch := g.ev.chunks[u.obs>>evChunkBits]
		ch.flags[u.obs&(evChunkSize-1)] = u.obsFlag
	}
	g.profiles = u.profiles
	g.quarantined = g.quarantined[:u.quarLen]
}
