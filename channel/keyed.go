package channel

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/journal"
)

// Keyed mode (ReachOptions.Graph set). The Reacher keeps what it is told
// not under profile IDs but under the identifiers the profile held when
// it was told (its subject), and answers for a profile from the records
// of the identifiers it holds now. Its answers are then a function of the
// graph and the records alone, whatever order they arrived in and however
// the graph merged and split in between: what several replicas sharing
// one log need, as each one's graph changes at its own moments. The rules
// of Follow hold in another form:
//   - merged profiles pool their records (the latest answer wins);
//   - grants, contacts and time zones stay with the identifier the
//     subject is anchored on (its first, in identifier order): after a
//     split, with the profile that holds it;
//   - refusals and sends reach every profile holding an identifier of
//     their subject: after a split, all of them.
//
// Follow has nothing to move; it takes erased identifiers out of the
// records (identity.Change.Erased), and the next Pull takes them off the
// disk.

// keyedBit marks a record of keyed mode: the subject, then the payload of
// the plain record without its profile.
const keyedBit byte = 0x40

// A keyedRec is one record of keyed mode.
type keyedRec struct {
	typ     byte          // recContact, recLocation, recConsent or recSend
	subject []identity.ID // canonical, sorted; [0] anchors it
	rest    []byte        // the plain record's payload after the profile
	broad   bool          // a refusal or a send: wherever any subject identifier is
}

func compareID(a, b identity.ID) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
}

// subjectOf lists the identifiers p holds now, sorted; the lock is held.
func (r *Reacher) subjectOf(p identity.ProfileID) []identity.ID {
	if cur, ok := r.cfg.Graph.Current(p); ok {
		p = cur
	}
	var ids []identity.ID
	for id := range r.cfg.Graph.Keys(p) {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, compareID)
	return ids
}

// keyed journals and keeps a record of keyed mode; the lock is held.
func (r *Reacher) keyed(typ byte, p identity.ProfileID, rest enc, broad bool) error {
	subj := r.subjectOf(p)
	if len(subj) == 0 {
		return fmt.Errorf("%w: %v holds no identifiers in the graph", ErrUnknownProfile, p)
	}
	if r.cfg.Graph.Erasures() > 0 {
		rest = r.keptContact(typ, rest) // told as removed, here as in the log
	}
	kr := keyedRec{typ: typ, subject: subj, rest: rest, broad: broad}
	if p := r.persist; p != nil && !p.js.Replaying() {
		var tags []journal.Tag
		if p.js.Shared() {
			tags = r.tagsOf(kr)
		}
		err := p.js.AppendTagged(typ|keyedBit, kr.encode(), tags)
		if errors.Is(err, journal.ErrDuplicate) {
			return nil // the same record, in the log and applied already: told once
		}
		if err != nil {
			return fmt.Errorf("channel: %w", err)
		}
	}
	r.addKeyed(kr)
	return nil
}

// keptContact is a contact record's payload with an address that is an
// erased identifier taken out (the contact then reads as removed); other
// records' payloads are returned as they are.
func (r *Reacher) keptContact(typ byte, rest []byte) []byte {
	if typ != recContact {
		return rest
	}
	ch, addr := contactOf(rest)
	if addr != "" && slices.ContainsFunc(addressIDs(addr), r.cfg.Graph.Erased) {
		return enc{}.str(ch).str("")
	}
	return rest
}

// contactOf reads a contact record's channel and address.
func contactOf(rest []byte) (channel, address string) {
	d := &dec{b: rest}
	return d.str(), d.str()
}

// addressIDs are the identifiers a contact address may be: an erased
// email or phone must not stay behind as an address.
func addressIDs(addr string) []identity.ID {
	return []identity.ID{{Kind: identity.Email, Value: addr}, {Kind: identity.Phone, Value: addr}}
}

func (kr keyedRec) encode() []byte {
	e := enc{}.uvarint(uint64(len(kr.subject)))
	for _, id := range kr.subject {
		e = e.str(string(id.Kind)).str(id.Value)
	}
	return append(e, kr.rest...)
}

// decodeKeyed reads a keyed record; broad is decided from its payload.
func (r *Reacher) decodeKeyed(typ byte, b []byte) (keyedRec, error) {
	d := &dec{b: b}
	n := d.uvarint()
	if n > uint64(len(b)) {
		d.fail("subject")
	}
	kr := keyedRec{typ: typ}
	for i := uint64(0); i < n && d.err == nil; i++ {
		kr.subject = append(kr.subject, identity.ID{Kind: identity.Kind(d.str()), Value: d.str()})
	}
	if d.err != nil || len(kr.subject) == 0 {
		return kr, fmt.Errorf("%w: keyed record's subject", errRecord)
	}
	kr.rest = slices.Clone(d.b) // the payload's buffer may be reused by its reader
	switch typ {
	case recSend, recSendKept:
		kr.broad = true
	case recConsent:
		c := r.readConsent(&dec{b: kr.rest})
		kr.broad = c.Status != ConsentGranted
	case recContact, recLocation:
	default:
		return kr, fmt.Errorf("%w: keyed record of type %d", errRecord, typ)
	}
	return kr, nil
}

// addKeyed keeps kr and indexes it by its subject, without what the graph
// erased (a record applied from the log or a checkpoint may predate the
// erasure); the lock is held.
func (r *Reacher) addKeyed(kr keyedRec) {
	if r.cfg.Graph.Erasures() > 0 {
		kr.subject = slices.DeleteFunc(slices.Clone(kr.subject), r.cfg.Graph.Erased)
		if len(kr.subject) == 0 {
			return
		}
		kr.rest = r.keptContact(kr.typ, kr.rest)
	}
	i := len(r.recs)
	r.recs = append(r.recs, kr)
	if r.byID == nil {
		r.byID = map[identity.ID][]int{}
	}
	for _, id := range kr.subject {
		r.byID[id] = append(r.byID[id], i)
	}
}

// materialize folds the records that hold for p, in their order, into a
// person, through the plain records' own apply; the lock is held.
func (r *Reacher) materialize(p identity.ProfileID) *person {
	subj := r.subjectOf(p)
	var idx []int
	for _, id := range subj {
		idx = append(idx, r.byID[id]...)
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	scratch := &Reacher{cfg: r.cfg, people: map[identity.ProfileID]*person{}, supp: map[[2]string]suppression{}, zones: r.zones}
	for _, i := range idx {
		kr := r.recs[i]
		if kr.typ == 0 || !kr.broad && !slices.ContainsFunc(subj, func(id identity.ID) bool { return id == kr.subject[0] }) {
			continue
		}
		// The record decoded when it was kept; applying it again cannot fail.
		_ = scratch.apply(journal.Record{Type: kr.typ, Payload: append(enc{}.profile(p), kr.rest...)})
	}
	r.zones = scratch.zones
	if x := scratch.people[p]; x != nil {
		return x
	}
	return &person{}
}

// tagsOf are the erasure tags a keyed record is found by: its subject's,
// and a contact's address read as an email and as a phone.
func (r *Reacher) tagsOf(kr keyedRec) []journal.Tag {
	var tags []journal.Tag
	add := func(id identity.ID) {
		if t, err := r.cfg.Graph.ErasureTag(id); err == nil && !slices.Contains(tags, journal.Tag(t)) {
			tags = append(tags, journal.Tag(t))
		}
	}
	for _, id := range kr.subject {
		add(id)
	}
	if kr.typ == recContact {
		_, addr := contactOf(kr.rest)
		for _, id := range addressIDs(addr) {
			add(id)
		}
	}
	return tags
}

// erased takes the identifiers tagged tags out of kr: from its subject,
// and a contact whose address is one of them loses the address. It
// reports whether anything is left of kr.
func (r *Reacher) erased(kr *keyedRec, tags []identity.ErasureTag) (left bool) {
	gone := func(id identity.ID) bool { return r.cfg.Graph.Tagged(id, tags) }
	kr.subject = slices.DeleteFunc(slices.Clone(kr.subject), gone)
	if kr.typ == recContact {
		if ch, addr := contactOf(kr.rest); slices.ContainsFunc(addressIDs(addr), gone) {
			kr.rest = enc{}.str(ch).str("")
		}
	}
	return len(kr.subject) > 0
}

// forgetTags takes erased identifiers out of every record, and notes the
// tags for Pull; the lock is held.
func (r *Reacher) forgetTags(tags []identity.ErasureTag) {
	kept := r.recs[:0]
	for _, kr := range r.recs {
		if r.erased(&kr, tags) {
			kept = append(kept, kr)
		}
	}
	r.recs, r.byID = nil, nil
	for _, kr := range kept {
		r.addKeyed(kr)
	}
	if r.persist != nil {
		for _, t := range tags {
			r.persist.js.EraseDue(journal.Tag(t))
		}
	}
}

// rewrite is the persistence's Rewrite: a keyed record without the
// identifier tagged tag.
func (r *Reacher) rewrite(rec journal.Record, tag journal.Tag) ([]byte, error) {
	if rec.Type&keyedBit == 0 {
		return rec.Payload, nil
	}
	kr, err := r.decodeKeyed(rec.Type&^keyedBit, rec.Payload)
	if err != nil {
		return nil, err
	}
	r.erased(&kr, []identity.ErasureTag{identity.ErasureTag(tag)})
	return kr.encode(), nil
}

// appendKeyedState encodes keyed mode's state: its records in their
// order, less sends too old to count (over 8 days before the newest),
// then the suppressions.
func (r *Reacher) appendKeyedState(b []byte) []byte {
	var newest int64
	for _, kr := range r.recs {
		if at, ok := kr.sendAt(); ok {
			newest = max(newest, at)
		}
	}
	cut := newest - int64(8*24*time.Hour)
	for _, kr := range r.recs {
		if at, ok := kr.sendAt(); ok && at < cut {
			continue
		}
		b = journal.AppendRecord(b, kr.typ|keyedBit, kr.encode())
	}
	return r.appendSuppressions(b)
}

// sendAt is a send record's time (Unix nanoseconds); ok is false for
// another record.
func (kr keyedRec) sendAt() (at int64, ok bool) {
	if kr.typ != recSend && kr.typ != recSendKept {
		return 0, false
	}
	d := &dec{b: kr.rest}
	d.str()
	return d.varint(), true
}

// OpenReacherBackend opens a keyed Reacher (opts.Graph, the graph this
// process opened over the same log, is required) over b, a log other
// processes share (module github.com/throughline/throughline/pglog), as
// OpenReacher does over a directory. Every process applies the same
// records, and answers for a profile from the records of the identifiers
// it holds in its own graph (see ReachOptions.Graph), so that once the
// graphs agree the answers do. Follow each Change of the graph (those of
// [identity.Graph.PullChanges] too) for its erasures, and call Pull.
func OpenReacherBackend(ctx context.Context, b identity.Backend, opts *ReachOptions) (*Reacher, error) {
	if opts == nil || opts.Graph == nil {
		return nil, fmt.Errorf("%w: OpenReacherBackend needs ReachOptions.Graph", ErrReachConfig)
	}
	r, err := NewReacher(opts)
	if err != nil {
		return nil, err
	}
	r.persist = &reachPersistence{js: journal.NewStore(reacherCodec{r})}
	if err := r.persist.js.OpenBackend(ctx, b); err != nil {
		return nil, fmt.Errorf("channel: %w", err)
	}
	r.persist.open = true
	return r, nil
}

// Pull applies the records other processes appended to the Reacher's
// shared log since the last one applied, and returns how many; then it
// takes off the disk the identifiers erased since the last Pull (on a
// directory, a Snapshot; on a shared log, the rewrite of the records
// holding them).
func (r *Reacher) Pull(ctx context.Context) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	js, err := r.store()
	if err != nil {
		return 0, err
	}
	n, err := js.Pull(ctx) // and the erasures noted since (EraseDue)
	if err != nil {
		return n, fmt.Errorf("channel: %w", err)
	}
	return n, nil
}
