package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
)

// Snapshot header: magic, format version, the owner's kind, generation,
// body length and body checksum.
var snapMagic = [8]byte{'T', 'H', 'R', 'U', 'S', 'N', 'A', 'P'}

// SnapshotVersion is the header format version this package writes.
const SnapshotVersion = 1

// ErrBadSnapshot reports a snapshot that is damaged or of another format.
var ErrBadSnapshot = errors.New("journal: bad snapshot")

// WriteSnapshot writes body as the snapshot at path, atomically: a reader
// sees the old file or the new one, never a part.
func WriteSnapshot(path, kind string, gen uint64, body []byte) error {
	if len(kind) > 255 {
		return fmt.Errorf("journal: snapshot kind too long")
	}
	h := make([]byte, 0, 64)
	h = append(h, snapMagic[:]...)
	h = binary.LittleEndian.AppendUint16(h, SnapshotVersion)
	h = append(h, byte(len(kind)))
	h = append(h, kind...)
	h = binary.LittleEndian.AppendUint64(h, gen)
	h = binary.LittleEndian.AppendUint64(h, uint64(len(body)))
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(body, castagnoli))
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, castagnoli)) // the header's own checksum
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	// err is assigned, never redeclared: a failed write must reach the
	// caller, or a full disk leaves a truncated snapshot that the caller
	// believes and compacts its journal against.
	if _, err = f.Write(h); err == nil {
		_, err = f.Write(body)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("journal: writing snapshot %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("journal: syncing %s: %w", filepath.Dir(path), err)
	}
	return nil
}

// ReadSnapshot reads and checks the snapshot at path.
func ReadSnapshot(path, kind string) (gen uint64, body []byte, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, nil, err
	}
	return DecodeSnapshot(b, kind)
}

// DecodeSnapshot checks a snapshot's header and body.
func DecodeSnapshot(b []byte, kind string) (gen uint64, body []byte, err error) {
	bad := func(why string) (uint64, []byte, error) {
		return 0, nil, fmt.Errorf("%w: %s", ErrBadSnapshot, why)
	}
	if len(b) < 8+2+1 || [8]byte(b[:8]) != snapMagic {
		return bad("no snapshot header")
	}
	if v := binary.LittleEndian.Uint16(b[8:10]); v != SnapshotVersion {
		return bad(fmt.Sprintf("format version %d, want %d", v, SnapshotVersion))
	}
	kl := int(b[10])
	hl := 11 + kl + 8 + 8 + 4 + 4
	if len(b) < hl {
		return bad("short header")
	}
	if crc32.Checksum(b[:hl-4], castagnoli) != binary.LittleEndian.Uint32(b[hl-4:hl]) {
		return bad("header checksum mismatch")
	}
	if got := string(b[11 : 11+kl]); got != kind {
		return bad(fmt.Sprintf("a %q snapshot, want %q", got, kind))
	}
	p := 11 + kl
	gen = binary.LittleEndian.Uint64(b[p:])
	n := binary.LittleEndian.Uint64(b[p+8:])
	sum := binary.LittleEndian.Uint32(b[p+16:])
	body = b[hl:]
	if uint64(len(body)) != n {
		return bad(fmt.Sprintf("body of %d bytes, header says %d", len(body), n))
	}
	if crc32.Checksum(body, castagnoli) != sum {
		return bad("body checksum mismatch")
	}
	return gen, body, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
