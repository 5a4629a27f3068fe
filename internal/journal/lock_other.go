//go:build !unix

package journal

import (
	"os"
	"time"
)

// lockDir opens the lock file without locking it: only unix systems get
// flock, so elsewhere one process per directory is the host's rule.
func lockDir(path string, _ time.Duration) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
}
