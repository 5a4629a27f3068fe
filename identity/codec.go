package identity

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/throughline/throughline/internal/journal"
)

const (
	recObserve byte = 1
	recRetract byte = 2
	recForget  byte = 3
)

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func readString(b []byte) (string, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return "", nil, errShort
	}
	return string(b[k : k+int(n)]), b[k+int(n):], nil
}

func readUvarint(b []byte) (uint64, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return 0, nil, errShort
	}
	return n, b[k:], nil
}

var errShort = errors.New("truncated field")

// encodeObservation writes a prepared observation's canonical identifiers.
func (g *Graph) encodeObservation(b []byte, p Prepared) []byte {
	b = binary.AppendVarint(b, p.time)
	b = appendString(b, p.source)
	b = append(b, byte(p.trust))
	b = binary.AppendUvarint(b, uint64(len(p.ids)))
	for _, id := range p.ids {
		b = appendString(b, string(g.kinds[id.kind].Kind))
		b = appendString(b, id.value)
	}
	return b
}

func (g *Graph) decodeObservation(b []byte) (Prepared, error) {
	p := Prepared{g: g}
	t, k := binary.Varint(b)
	if k <= 0 {
		return p, errShort
	}
	b = b[k:]
	var err error
	if p.source, b, err = readString(b); err != nil {
		return p, err
	}
	if len(b) == 0 {
		return p, errShort
	}
	p.time, p.trust, b = t, Trust(b[0]), b[1:]
	if p.trust > TrustVerified {
		return p, fmt.Errorf("trust %d", p.trust)
	}
	n, b, err := readUvarint(b)
	if err != nil || n > uint64(len(b)) {
		return p, errShort
	}
	for range n {
		var kind, value string
		if kind, b, err = readString(b); err != nil {
			return p, err
		}
		if value, b, err = readString(b); err != nil {
			return p, err
		}
		k, ok := g.kindOf(Kind(kind))
		if !ok {
			return p, fmt.Errorf("%w: %q (register it in Options.Kinds)", ErrUnknownKind, kind)
		}
		if err := g.checkCanonical(k, value); err != nil {
			return p, err
		}
		p.ids = append(p.ids, preparedID{kind: k, value: value, hash: g.hashID(k, value)})
	}
	if len(b) != 0 {
		return p, errors.New("trailing bytes")
	}
	return p, nil
}

// replayRecord applies one journal record, replayed at Open or applied
// from a shared log, and returns its Change.
func (g *Graph) replayRecord(r journal.Record) (Change, error) {
	switch r.Type {
	case recObserve:
		p, err := g.decodeObservation(r.Payload)
		if err != nil || len(p.ids) == 0 {
			return Change{}, err
		}
		return g.apply(p), nil
	case recRetract:
		id, rest, err := readUvarint(r.Payload)
		if err != nil || len(rest) != 0 {
			return Change{}, errShort
		}
		// Retracted already: on a shared log, two processes may retract
		// one observation at once; the second record changes nothing.
		ch, err := g.retract(ObservationID(id), false)
		if errors.Is(err, ErrRetracted) {
			err = nil
		}
		return ch, err
	case recForget:
		return g.replayForget(r.Payload)
	}
	return Change{}, fmt.Errorf("unknown record type %d", r.Type)
}

func (g *Graph) replayForget(payload []byte) (Change, error) {
	kind, rest, err := readString(payload)
	if err != nil || len(rest) != 16 {
		return Change{}, errShort
	}
	k, ok := g.kindOf(Kind(kind))
	if !ok {
		return Change{}, fmt.Errorf("%w: %q", ErrUnknownKind, kind)
	}
	// Find the node by its tombstone: a scan of the kind's nodes, as the
	// record holds no value to look up.
	ts := [16]byte(rest)
	ch := Change{Forgotten: 1}
	for n := range uint32(g.nodes.len()) {
		r := g.nodes.at(n)
		if r.kind == k && r.flags&flagErased == 0 && g.tombstone(k, string(g.nodes.value(n))) == ts {
			ch = g.forgetNode(n, k, string(g.nodes.value(n)), false)
			break
		}
	}
	if g.tombstones == nil {
		g.tombstones = map[[16]byte]struct{}{}
	}
	g.tombstones[ts] = struct{}{}
	ch.Erased = []ErasureTag{ts}
	// The value may still be on this disk (a snapshot taken before, or
	// records of a journal not yet compacted).
	if g.store != nil {
		g.store.js.CompactDue()
	}
	return ch, nil
}

const snapshotFormat = 1

// encodeSnapshot writes the graph's state: kinds, sources, nodes with their
// flags, evidence, quarantines and tombstones. Derived state (the index,
// components, profiles) is rebuilt on load.
//
// On a graph of millions of nodes it runs for seconds, so it checks ctx
// every snapshotCheck nodes and observations.
func (g *Graph) encodeSnapshot(ctx context.Context) ([]byte, error) {
	b := binary.AppendUvarint(nil, snapshotFormat)
	// A shared log's processes hold the key in their options; kept out
	// of the state, it is not in the database beside the tombstones it
	// would let someone test guesses against.
	if g.store != nil && g.store.js.Shared() {
		b = appendString(b, "")
	} else {
		b = appendString(b, string(g.eraseKey))
	}
	b = binary.AppendUvarint(b, uint64(len(g.kinds)))
	for _, k := range g.kinds {
		b = appendString(b, string(k.Kind))
	}
	b = binary.AppendUvarint(b, uint64(len(g.sources.names)))
	for _, s := range g.sources.names {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(g.nodes.len()))
	for n := range uint32(g.nodes.len()) {
		if n%snapshotCheck == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("snapshot: %w", ctx.Err())
		}
		r := g.nodes.at(n)
		b = append(b, r.kind, r.flags&^derivedFlags, r.hardSeen)
		b = appendString(b, string(g.nodes.value(n)))
	}
	b = binary.AppendUvarint(b, uint64(g.ev.len()))
	for o := range uint32(g.ev.len()) {
		if o%snapshotCheck == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("snapshot: %w", ctx.Err())
		}
		rec := g.ev.at(o)
		b = binary.AppendVarint(b, rec.time)
		b = binary.AppendUvarint(b, uint64(rec.source))
		b = append(b, byte(rec.trust), rec.flags)
		b = binary.AppendUvarint(b, uint64(len(rec.members)))
		for _, m := range rec.members {
			if m == erasedMember {
				b = append(b, 0) // an erased member
			} else {
				b = binary.AppendUvarint(b, uint64(m)+1)
			}
		}
	}
	b = binary.AppendUvarint(b, uint64(len(g.quarantined)))
	for _, q := range g.quarantined {
		b = binary.AppendUvarint(b, uint64(q.node))
		b = appendString(b, q.reason)
	}
	ts := make([][16]byte, 0, len(g.tombstones))
	for t := range g.tombstones {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b [16]byte) int { return strings.Compare(string(a[:]), string(b[:])) })
	b = binary.AppendUvarint(b, uint64(len(ts)))
	for _, t := range ts {
		b = append(b, t[:]...)
	}
	return b, nil
}

// snapshotCheck is how many nodes (or observations) encodeSnapshot writes
// between looks at its context: a few milliseconds' work.
const snapshotCheck = 1 << 16

// decodeSnapshot restores a fresh graph from encodeSnapshot's bytes.
func (g *Graph) decodeSnapshot(b []byte) error {
	fail := func(what string, err error) error { return fmt.Errorf("%s: %w", what, err) }
	v, b, err := readUvarint(b)
	if err != nil || v != snapshotFormat {
		return fmt.Errorf("snapshot body format %d, want %d", v, snapshotFormat)
	}
	key, b, err := readString(b)
	if err != nil {
		return fail("erase key", err)
	}
	if key != "" {
		g.setEraseKey([]byte(key))
	}
	nk, b, err := readUvarint(b)
	if err != nil || nk > 255 {
		return fail("kinds", errShort)
	}
	kindMap := make([]uint8, nk)
	for i := range nk {
		var name string
		if name, b, err = readString(b); err != nil {
			return fail("kinds", err)
		}
		k, ok := g.kindOf(Kind(name))
		if !ok {
			return fmt.Errorf("%w: snapshot holds kind %q (register it in Options.Kinds)", ErrUnknownKind, name)
		}
		kindMap[i] = k
	}
	ns, b, err := readUvarint(b)
	if err != nil || ns > uint64(len(b)) {
		return fail("sources", errShort)
	}
	for range ns {
		var s string
		if s, b, err = readString(b); err != nil {
			return fail("sources", err)
		}
		g.sources.intern(s)
	}
	nn, b, err := readUvarint(b)
	if err != nil || nn > uint64(len(b)) || nn >= uint64(erasedMember) {
		return fail("nodes", errShort)
	}
	for range nn {
		if len(b) < 3 {
			return fail("nodes", errShort)
		}
		kraw, flags, seen := b[0], b[1], b[2]
		b = b[3:]
		var v string
		if v, b, err = readString(b); err != nil {
			return fail("nodes", err)
		}
		if int(kraw) >= len(kindMap) {
			return fail("nodes", errors.New("kind out of range"))
		}
		k := kindMap[kraw]
		var n uint32
		if flags&flagErased != 0 {
			n = g.nodes.add(0, 0, k, "")
		} else {
			if err := g.checkCanonical(k, v); err != nil {
				return fail("nodes", err)
			}
			if _, dup := g.index.lookup(&g.nodes, g.hashID(k, v), k, v); dup {
				return fail("nodes", errors.New("duplicate identifier"))
			}
			h := g.hashID(k, v)
			n = g.nodes.add(h, idLo(g.kinds[k].Kind, v), k, v)
			g.index.insert(&g.nodes, n)
		}
		r := g.nodes.at(n)
		r.flags, r.hardSeen = flags&^derivedFlags, seen
	}
	no, b, err := readUvarint(b)
	if err != nil || no > uint64(len(b)) {
		return fail("evidence", errShort)
	}
	var members []uint32
	for range no {
		t, k := binary.Varint(b)
		if k <= 0 {
			return fail("evidence", errShort)
		}
		b = b[k:]
		var src, cnt uint64
		if src, b, err = readUvarint(b); err != nil || src >= uint64(len(g.sources.names)) {
			return fail("evidence", errShort)
		}
		if len(b) < 2 {
			return fail("evidence", errShort)
		}
		tr, fl := Trust(b[0]), b[1]
		b = b[2:]
		if cnt, b, err = readUvarint(b); err != nil || cnt > uint64(len(b)) {
			return fail("evidence", errShort)
		}
		members = members[:0]
		for range cnt {
			var m uint64
			if m, b, err = readUvarint(b); err != nil || m > nn {
				return fail("evidence", errShort)
			}
			if m == 0 {
				members = append(members, erasedMember)
			} else {
				members = append(members, uint32(m-1))
			}
		}
		o := g.ev.add(t, uint32(src), tr, fl, members)
		for _, m := range members {
			if m != erasedMember {
				g.inc.push(&g.nodes.at(m).adj, o)
			}
		}
	}
	nq, b, err := readUvarint(b)
	if err != nil || nq > uint64(len(b)) {
		return fail("quarantine", errShort)
	}
	for range nq {
		var node uint64
		var reason string
		if node, b, err = readUvarint(b); err != nil || node >= nn {
			return fail("quarantine", errShort)
		}
		if reason, b, err = readString(b); err != nil {
			return fail("quarantine", err)
		}
		g.quarantined = append(g.quarantined, quarantineRec{node: uint32(node), reason: reason})
	}
	nt, b, err := readUvarint(b)
	if err != nil || nt*16 != uint64(len(b)) {
		return fail("tombstones", errShort)
	}
	if nt > 0 {
		g.tombstones = make(map[[16]byte]struct{}, nt)
	}
	for i := range nt {
		g.tombstones[[16]byte(b[i*16:])] = struct{}{}
	}
	g.rebuildAll()
	return nil
}

// rebuildAll recomputes components and profiles from the evidence.
func (g *Graph) rebuildAll() {
	for o := range uint32(g.ev.len()) {
		rec := g.ev.at(o)
		if rec.flags&obsRetracted != 0 {
			continue
		}
		first := erasedMember
		for _, m := range rec.members {
			if m == erasedMember || !g.nodes.at(m).linking() {
				continue
			}
			if first == erasedMember {
				first = m
				continue
			}
			g.unionCC(g.nodes.find(first), g.nodes.find(m))
		}
	}
	g.clusterAll()
	g.recalibrate()
	g.profiles = 0
	for n := range uint32(g.nodes.len()) {
		if r := g.nodes.at(n); r.anchor == n && r.flags&(flagDead|flagErased) == 0 {
			g.profiles++
		}
	}
}

// clusterAll clusters every component once.
func (g *Graph) clusterAll() {
	done := make([]bool, g.nodes.len())
	for n := range uint32(g.nodes.len()) {
		if r := g.nodes.find(n); !done[r] {
			done[r] = true
			g.cluster(r)
		}
	}
}

// checkCanonical refuses a stored value its kind would not produce: a
// damaged file, or a normalizer that changed since it was written.
func (g *Graph) checkCanonical(k uint8, v string) error {
	c, err := g.kinds[k].normalize(v)
	if err != nil {
		return err
	}
	if c != v {
		return fmt.Errorf("stored %s value %q is not canonical (normalizes to %q)", g.kinds[k].Kind, truncate(v, 40), truncate(c, 40))
	}
	return nil
}

func journalRecord(typ byte, payload []byte) journal.Record {
	return journal.Record{Type: typ, Payload: payload}
}
