package attribution

import (
	"slices"
	"time"
)

// A Dataset holds paths in the columnar form models run on: channel names
// interned once, each touch a small integer, counts in flat slices. A
// million aggregated paths fit in a few tens of megabytes and a model reads
// them without a map lookup per touch. Build one with NewDataset, ReadCSV or
// ReadJSONL; a Dataset is read-only once built and safe for concurrent use.
type Dataset struct {
	channels []string
	chIx     map[string]int32
	touch    []int32
	time     []int64 // unix nanoseconds per touch; nil when no touch has a time
	attrs    []map[string]string
	start    []int // path i's touches: touch[start[i]:start[i+1]]
	conv     []float64
	value    []float64
	nulls    []float64
	convAt   []int64 // unix nanoseconds; 0 when unknown
	hasTime  bool
	cache    [256]int32 // channelBytes's cache: channel ID + 1
}

func newDataset() *Dataset { return &Dataset{chIx: map[string]int32{}, start: []int{0}} }

// NewDataset builds a Dataset from paths.
func NewDataset(paths []Path) *Dataset {
	d := newDataset()
	for _, p := range paths {
		d.add(p)
	}
	return d
}

func (d *Dataset) channel(name string) int32 {
	if id, ok := d.chIx[name]; ok {
		return id
	}
	id := int32(len(d.channels))
	d.chIx[name] = id
	d.channels = append(d.channels, name)
	return id
}

// channelBytes interns a channel name given as bytes without allocating
// when it is known. A small direct-mapped cache in front of the map spares
// the hash for the few names that fill most files.
func (d *Dataset) channelBytes(name []byte) int32 {
	slot := (len(name)*31 + int(name[0])*7 + int(name[len(name)-1])) & 255
	if id := d.cache[slot]; id > 0 && d.channels[id-1] == string(name) {
		return id - 1
	}
	id, ok := d.chIx[string(name)]
	if !ok {
		id = d.channel(string(name))
	}
	d.cache[slot] = id + 1
	return id
}

func (d *Dataset) add(p Path) {
	for _, t := range p.Touches {
		d.touch = append(d.touch, d.channel(t.Channel))
		var ns int64
		if !t.Time.IsZero() {
			ns = t.Time.UnixNano()
			if !d.hasTime {
				d.hasTime = true
				d.time = make([]int64, len(d.touch)-1, cap(d.touch))
			}
		}
		if d.hasTime {
			d.time = append(d.time, ns)
		}
		if t.Attrs != nil {
			if d.attrs == nil {
				d.attrs = make([]map[string]string, len(d.touch)-1, cap(d.touch))
			}
		}
		if d.attrs != nil {
			d.attrs = append(d.attrs, t.Attrs)
		}
	}
	d.endPath(p.Conversions, p.Value, p.Nulls, p.ConvertedAt)
}

func (d *Dataset) endPath(c, v, n float64, at time.Time) {
	d.start = append(d.start, len(d.touch))
	d.conv = append(d.conv, c)
	d.value = append(d.value, v)
	d.nulls = append(d.nulls, n)
	var ns int64
	if !at.IsZero() {
		ns = at.UnixNano()
	}
	d.convAt = append(d.convAt, ns)
	if d.hasTime && len(d.time) < len(d.touch) {
		d.time = append(d.time, make([]int64, len(d.touch)-len(d.time))...)
	}
	if d.attrs != nil && len(d.attrs) < len(d.touch) {
		d.attrs = append(d.attrs, make([]map[string]string, len(d.touch)-len(d.attrs))...)
	}
}

// reserve sizes the slices for about size bytes of CSV input (a path line
// of ~60 bytes, a touch per ~11).
func (d *Dataset) reserve(size int64) {
	if size <= 0 {
		return
	}
	rows, touches := int(size/50)+16, int(size/9)+16
	d.touch = slices.Grow(d.touch, touches)
	d.start = slices.Grow(d.start, rows)
	d.conv = slices.Grow(d.conv, rows)
	d.value = slices.Grow(d.value, rows)
	d.nulls = slices.Grow(d.nulls, rows)
	d.convAt = slices.Grow(d.convAt, rows)
}

// Len is the number of paths.
func (d *Dataset) Len() int { return len(d.conv) }

// Channels returns the channel names, in order of first appearance.
func (d *Dataset) Channels() []string { return slices.Clone(d.channels) }

// touches returns path i's channel IDs.
func (d *Dataset) touches(i int) []int32 { return d.touch[d.start[i]:d.start[i+1]] }

// Path returns path i.
func (d *Dataset) Path(i int) Path {
	p := Path{Conversions: d.conv[i], Value: d.value[i], Nulls: d.nulls[i]}
	if d.convAt[i] != 0 {
		p.ConvertedAt = time.Unix(0, d.convAt[i]).UTC()
	}
	for j := d.start[i]; j < d.start[i+1]; j++ {
		t := Touch{Channel: d.channels[d.touch[j]]}
		if d.hasTime && d.time[j] != 0 {
			t.Time = time.Unix(0, d.time[j]).UTC()
		}
		if d.attrs != nil {
			t.Attrs = d.attrs[j]
		}
		p.Touches = append(p.Touches, t)
	}
	return p
}

// Paths returns all paths.
func (d *Dataset) Paths() []Path {
	out := make([]Path, d.Len())
	for i := range out {
		out[i] = d.Path(i)
	}
	return out
}

// ledger accumulates per-channel credit by channel ID.
type ledger struct {
	d                               *Dataset
	conv, value, re, assisted, last []float64
	byPos                           [][]float64
	hasRemoval                      bool
	totalC, totalV, pconv           float64
}

func newLedger(d *Dataset) *ledger {
	k := len(d.channels)
	return &ledger{d: d, conv: make([]float64, k), value: make([]float64, k)}
}

// result builds the Result: every channel on a path, sorted by name.
func (l *ledger) result(model string) Result {
	d := l.d
	r := Result{Model: model, Conversions: l.totalC, Value: l.totalV, PConversion: l.pconv}
	if l.totalC == 0 && l.totalV == 0 {
		for i := range d.conv {
			if d.start[i+1] > d.start[i] {
				r.Conversions += d.conv[i]
				r.Value += d.value[i]
			}
		}
	}
	used := make([]bool, len(d.channels))
	for _, ch := range d.touch {
		used[ch] = true
	}
	for ch, name := range d.channels {
		if !used[ch] {
			continue
		}
		c := Credit{Channel: name, Conversions: l.conv[ch], Value: l.value[ch], HasRemoval: l.hasRemoval}
		if l.re != nil {
			c.RemovalEffect = l.re[ch]
		}
		if l.assisted != nil {
			c.Assisted, c.Last = l.assisted[ch], l.last[ch]
		}
		if l.byPos != nil {
			c.ByPosition = l.byPos[ch]
		}
		r.Credits = append(r.Credits, c)
	}
	slices.SortFunc(r.Credits, func(a, b Credit) int {
		switch {
		case a.Channel < b.Channel:
			return -1
		case a.Channel > b.Channel:
			return 1
		}
		return 0
	})
	return r
}

// distinct is a reusable set of channel IDs for one path at a time.
type distinct struct {
	stamp []uint32
	gen   uint32
	ids   []int32
	count []int // occurrences of ids[i] on the path
	pos   []int32
}

func newDistinct(k int) *distinct { return &distinct{stamp: make([]uint32, k), pos: make([]int32, k)} }

func (s *distinct) of(touches []int32) []int32 {
	s.gen++
	s.ids, s.count = s.ids[:0], s.count[:0]
	for _, ch := range touches {
		if s.stamp[ch] != s.gen {
			s.stamp[ch] = s.gen
			s.pos[ch] = int32(len(s.ids))
			s.ids = append(s.ids, ch)
			s.count = append(s.count, 0)
		}
		s.count[s.pos[ch]]++
	}
	return s.ids
}

func validateDataset(d *Dataset) error {
	for i := range d.conv {
		if err := validCounts(i, d.conv[i], d.value[i], d.nulls[i]); err != nil {
			return err
		}
	}
	return nil
}
