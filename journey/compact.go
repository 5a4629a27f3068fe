package journey

import (
	"encoding/binary"
	"hash/maphash"
	"slices"
	"strings"
	"time"

	"github.com/throughline/throughline/identity"
)

// tables interns what events share, and numbers the events (ids).
type tables struct {
	ids eventIDs
	// extras interns what some events carry besides: a value,
	// properties, a company and site.
	extraIx  map[extra]uint32
	extras   []extra
	strs     map[string]uint32
	strList  []string
	conv     map[EventType]bool // the store's conversion types
	isConv   []bool             // by interned string: a conversion type
	touchIx  map[Touch]uint32
	touches  []Touch
	originIx map[[2]string]uint32
	origins  [][2]string
	propIx   map[string]uint32
	props    []map[string]string
	// idLists are the interned identifier lists, found by the listKey of
	// each as it came (before strip): keys[i] is idLists[i]'s, keyIx
	// indexes them by their first half.
	idLists  chunked[[]identity.ID]
	keys     [][2]uint64
	keyIx    numIndex
	keyer    listKeyer // the store's seeds
	keyBuf   []byte
	propKeys []string
	lastIDs  int // idLists index of the last list interned, -1 before any
	// strip takes erased identifiers out of a list interned for the first
	// time (nil: keep all); lists interned before an erasure are
	// stripped when it is followed.
	strip func([]identity.ID) []identity.ID
}

func newTables(seed [2]maphash.Seed) *tables {
	return &tables{
		strs: map[string]uint32{"": 0}, strList: []string{""}, isConv: []bool{false},
		touchIx: map[Touch]uint32{{}: 0}, touches: []Touch{{}},
		originIx: map[[2]string]uint32{{}: 0}, origins: [][2]string{{}},
		propIx: map[string]uint32{"": 0}, props: []map[string]string{nil},
		keyer: listKeyer{seed: seed}, lastIDs: -1,
		extraIx: map[extra]uint32{{}: 0}, extras: []extra{{}},
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

func (t *tables) str(s string) uint32 {
	i := intern(t.strs, &t.strList, s)
	if int(i) == len(t.isConv) {
		t.isConv = append(t.isConv, t.conv[EventType(s)])
	}
	return i
}

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

// A listKeyer computes listKeys: 128-bit hashes of identifier lists,
// keyed by the store's two random seeds so that no input can make two
// lists collide, which equal only for equal lists. The list is written
// once into the keyer's buffer, each kind and value after its length (so
// that no two lists write the same bytes), and hashed by maphash under
// each seed: two one-shot calls, where hashing the pieces as they came
// was eight writes and two digests. A keyer is one goroutine's.
type listKeyer struct {
	seed [2]maphash.Seed
	buf  []byte
}

func (k *listKeyer) key(ids []identity.ID) [2]uint64 {
	b := k.buf[:0]
	for _, id := range ids {
		b = append(binary.AppendUvarint(b, uint64(len(id.Kind))), id.Kind...)
		b = append(binary.AppendUvarint(b, uint64(len(id.Value))), id.Value...)
	}
	k.buf = b
	return [2]uint64{maphash.Bytes(k.seed[0], b), maphash.Bytes(k.seed[1], b)}
}

// idList interns ids, whose listKey is key (zero: not computed yet),
// and returns its index. A 128-bit keyed hash equals only for equal
// lists, so the key stands for the list: finding one reads a slot and a
// key, not the identifiers, which sit in cold memory.
func (t *tables) idList(ids []identity.ID, key [2]uint64) uint32 {
	if key == [2]uint64{} {
		key = t.keyer.key(ids)
	}
	// Consecutive events of one person carry the same identifiers.
	if t.lastIDs >= 0 && t.keys[t.lastIDs] == key {
		return uint32(t.lastIDs)
	}
	i, ok := t.keyIx.find(key[0], func(n uint32) bool { return t.keys[n] == key })
	if !ok {
		i = uint32(t.idLists.len())
		list := slices.Clone(ids)
		if t.strip != nil {
			list = t.strip(list)
		}
		t.idLists.append(list)
		t.keys = append(t.keys, key)
		t.keyIx.insert(key[0], i, func(n uint32) uint64 { return t.keys[n][0] })
	}
	t.lastIDs = int(i)
	return i
}

// An extra is what a record points to when it has one (rec.extra).
type extra struct {
	val                int64 // minor units
	cur, props, origin uint32
}

// pack numbers a new event and turns it into a record, interning what it
// shares; its identifier list is interned at index ids already, and h is
// its ID's idHash.
func (t *tables) pack(e Event, ids uint32, h uint64) rec {
	r := rec{ev: t.ids.addHashed(e.ID, h), t: e.Time.UnixNano(), typ: t.str(string(e.Type)), touch: t.touch(e.Touch), ids: ids}
	if e.Value.Minor == 0 && e.Value.Currency == "" && len(e.Props) == 0 && e.Company == "" && e.Site == "" {
		return r // most events carry no extra: spare the four lookups
	}
	x := extra{val: e.Value.Minor, cur: t.str(e.Value.Currency), props: t.prop(e.Props),
		origin: intern(t.originIx, &t.origins, [2]string{e.Company, e.Site})}
	r.extra = intern(t.extraIx, &t.extras, x)
	return r
}

// drop forgets a record's event: its number and what it carried.
func (t *tables) drop(r rec) {
	t.ids.remove(r.ev)
}

// extraOf returns what r carries beside its record.
func (t *tables) extraOf(r rec) extra { return t.extras[r.extra] }

// event rebuilds the event a record holds. Props is shared: read-only.
func (t *tables) event(r rec) Event {
	x := t.extraOf(r)
	return Event{
		ID: t.ids.id(r.ev), Time: time.Unix(0, r.t).UTC(), Type: EventType(t.strList[r.typ]),
		IDs: *t.idLists.at(int(r.ids)), Touch: t.touches[r.touch],
		Value: Money{Minor: x.val, Currency: t.strList[x.cur]}, Props: t.props[x.props],
		Company: t.origins[x.origin][0], Site: t.origins[x.origin][1],
	}
}

// cmp orders records by time, then event ID.
func (t *tables) cmp(a, b rec) int {
	if a.t != b.t {
		if a.t < b.t {
			return -1
		}
		return 1
	}
	if a.ev == b.ev {
		return 0
	}
	x, y := t.ids.id(a.ev), t.ids.id(b.ev)
	return strings.Compare(string(x[:]), string(y[:]))
}
