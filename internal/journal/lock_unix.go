//go:build unix

package journal

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// lockDir takes an exclusive flock on the directory's lock file, waiting
// up to timeout (0: not at all), as bbolt locks its file: two processes
// appending to one journal would interleave records and each compact away
// the other's.
func lockDir(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || !time.Now().Before(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, ErrLocked
			}
			return nil, err
		}
		time.Sleep(10 * time.Millisecond) // poll, as flock has no timed wait
	}
}
