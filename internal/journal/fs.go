package journal

import (
	"io"
	"io/fs"
	"os"
	"time"
)

// An FS is the file system a Dir, a Log and the snapshot functions work
// on. Options.FS nil means the operating system's. The seam exists so that
// tests can fail any one operation (see Faults) and check that the failure
// reaches the caller and loses nothing acknowledged.
type FS interface {
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	Stat(name string) (fs.FileInfo, error)
	Rename(oldpath, newpath string) error
	Remove(name string) error
	ReadDir(name string) ([]fs.DirEntry, error)
	MkdirAll(path string, perm fs.FileMode) error
	// Lock takes the exclusive lock a Dir holds on its directory,
	// waiting up to timeout; it fails with ErrLocked when another holder
	// keeps it. Closing the result releases it.
	Lock(path string, timeout time.Duration) (io.Closer, error)
}

// A File is an open file of an FS.
type File interface {
	io.Reader
	io.Writer
	io.Seeker
	io.Closer
	Truncate(size int64) error
	Sync() error
	Stat() (fs.FileInfo, error)
}

// osFS is the operating system's file system.
type osFS struct{}

func (osFS) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return f, nil
}
func (osFS) Stat(name string) (fs.FileInfo, error)        { return os.Stat(name) }
func (osFS) Rename(oldpath, newpath string) error         { return os.Rename(oldpath, newpath) }
func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) ReadDir(name string) ([]fs.DirEntry, error)   { return os.ReadDir(name) }
func (osFS) MkdirAll(path string, perm fs.FileMode) error { return os.MkdirAll(path, perm) }
func (osFS) Lock(path string, t time.Duration) (io.Closer, error) {
	f, err := lockDir(path, t)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// fsOf returns opts' file system, the OS's by default.
func fsOf(opts *Options) FS {
	if opts == nil || opts.FS == nil {
		return osFS{}
	}
	return opts.FS
}

// readFile reads a whole file through fsys, reporting the close error too.
func readFile(fsys FS, name string) ([]byte, error) {
	f, err := fsys.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return b, err
}

// syncDir fsyncs a directory, so a rename or a new file in it survives
// power loss.
func syncDir(fsys FS, dir string) error {
	d, err := fsys.OpenFile(dir, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
