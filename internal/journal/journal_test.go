package journal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/throughline/throughline/internal/killtest"
)

func payload(i int) []byte {
	return []byte(fmt.Sprintf("record %d %s", i, bytes.Repeat([]byte{'x'}, i%17)))
}

func writeLog(t *testing.T, path string, n int) []int64 {
	t.Helper()
	l, _, err := Open(path, &Options{Sync: SyncNever}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64
	for i := range n {
		if err := l.Append(byte(i%3), payload(i)); err != nil {
			t.Fatal(err)
		}
		ends = append(ends, l.Size())
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return ends
}

func readAll(t *testing.T, path string) ([]Record, Recovery, *Log) {
	t.Helper()
	var recs []Record
	l, rec, err := Open(path, nil, func(r Record) error {
		r.Payload = bytes.Clone(r.Payload)
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return recs, rec, l
}

func TestRoundTripAndAppend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.log")
	writeLog(t, path, 50)
	recs, rec, l := readAll(t, path)
	if len(recs) != 50 || rec.DroppedBytes != 0 || rec.Records != 50 {
		t.Fatalf("%d records, %+v", len(recs), rec)
	}
	for i, r := range recs {
		if r.Type != byte(i%3) || !bytes.Equal(r.Payload, payload(i)) {
			t.Fatalf("record %d = %q", i, r.Payload)
		}
	}
	if err := l.Append(7, []byte("more")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if err := l.Append(7, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	recs, _, l = readAll(t, path)
	l.Close()
	if len(recs) != 51 || string(recs[50].Payload) != "more" {
		t.Fatalf("appended record lost: %d", len(recs))
	}
}

// TestTruncationAtEveryOffset cuts the log at every byte of its last
// records: recovery keeps every complete record before the cut, drops the
// rest, and the log appends cleanly afterwards.
func TestTruncationAtEveryOffset(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.log")
	ends := writeLog(t, full, 20)
	data, _ := os.ReadFile(full)
	start := ends[16]
	for cut := start; cut <= int64(len(data)); cut++ {
		path := filepath.Join(dir, "cut.log")
		os.WriteFile(path, data[:cut], 0o644)
		recs, rec, l := readAll(t, path)
		want := 0
		for _, e := range ends {
			if e <= cut {
				want++
			}
		}
		if len(recs) != want || rec.Good != ends[want-1] || rec.DroppedBytes != cut-ends[want-1] {
			t.Fatalf("cut at %d: %d records, %+v; want %d", cut, len(recs), rec, want)
		}
		if rec.DroppedBytes > 0 && rec.Reason == "" {
			t.Fatalf("cut at %d: no reason", cut)
		}
		if err := l.Append(9, []byte("after")); err != nil {
			t.Fatal(err)
		}
		l.Close()
		recs, rec, l = readAll(t, path)
		l.Close()
		if len(recs) != want+1 || rec.DroppedBytes != 0 || string(recs[want].Payload) != "after" {
			t.Fatalf("cut at %d: append after recovery: %d records, %+v", cut, len(recs), rec)
		}
	}
}

// TestCorruptionAtEveryOffset flips each byte of the last records: reading
// stops at the damaged record and keeps all before it.
func TestCorruptionAtEveryOffset(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full.log")
	ends := writeLog(t, full, 12)
	data, _ := os.ReadFile(full)
	for pos := ends[9]; pos < int64(len(data)); pos++ {
		bad := bytes.Clone(data)
		bad[pos] ^= 0x5a
		path := filepath.Join(dir, "bad.log")
		os.WriteFile(path, bad, 0o644)
		recs, rec, l := readAll(t, path)
		l.Close()
		// The damaged record is the one containing pos.
		damaged := 0
		for damaged < len(ends) && ends[damaged] <= pos {
			damaged++
		}
		if len(recs) != damaged {
			t.Fatalf("flip at %d: %d records kept, want %d (%+v)", pos, len(recs), damaged, rec)
		}
		for i, r := range recs {
			if !bytes.Equal(r.Payload, payload(i)) {
				t.Fatalf("flip at %d: record %d altered", pos, i)
			}
		}
	}
}

func TestTooLarge(t *testing.T) {
	l, _, err := Open(filepath.Join(t.TempDir(), "j.log"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Append(1, make([]byte, MaxRecord)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

func TestReplayErrorStops(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j.log")
	writeLog(t, path, 5)
	boom := errors.New("boom")
	_, _, err := Open(path, nil, func(r Record) error {
		if bytes.HasPrefix(r.Payload, []byte("record 3")) {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}

func TestSyncInterval(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	path := filepath.Join(t.TempDir(), "j.log")
	l, _, err := Open(path, &Options{Sync: SyncInterval, Interval: time.Minute, Now: func() time.Time { return now }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Acknowledged means written: the record is in the file before the
	// fsync the interval allows, in every mode.
	for i, mode := range []Sync{SyncInterval, SyncNever, SyncAlways} {
		p := filepath.Join(t.TempDir(), fmt.Sprint(i))
		m, _, err := Open(p, &Options{Sync: mode, Interval: time.Hour}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j := range 100 {
			if err := m.Append(1, payload(j)); err != nil {
				t.Fatal(err)
			}
			if st, _ := os.Stat(p); st.Size() != m.Size() {
				t.Fatalf("mode %d: %d bytes in the file after append %d, %d appended", mode, st.Size(), j, m.Size())
			}
		}
		if err := m.Close(); err != nil || m.Close() != nil {
			t.Fatalf("close: %v", err)
		}
	}
	if err := l.Append(1, []byte("a")); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	if err := l.Append(1, []byte("b")); err != nil {
		t.Fatal(err)
	}
	l.Close()
}

// TestKilledWriter kills a child process with SIGKILL while it appends,
// in each sync mode (internal/killtest): the log then holds every record
// the child was told was appended, in order, each once.
func TestKilledWriter(t *testing.T) {
	if c, ok := killtest.AsChild(); ok {
		l, rec, err := Open(filepath.Join(c.Dir, "j.log"), &Options{Sync: syncModes[c.Mode], Interval: 50 * time.Millisecond}, nil)
		if err != nil {
			c.Fail(err)
		}
		c.Run(rec.Records, func(i int) error { return l.Append(1, []byte(strconv.Itoa(i))) }, nil)
	}
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for i, mode := range killtest.Modes {
		dir := t.TempDir()
		f, err := killtest.Campaign("journal", "TestKilledWriter", dir, mode, killtest.Rounds(3), uint64(i+1), func() ([]int, bool, error) {
			recs, rec, l := readAll(t, filepath.Join(dir, "j.log"))
			l.Close()
			var seqs []int
			for _, r := range recs {
				n, err := strconv.Atoi(string(r.Payload))
				if err != nil {
					return nil, false, fmt.Errorf("record %q", r.Payload)
				}
				seqs = append(seqs, n)
			}
			return seqs, rec.DroppedBytes > 0, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Log(f)
	}
}

var syncModes = map[string]Sync{"always": SyncAlways, "interval": SyncInterval, "never": SyncNever}

func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.snap")
	body := []byte("the body of a snapshot")
	if err := WriteSnapshot(path, "identity", 7, body); err != nil {
		t.Fatal(err)
	}
	gen, got, err := ReadSnapshot(path, "identity")
	if err != nil || gen != 7 || !bytes.Equal(got, body) {
		t.Fatalf("ReadSnapshot = %d, %q, %v", gen, got, err)
	}
	if _, _, err := ReadSnapshot(path, "journey"); !errors.Is(err, ErrBadSnapshot) {
		t.Fatalf("wrong kind: %v", err)
	}
	data, _ := os.ReadFile(path)
	for pos := range data {
		bad := bytes.Clone(data)
		bad[pos] ^= 1
		if _, _, err := DecodeSnapshot(bad, "identity"); !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("flip at %d accepted", pos)
		}
	}
	for cut := range data {
		if _, _, err := DecodeSnapshot(data[:cut], "identity"); !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("cut at %d accepted", cut)
		}
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
}

func FuzzReader(f *testing.F) {
	f.Add(AppendRecord(AppendRecord(nil, 1, []byte("hello")), 2, nil))
	f.Add([]byte{5, 0, 0, 0, 1, 2, 3, 4, 5})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		rd := NewReader(bytes.NewReader(b))
		var re []byte
		for rd.Next() {
			r := rd.Record()
			re = AppendRecord(re, r.Type, r.Payload)
		}
		// What was read re-encodes to exactly the prefix it came from.
		if !bytes.Equal(re, b[:rd.Offset()]) {
			t.Fatalf("re-encoded %d bytes differ from the %d read", len(re), rd.Offset())
		}
		if rd.Offset() < int64(len(b)) && rd.Stop() == "" {
			t.Fatal("stopped early without a reason")
		}
	})
}

func FuzzDecodeSnapshot(f *testing.F) {
	dir := f.TempDir()
	p := filepath.Join(dir, "s")
	WriteSnapshot(p, "identity", 1, []byte("body"))
	b, _ := os.ReadFile(p)
	f.Add(b)
	f.Add([]byte("THRUSNAP"))
	f.Fuzz(func(t *testing.T, b []byte) {
		gen, body, err := DecodeSnapshot(b, "identity")
		if err != nil {
			if !errors.Is(err, ErrBadSnapshot) {
				t.Fatalf("error %v is not ErrBadSnapshot", err)
			}
			return
		}
		q := filepath.Join(t.TempDir(), "s")
		if err := WriteSnapshot(q, "identity", gen, body); err != nil {
			t.Fatal(err)
		}
		again, _ := os.ReadFile(q)
		if !bytes.Equal(again, b) {
			t.Fatal("decoded snapshot does not re-encode to itself")
		}
	})
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	var restored []string
	open := func() (*Dir, DirRecovery) {
		restored = nil
		d, rec, err := OpenDir(context.Background(), dir, "test", &Options{Sync: SyncNever},
			func(body []byte) error { restored = append(restored, "snap:"+string(body)); return nil },
			func(r Record) error { restored = append(restored, string(r.Payload)); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return d, rec
	}
	d, rec := open()
	if rec.Snapshot || rec.Records != 0 {
		t.Fatalf("fresh dir: %+v", rec)
	}
	d.Append(1, []byte("a"))
	d.Append(1, []byte("b"))
	if err := d.Compact(context.Background(), []byte("ab")); err != nil {
		t.Fatal(err)
	}
	d.Append(1, []byte("c"))
	d.Close()
	d, rec = open()
	if !rec.Snapshot || rec.Generation != 1 || rec.Records != 1 || strings.Join(restored, ",") != "snap:ab,c" {
		t.Fatalf("reopened: %+v %v", rec, restored)
	}
	// One store per directory: a second open fails while the first holds
	// it, waits for it with a timeout, and succeeds once it is closed.
	if _, _, err := OpenDir(context.Background(), dir, "test", nil, func([]byte) error { return nil }, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
	released := make(chan error, 1)
	go func() {
		d2, _, err := OpenDir(context.Background(), dir, "test", &Options{LockTimeout: time.Minute}, func([]byte) error { return nil }, nil)
		if err == nil {
			err = d2.Close()
		}
		released <- err
	}()
	if err := d.Close(); err != nil || d.Close() != nil {
		t.Fatalf("close: %v", err)
	}
	if err := <-released; err != nil {
		t.Fatalf("open waiting for the lock: %v", err)
	}
	logs, _ := filepath.Glob(filepath.Join(dir, "journal-*.log"))
	if len(logs) != 1 {
		t.Fatalf("journals %v", logs)
	}
	if _, _, err := OpenDir(context.Background(), dir, "other", nil, func([]byte) error { return nil }, nil); !errors.Is(err, ErrBadSnapshot) {
		t.Fatalf("wrong kind: %v", err)
	}
}

// TestSnapshotOnFullDisk: a snapshot whose writes fail (its temporary file
// is /dev/full, which answers every write with ENOSPC) returns the error
// and leaves the previous snapshot in place.
func TestSnapshotOnFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	path := filepath.Join(t.TempDir(), "snap")
	if err := WriteSnapshot(path, "test", 1, []byte("the first body")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/full", path+".tmp"); err != nil {
		t.Fatal(err)
	}
	err := WriteSnapshot(path, "test", 2, bytes.Repeat([]byte("x"), 1<<20))
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("snapshot on a full disk returned %v", err)
	}
	gen, body, err := ReadSnapshot(path, "test")
	if err != nil || gen != 1 || string(body) != "the first body" {
		t.Fatalf("previous snapshot: gen %d body %q err %v", gen, body, err)
	}
}

// TestCompactOnFullDisk: a compaction whose snapshot cannot be written
// reports it, keeps the journal, and the directory reopens with every
// record and stays usable.
func TestCompactOnFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	dir := t.TempDir()
	var restored []string
	open := func() *Dir {
		restored = nil
		d, _, err := OpenDir(context.Background(), dir, "test", &Options{Sync: SyncNever},
			func(body []byte) error { restored = append(restored, "snap:"+string(body)); return nil },
			func(r Record) error { restored = append(restored, string(r.Payload)); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := open()
	d.Append(1, []byte("a"))
	d.Append(1, []byte("b"))
	if err := os.Symlink("/dev/full", filepath.Join(dir, "snapshot.snap.tmp")); err != nil {
		t.Fatal(err)
	}
	if err := d.Compact(context.Background(), bytes.Repeat([]byte("x"), 1<<20)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("compaction on a full disk returned %v", err)
	}
	if err := d.Append(1, []byte("c")); err != nil {
		t.Fatalf("append after a failed compaction: %v", err)
	}
	d.Close()
	d = open()
	defer d.Close()
	if strings.Join(restored, ",") != "a,b,c" {
		t.Fatalf("reopened after a failed compaction: %v", restored)
	}
}

// BenchmarkAppend measures one append of a 100-byte record per sync mode:
// every mode writes the record to the file before returning (a write
// call), SyncAlways adds an fsync.
func BenchmarkAppend(b *testing.B) {
	for _, c := range []struct {
		name string
		mode Sync
	}{{"always", SyncAlways}, {"interval", SyncInterval}, {"never", SyncNever}} {
		b.Run(c.name, func(b *testing.B) {
			l, _, err := Open(filepath.Join(b.TempDir(), "j.log"), &Options{Sync: c.mode, Interval: 50 * time.Millisecond}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			p := bytes.Repeat([]byte("x"), 100)
			b.SetBytes(int64(len(p) + headerLen))
			for b.Loop() {
				if err := l.Append(1, p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
