// Package killtest is the kill -9 harness the stores' tests share. A test
// re-runs its own binary as a child that writes records at full speed into
// a store's directory and acknowledges each one, after the call that wrote
// it returned, on a pipe. The parent kills the child with SIGKILL after a
// random number of acknowledgements, reads the acknowledgements still in
// the pipe, and checks the reopened directory: every acknowledged record
// is there, in order, none doubled.
//
// There are no sleeps. The child says "ready" once its store is open, and
// the parent counts acknowledgements, so the kill lands at a point in the
// child's write loop that the scheduler chooses, which is the point.
// An acknowledgement is one write(2) of a short line to a pipe, which is
// atomic, so the parent never reads half of one.
package killtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Environment variables that make a test binary a child.
const (
	envDir  = "THROUGHLINE_KILLTEST_DIR"
	envMode = "THROUGHLINE_KILLTEST_MODE"
)

// ackFD is the child's acknowledgement pipe (ExtraFiles[0]).
const ackFD = 3

// A Child is the writing side, in the re-run test binary.
type Child struct {
	Dir  string // the store's directory
	Mode string // the sync mode the parent asked for
	acks *os.File
	buf  []byte
}

// AsChild reports whether this process is a child, and its settings. A
// test calls it first and, when it is one, runs the writer and never
// returns.
func AsChild() (*Child, bool) {
	dir := os.Getenv(envDir)
	if dir == "" {
		return nil, false
	}
	return &Child{Dir: dir, Mode: os.Getenv(envMode), acks: os.NewFile(ackFD, "acks")}, true
}

// Ready tells the parent that the store is open and next is the first
// sequence number the child writes (what the directory held before).
func (c *Child) Ready(next int) { c.line("ready " + strconv.Itoa(next)) }

// Ack tells the parent that record seq was acknowledged by the store.
func (c *Child) Ack(seq int) { c.line(strconv.Itoa(seq)) }

// Fail reports an error to the parent and exits.
func (c *Child) Fail(err error) {
	c.line("error " + strings.ReplaceAll(err.Error(), "\n", " "))
	os.Exit(1)
}

func (c *Child) line(s string) {
	c.buf = append(append(c.buf[:0], s...), '\n')
	if _, err := c.acks.Write(c.buf); err != nil {
		os.Exit(2) // the parent is gone
	}
}

// A Round is what one kill found.
type Round struct {
	Start int // the first sequence number the child wrote (records already in the directory)
	Acked int // one past the highest sequence number acknowledged
}

// Kill runs test (a test name in this binary) as a child on dir in mode,
// kills it with SIGKILL once it has acknowledged after records (0: as soon
// as it is ready), and returns what it acknowledged.
func Kill(test, dir, mode string, after int) (Round, error) {
	var r Round
	pr, pw, err := os.Pipe()
	if err != nil {
		return r, err
	}
	defer pr.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), envDir+"="+dir, envMode+"="+mode)
	cmd.ExtraFiles = []*os.File{pw}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		pw.Close()
		return r, err
	}
	pw.Close() // the child holds the only write end: EOF when it dies
	sc := bufio.NewScanner(pr)
	n, ready, killed := 0, false, false
	kill := func() {
		if !killed {
			cmd.Process.Kill()
			killed = true
		}
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "error "):
			kill()
			cmd.Wait()
			return r, errors.New("child: " + strings.TrimPrefix(line, "error "))
		case strings.HasPrefix(line, "ready "):
			if r.Start, err = strconv.Atoi(strings.TrimPrefix(line, "ready ")); err != nil {
				kill()
				cmd.Wait()
				return r, fmt.Errorf("child said %q", line)
			}
			ready, r.Acked = true, r.Start
		default:
			seq, err := strconv.Atoi(line)
			if err != nil || !ready || seq != r.Acked {
				kill()
				cmd.Wait()
				return r, fmt.Errorf("child acknowledged %q after %d", line, r.Acked)
			}
			r.Acked = seq + 1
			n++
		}
		if ready && n >= after {
			kill() // and read on: what is in the pipe was acknowledged too
		}
	}
	err = cmd.Wait()
	if !killed {
		return r, fmt.Errorf("child ended before it was killed: %v", err)
	}
	if !ready {
		return r, fmt.Errorf("child died before it was ready: %v", err)
	}
	return r, nil
}

// Check compares what a reopened directory holds, the sequence numbers in
// stored order, with what was acknowledged: a prefix 0..n-1 with n at
// least acked, each once. It returns n.
func Check(stored []int, acked int) (int, error) {
	for i, s := range stored {
		if s != i {
			return 0, fmt.Errorf("record %d holds sequence number %d (lost, doubled or out of order)", i, s)
		}
	}
	if len(stored) < acked {
		return 0, fmt.Errorf("%d records survive, %d were acknowledged: %d lost", len(stored), acked, acked-len(stored))
	}
	return len(stored), nil
}

// Figures sum one campaign: one store, one sync mode, many kills.
type Figures struct {
	Store, Mode string
	Kills       int
	Acked       int // records acknowledged over all kills
	Survived    int // records in the directory after the last kill
	Lost        int // acknowledged records missing (the harness fails on any)
	TornTails   int // reopens that cut a partly written record off
}

func (f Figures) String() string {
	return fmt.Sprintf("killtest: %s %s: %d kills, %d records acknowledged, %d survived, %d lost, %d torn tails cut",
		f.Store, f.Mode, f.Kills, f.Acked, f.Survived, f.Lost, f.TornTails)
}

// Campaign kills the child test rounds times on one directory (each
// restart continues where the last stopped), after a random number of
// acknowledgements drawn from seed (0 to 400), and checks the directory
// after every kill with reopen, which returns the sequence numbers it
// holds in stored order and whether opening cut a torn tail.
func Campaign(store, test, dir, mode string, rounds int, seed uint64, reopen func() (stored []int, torn bool, err error)) (Figures, error) {
	f := Figures{Store: store, Mode: mode}
	rng := seed | 1
	for range rounds {
		rng ^= rng << 13 // xorshift: reproducible kill points without math/rand's state
		rng ^= rng >> 7
		rng ^= rng << 17
		r, err := Kill(test, dir, mode, int(rng%401))
		if err != nil {
			return f, fmt.Errorf("kill %d: %w", f.Kills+1, err)
		}
		f.Kills++
		f.Acked += r.Acked - r.Start
		stored, torn, err := reopen()
		if err != nil {
			return f, fmt.Errorf("reopening after kill %d: %w", f.Kills, err)
		}
		if torn {
			f.TornTails++
		}
		n, err := Check(stored, r.Acked)
		if err != nil {
			f.Lost = max(r.Acked-len(stored), 0)
			return f, fmt.Errorf("after kill %d: %w", f.Kills, err)
		}
		f.Survived = n
	}
	return f, nil
}

// Rounds is the number of kills per store and sync mode: the
// THROUGHLINE_KILLS environment variable (scripts/kills.sh sets 200), or
// def.
func Rounds(def int) int {
	if n, err := strconv.Atoi(os.Getenv("THROUGHLINE_KILLS")); err == nil && n > 0 {
		return n
	}
	return def
}

// Modes are the sync modes a campaign runs, by the names children get.
var Modes = []string{"always", "interval", "never"}

// Run is the child's write loop, which never returns: it says Ready, then
// writes record next, next+1, ... with write and acknowledges each, and
// calls snapshot (when not nil) after every 1,000th, so that kills land
// in compactions too. Any error goes to the parent.
func (c *Child) Run(next int, write func(seq int) error, snapshot func() error) {
	c.Ready(next)
	for i := next; ; i++ {
		if err := write(i); err != nil {
			c.Fail(err)
		}
		c.Ack(i)
		if snapshot != nil && i%1000 == 999 {
			if err := snapshot(); err != nil {
				c.Fail(err)
			}
		}
	}
}
