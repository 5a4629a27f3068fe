package journal

import (
	"context"
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
	_, err := writeSnapshot(context.Background(), osFS{}, path, kind, gen, body)
	return err
}

// writeSnapshot writes the snapshot through fsys in named steps: write the
// temporary file, fsync and close it, rename it over path, fsync the
// directory. renamed reports whether the rename happened: from then on the
// new snapshot is the one a reopen reads, even when the directory's fsync
// then fails, and the caller must continue from it.
func writeSnapshot(ctx context.Context, fsys FS, path, kind string, gen uint64, body []byte) (renamed bool, err error) {
	if len(kind) > 255 {
		return false, fmt.Errorf("journal: snapshot kind too long")
	}
	tmp := path + ".tmp"
	if err := writeTemp(fsys, tmp, snapshotHeader(kind, gen, body), body); err != nil {
		fsys.Remove(tmp) // best effort: a stale .tmp is overwritten next time
		return false, fmt.Errorf("journal: writing snapshot %s: %w", path, err)
	}
	if err := ctx.Err(); err != nil { // the last moment a snapshot can be called off
		fsys.Remove(tmp)
		return false, fmt.Errorf("journal: %w", err)
	}
	if err := fsys.Rename(tmp, path); err != nil {
		fsys.Remove(tmp)
		return false, fmt.Errorf("journal: %w", err)
	}
	if err := syncDir(fsys, filepath.Dir(path)); err != nil {
		return true, fmt.Errorf("journal: syncing %s: %w", filepath.Dir(path), err)
	}
	return true, nil
}

func snapshotHeader(kind string, gen uint64, body []byte) []byte {
	h := make([]byte, 0, 64)
	h = append(h, snapMagic[:]...)
	h = binary.LittleEndian.AppendUint16(h, SnapshotVersion)
	h = append(h, byte(len(kind)))
	h = append(h, kind...)
	h = binary.LittleEndian.AppendUint64(h, gen)
	h = binary.LittleEndian.AppendUint64(h, uint64(len(body)))
	h = binary.LittleEndian.AppendUint32(h, crc32.Checksum(body, castagnoli))
	return binary.LittleEndian.AppendUint32(h, crc32.Checksum(h, castagnoli)) // the header's own checksum
}

// writeTemp writes header and body to a new file at name, fsyncs and
// closes it; every step's error is returned, or a full disk leaves a
// truncated snapshot the caller believes and compacts its journal against.
func writeTemp(fsys FS, name string, header, body []byte) error {
	f, err := fsys.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err = f.Write(header); err == nil {
		_, err = f.Write(body)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadSnapshot reads and checks the snapshot at path.
func ReadSnapshot(path, kind string) (gen uint64, body []byte, err error) {
	return readSnapshot(osFS{}, path, kind)
}

func readSnapshot(fsys FS, path, kind string) (gen uint64, body []byte, err error) {
	b, err := readFile(fsys, path)
	if err != nil {
		return 0, nil, fmt.Errorf("journal: %w", err)
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
