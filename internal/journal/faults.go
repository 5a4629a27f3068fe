package journal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sync"
	"time"
)

// An Op is a kind of file-system operation, as Faults counts them.
type Op uint8

// The operations an FS and its files perform.
const (
	OpOpen Op = iota
	OpRead
	OpWrite
	OpSync
	OpTruncate
	OpSeek
	OpClose
	OpStat
	OpRename
	OpRemove
	OpReadDir
	OpMkdir
	OpLock
	NumOps // the number of kinds
)

var opNames = [NumOps]string{"open", "read", "write", "sync", "truncate", "seek", "close", "stat", "rename", "remove", "readdir", "mkdir", "lock"}

func (o Op) String() string {
	if o < NumOps {
		return opNames[o]
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// ErrInjected is the error Faults returns for the operation it fails.
var ErrInjected = errors.New("journal: injected fault")

// Faults is an FS for tests: it passes every operation to the OS's file
// system, counts them by kind, and fails the Nth operation of kind Op
// (counting from 1; N 0 fails none) with ErrInjected, once. A failed write
// first writes half its bytes, as a disk that fills up mid-write does, so
// the caller has a torn record to undo. It is safe for concurrent use.
type Faults struct {
	Op Op
	N  int

	mu    sync.Mutex
	count [NumOps]int
	fired string // the failed call, once it has failed
	seen  bool   // Swallowed has looked at the failure
}

// Count reports how many operations of kind op have run.
func (f *Faults) Count(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[op]
}

// Fired reports the operation Faults failed, or "" if it has not yet.
func (f *Faults) Fired() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// fail counts one operation of kind op on name and says whether to fail it.
func (f *Faults) fail(op Op, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.count[op]++
	if op != f.Op || f.count[op] != f.N {
		return nil
	}
	f.fired = fmt.Sprintf("%v #%d (%s)", op, f.N, name)
	return fmt.Errorf("%w: %s", ErrInjected, f.fired)
}

func (f *Faults) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	if err := f.fail(OpOpen, name); err != nil {
		return nil, err
	}
	file, err := osFS{}.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: file, f: f, name: name}, nil
}

func (f *Faults) Stat(name string) (fs.FileInfo, error) {
	if err := f.fail(OpStat, name); err != nil {
		return nil, err
	}
	return osFS{}.Stat(name)
}

func (f *Faults) Rename(oldpath, newpath string) error {
	if err := f.fail(OpRename, newpath); err != nil {
		return err
	}
	return osFS{}.Rename(oldpath, newpath)
}

func (f *Faults) Remove(name string) error {
	if err := f.fail(OpRemove, name); err != nil {
		return err
	}
	return osFS{}.Remove(name)
}

func (f *Faults) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.fail(OpReadDir, name); err != nil {
		return nil, err
	}
	return osFS{}.ReadDir(name)
}

func (f *Faults) MkdirAll(path string, perm fs.FileMode) error {
	if err := f.fail(OpMkdir, path); err != nil {
		return err
	}
	return osFS{}.MkdirAll(path, perm)
}

func (f *Faults) Lock(path string, timeout time.Duration) (io.Closer, error) {
	if err := f.fail(OpLock, path); err != nil {
		return nil, err
	}
	l, err := osFS{}.Lock(path, timeout)
	if err != nil {
		return nil, err
	}
	return &faultLock{l: l, f: f, name: path}, nil
}

type faultLock struct {
	l    io.Closer
	f    *Faults
	name string
}

func (x *faultLock) Close() error {
	err := x.f.fail(OpClose, x.name)
	if cerr := x.l.Close(); err == nil {
		err = cerr
	}
	return err
}

type faultFile struct {
	File
	f    *Faults
	name string
}

func (x *faultFile) Read(p []byte) (int, error) {
	if err := x.f.fail(OpRead, x.name); err != nil {
		return 0, err
	}
	return x.File.Read(p)
}

func (x *faultFile) Write(p []byte) (int, error) {
	if err := x.f.fail(OpWrite, x.name); err != nil {
		n, _ := x.File.Write(p[:len(p)/2])
		return n, err
	}
	return x.File.Write(p)
}

func (x *faultFile) Seek(off int64, whence int) (int64, error) {
	if err := x.f.fail(OpSeek, x.name); err != nil {
		return 0, err
	}
	return x.File.Seek(off, whence)
}

func (x *faultFile) Truncate(size int64) error {
	if err := x.f.fail(OpTruncate, x.name); err != nil {
		return err
	}
	return x.File.Truncate(size)
}

func (x *faultFile) Sync() error {
	if err := x.f.fail(OpSync, x.name); err != nil {
		return err
	}
	return x.File.Sync()
}

func (x *faultFile) Close() error {
	err := x.f.fail(OpClose, x.name)
	// The descriptor is released either way, as close(2) releases it even
	// when it reports an error.
	if cerr := x.File.Close(); err == nil {
		err = cerr
	}
	return err
}

func (x *faultFile) Stat() (fs.FileInfo, error) {
	if err := x.f.fail(OpStat, x.name); err != nil {
		return nil, err
	}
	return x.File.Stat()
}

// Swallowed reports whether the fault fired since the previous call and
// err, the result of the call it fired in, is nil: a failure reported as
// success. Tests call it after every call of the store under test.
func (f *Faults) Swallowed(err error) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	fresh := f.fired != "" && !f.seen
	if f.fired != "" {
		f.seen = true
	}
	return fresh && err == nil
}

// TB is the part of testing.TB that Ok uses; this file does not import
// testing, so binaries that link the journal do not link it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Ok stops t when the fault fired in the call what, which returned err,
// and err is nil (see Swallowed): a failure reported as success. It
// reports whether the call succeeded, so a test mirrors into its
// reference only the calls that were acknowledged.
func (f *Faults) Ok(t TB, what string, err error) bool {
	t.Helper()
	if f.Swallowed(err) {
		t.Fatalf("%s failed in %s, which returned nil", f.Fired(), what)
	}
	return err == nil
}

// EachFault runs scenario once on a Faults that fails nothing, to count
// the operations of each kind, and then once for every kind and every N up
// to that count, each time on a new Faults set to fail that operation. It
// returns the number of faulty runs.
func EachFault(scenario func(f *Faults)) int {
	counter := &Faults{}
	scenario(counter)
	runs := 0
	for op := Op(0); op < NumOps; op++ {
		for n := 1; n <= counter.Count(op); n++ {
			scenario(&Faults{Op: op, N: n})
			runs++
		}
	}
	return runs
}
