package main

import (
	"bufio"
	"cmp"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"time"

	"github.com/google/uuid"
)

// An event of the generated history, before it is written.
type genEvent struct {
	t       int64 // unix seconds
	person  uint32
	typ     uint8
	channel uint8
}

var (
	eventTypes = []string{"page_view", "car_view", "car_view", "car_view", "page_view", "email_open", "lead", "test_drive", "contract", "call"}
	channels   = []string{"", "search", "display", "retargeting", "email", "vk", "yandex_direct", "organic"}
	start      = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
)

// writeEvents writes people×per events: each person shops for up to 90
// days from a day of the year, a tenth of the events carry a channel, and
// the file is in time order, so consecutive lines are other people's.
func writeEvents(path string, people, per int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 18))
	evs := make([]genEvent, 0, people*per)
	for p := range people {
		from := start + rng.Int64N(365*86400)
		span := 1 + rng.Int64N(90*86400)
		for range per {
			e := genEvent{t: from + rng.Int64N(span), person: uint32(p), typ: uint8(rng.IntN(len(eventTypes)))}
			if rng.IntN(10) == 0 {
				e.channel = uint8(1 + rng.IntN(len(channels)-1))
			}
			evs = append(evs, e)
		}
	}
	slices.SortStableFunc(evs, func(a, b genEvent) int { return cmp.Compare(a.t, b.t) })
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("id,time,type,id:crm,channel\n")
	var id uuid.UUID
	var line []byte
	for _, e := range evs {
		for i := range 2 {
			v := rng.Uint64()
			for j := range 8 {
				id[i*8+j] = byte(v >> (8 * j))
			}
		}
		id[6], id[8] = id[6]&0x0f|0x40, id[8]&0x3f|0x80 // version 4, RFC 4122 variant
		line = append(line[:0], id.String()...)
		line = append(line, ',')
		line = time.Unix(e.t, 0).UTC().AppendFormat(line, time.RFC3339)
		line = fmt.Appendf(line, ",%s,p%d,%s\n", eventTypes[e.typ], e.person, channels[e.channel])
		w.Write(line)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
