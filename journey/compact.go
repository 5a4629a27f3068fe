package journey

import (
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/identity"
)

// rec is an event as the store keeps it: 56 bytes, no pointers, with its
// strings, touch, properties and identifiers interned in the store's
// tables. A million profiles' worth of events stays small and is cheap for
// the garbage collector, which never scans pointer-free slices.
type rec struct {
	id     uuid.UUID
	t      int64  // unix nanoseconds
	val    int64  // minor units
	typ    uint32 // interned type
	cur    uint32 // interned currency
	touch  uint32 // index into touches (0: none)
	props  uint32 // index into props (0: none)
	ids    uint32 // index into idLists
	origin uint32 // index into origins: (company, site); 0 for none
}

// tables interns what events share.
type tables struct {
	strs     map[string]uint32
	strList  []string
	touchIx  map[Touch]uint32
	touches  []Touch
	originIx map[[2]string]uint32
	origins  [][2]string
	propIx   map[string]uint32
	props    []map[string]string
	idIx     map[string]uint32
	idLists  [][]identity.ID
	keyBuf   []byte
	propKeys []string
	lastIDs  int // idLists index of the last list interned, -1 before any
	// strip takes erased identifiers out of a list interned for the first
	// time (nil: keep all); lists interned before an erasure are
	// stripped when it is followed.
	strip func([]identity.ID) []identity.ID
}

func newTables() *tables {
	return &tables{
		strs: map[string]uint32{"": 0}, strList: []string{""},
		touchIx: map[Touch]uint32{{}: 0}, touches: []Touch{{}},
		originIx: map[[2]string]uint32{{}: 0}, origins: [][2]string{{}},
		propIx: map[string]uint32{"": 0}, props: []map[string]string{nil},
		idIx: map[string]uint32{}, idLists: nil, lastIDs: -1,
	}
}

// intern returns k's index in list, appending it (and indexing it in ix)
// the first time.
func intern[K comparable](ix map[K]uint32, list *[]K, k K) uint32 {
	if i, ok := ix[k]; ok {
		return i
	}
	i := uint32(len(*list))
	ix[k] = i
	*list = append(*list, k)
	return i
}

func (t *tables) str(s string) uint32 { return intern(t.strs, &t.strList, s) }

func (t *tables) touch(x Touch) uint32 {
	if x.IsZero() {
		return 0
	}
	return intern(t.touchIx, &t.touches, x)
}

func (t *tables) prop(m map[string]string) uint32 {
	if len(m) == 0 {
		return 0
	}
	t.propKeys = t.propKeys[:0]
	for k := range m {
		t.propKeys = append(t.propKeys, k)
	}
	slices.Sort(t.propKeys)
	b := t.keyBuf[:0]
	for _, k := range t.propKeys {
		b = append(append(append(append(b, k...), 0), m[k]...), 0)
	}
	t.keyBuf = b
	if i, ok := t.propIx[string(b)]; ok {
		return i
	}
	i := uint32(len(t.props))
	t.propIx[string(b)] = i
	cp := make(map[string]string, len(m))
	for k, v := range m {
		cp[k] = v
	}
	t.props = append(t.props, cp)
	return i
}

// idListHinted interns ids, trying hint (a list index, or -1) first.
func (t *tables) idListHinted(ids []identity.ID, hint int) uint32 {
	if hint >= 0 && slices.Equal(t.idLists[hint], ids) {
		return uint32(hint)
	}
	// Consecutive events of one person carry the same identifiers.
	if t.lastIDs >= 0 && slices.Equal(t.idLists[t.lastIDs], ids) {
		return uint32(t.lastIDs)
	}
	b := t.keyBuf[:0]
	for _, id := range ids {
		b = append(append(append(append(b, id.Kind...), 0), id.Value...), 0)
	}
	t.keyBuf = b
	i, ok := t.idIx[string(b)]
	if !ok {
		i = uint32(len(t.idLists))
		t.idIx[string(b)] = i
		list := slices.Clone(ids)
		if t.strip != nil {
			list = t.strip(list)
		}
		t.idLists = append(t.idLists, list)
	}
	t.lastIDs = int(i)
	return i
}

// packHinted turns an event into a record, interning what it shares, with
// a guess at its identifier list (an index, or -1).
func (t *tables) packHinted(e Event, idsHint int) rec {
	return rec{
		id: e.ID, t: e.Time.UnixNano(), val: e.Value.Minor,
		typ: t.str(string(e.Type)), cur: t.str(e.Value.Currency),
		touch: t.touch(e.Touch), props: t.prop(e.Props), ids: t.idListHinted(e.IDs, idsHint),
		origin: intern(t.originIx, &t.origins, [2]string{e.Company, e.Site}),
	}
}

// event rebuilds the event a record holds. Props is shared: read-only.
func (t *tables) event(r rec) Event {
	return Event{
		ID: r.id, Time: time.Unix(0, r.t).UTC(), Type: EventType(t.strList[r.typ]),
		IDs: t.idLists[r.ids], Touch: t.touches[r.touch],
		Value: Money{Minor: r.val, Currency: t.strList[r.cur]}, Props: t.props[r.props],
		Company: t.origins[r.origin][0], Site: t.origins[r.origin][1],
	}
}

func recLess(a, b rec) int {
	if a.t != b.t {
		if a.t < b.t {
			return -1
		}
		return 1
	}
	return strings.Compare(string(a.id[:]), string(b.id[:]))
}
