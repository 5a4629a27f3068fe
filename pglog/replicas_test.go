package pglog

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/throughline/throughline/channel"
	"github.com/throughline/throughline/identity"
	"github.com/throughline/throughline/internal/population"
	"github.com/throughline/throughline/journey"
)

// The environment of a replica process (TestMain runs replicaMain when
// envReplica is set).
const (
	envReplica = "PGLOG_REPLICA" // its number, which seeds its holds
	envDSN     = "PGLOG_DSN"
	envIn      = "PGLOG_IN"     // its observations, JSON lines
	envAll     = "PGLOG_ALL"    // every observation, for the dump
	envTotal   = "PGLOG_TOTAL"  // how many observations the log ends with
	envEvents  = "PGLOG_EVENTS" // how many events the journey log ends with
	envDir     = "PGLOG_DIR"    // its local snapshot directory
	envOut     = "PGLOG_OUT"    // where it writes its dump
)

// testEraseKey is the erase key every replica shares.
var testEraseKey = []byte("pglog test erase key: 32 bytes..")

func graphOptions() *identity.Options { return &identity.Options{EraseKey: testEraseKey} }

// replicaMain is one replica: it appends its observations (acknowledging
// each on stdout), follows the others, snapshots every 150, and once the
// log holds every observation writes which profile each identifier
// resolves to.
func replicaMain() int {
	if err := runReplica(); err != nil {
		fmt.Fprintln(os.Stderr, "replica:", err)
		return 1
	}
	return 0
}

func runReplica() error {
	ctx := context.Background()
	db, err := Open(ctx, os.Getenv(envDSN), &Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return err
	}
	defer db.Close()
	n, _ := strconv.Atoi(os.Getenv(envReplica))
	rng := rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano()))) // a restart holds elsewhere
	db.hold = func() time.Duration {                                       // one append in 8 stays open up to 20 ms
		if rng.IntN(8) == 0 {
			return time.Duration(rng.IntN(20)) * time.Millisecond
		}
		return 0
	}
	g, err := identity.OpenBackend(ctx, db.Stream("identity", os.Getenv(envDir)), graphOptions())
	if err != nil {
		return err
	}
	js, err := journey.OpenBackend(ctx, db.Stream("journey", os.Getenv(envDir)), g, nil)
	if err != nil {
		return err
	}
	rc, err := channel.OpenReacherBackend(ctx, db.Stream("reacher", os.Getenv(envDir)), reachOptions(g))
	if err != nil {
		return err
	}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	followed := make(chan struct{})
	go func() {
		defer close(followed)
		if err := db.Follow(fctx, 20*time.Millisecond, follower(g, js, rc)); err != nil && fctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "replica: follow:", err)
			os.Exit(1)
		}
	}()
	in, err := readObservations(os.Getenv(envIn))
	if err != nil {
		return err
	}
	fmt.Println("ready")
	for i, o := range in {
		ch, err := g.Observe(o)
		if err != nil && !errors.Is(err, identity.ErrDuplicate) {
			return fmt.Errorf("observation %d: %w", i, err)
		}
		js.Follow(ch)
		if err := rc.Follow(g, ch); err != nil {
			return err
		}
		if _, _, err := js.Add(eventOf(o)); err != nil && !errors.Is(err, journey.ErrNoProfile) {
			return fmt.Errorf("event %d: %w", i, err)
		}
		if err := tell(rc, ch.Profile, i, o); err != nil && !errors.Is(err, channel.ErrUnknownProfile) {
			return fmt.Errorf("reach %d: %w", i, err)
		}
		fmt.Println("ack", i)
		if (i+1)%150 == 0 {
			if err := errors.Join(g.Snapshot(ctx), js.Snapshot(ctx), rc.Snapshot(ctx)); err != nil {
				return err
			}
		}
	}
	total, _ := strconv.Atoi(os.Getenv(envTotal))
	events, _ := strconv.Atoi(os.Getenv(envEvents))
	for deadline := time.Now().Add(2 * time.Minute); g.Stats().Observations < total || js.Stats().Events+js.Stats().Pending < events; {
		if time.Now().After(deadline) {
			return fmt.Errorf("replica %d holds %d of the log's %d observations, %d of its %d events", n, g.Stats().Observations, total, js.Stats().Events, events)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The follower may be between the graph's pull and the journey's: it
	// ends its round, and one more here settles every store.
	stop()
	<-followed
	if _, err := follower(g, js, rc)(ctx); err != nil {
		return err
	}
	all, err := readObservations(os.Getenv(envAll))
	if err != nil {
		return err
	}
	if err := os.WriteFile(os.Getenv(envOut), []byte(dump(g, all)+"\n"+timelines(g, js)+"\n"+reaches(g, rc, all)), 0o644); err != nil {
		return err
	}
	fmt.Println("done", g.Stats().Observations)
	return nil
}

// dump lists, for every identifier of obs, the profile it resolves to,
// and the graph's counts: what two graphs agree on when they converge.
func dump(g *identity.Graph, obs []identity.Observation) string {
	var lines []string
	for _, o := range obs {
		for _, id := range o.IDs {
			p, err := g.ResolveID(id)
			lines = append(lines, fmt.Sprintf("%s:%s %v %v", id.Kind, id.Value, p, err))
		}
	}
	for p := range g.Profiles() {
		var keys []string
		for id := range g.Keys(p) {
			keys = append(keys, id.String())
		}
		slices.Sort(keys)
		lines = append(lines, fmt.Sprintf("profile %v %s", p, strings.Join(keys, " ")))
	}
	for id, why := range g.Quarantined() {
		lines = append(lines, fmt.Sprintf("quarantined %s %s", id, why))
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	st := g.Stats()
	lines = append(lines, fmt.Sprintf("observations %d identifiers %d profiles %d", st.Observations, st.Identifiers, st.Profiles))
	return strings.Join(lines, "\n")
}

// follower is what a replica runs on every wake-up: the graph's pull, its
// Changes followed by the journey store and the Reacher, then their pulls.
func follower(g *identity.Graph, js *journey.Store, rc *channel.Reacher) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		chs, err := g.PullChanges(ctx)
		for _, ch := range chs {
			js.Follow(ch)
			if rc != nil {
				err = errors.Join(err, rc.Follow(g, ch))
			}
		}
		if err != nil {
			return len(chs), err
		}
		n, err := js.Pull(ctx)
		if err != nil || rc == nil {
			return len(chs) + n, err
		}
		m, err := rc.Pull(ctx)
		return len(chs) + n + m, err
	}
}

func reachOptions(g *identity.Graph) *channel.ReachOptions {
	return &channel.ReachOptions{Preference: []string{"email", "sms"}, Caps: map[string]channel.Cap{"sms": {Day: 2}}, Graph: g}
}

// tell gives the Reacher what an observation's form came with: its email
// as a contact, a consent every third one (a refusal every other time),
// an SMS sent every fifth.
func tell(rc *channel.Reacher, p identity.ProfileID, i int, o identity.Observation) error {
	var err error
	for _, id := range o.IDs {
		if id.Kind == identity.Email {
			err = errors.Join(err, rc.SetContact(p, "email", id.Value))
		}
		if id.Kind == identity.Phone {
			err = errors.Join(err, rc.SetContact(p, "sms", id.Value))
		}
	}
	if i%3 == 0 {
		st := []channel.ConsentStatus{channel.ConsentGranted, channel.ConsentDenied}[i/3%2]
		err = errors.Join(err, rc.RecordConsent(p, channel.Consent{Channel: "email", Purpose: "marketing", Status: st, At: o.Time}))
		err = errors.Join(err, rc.RecordConsent(p, channel.Consent{Channel: "sms", Purpose: "marketing", Status: channel.ConsentGranted, At: o.Time}))
	}
	if i%5 == 0 {
		err = errors.Join(err, rc.RecordSend(p, "sms", o.Time))
	}
	return err
}

// reaches lists every profile's reachability for marketing at the time of
// the last observation.
func reaches(g *identity.Graph, rc *channel.Reacher, obs []identity.Observation) string {
	now := obs[len(obs)-1].Time
	for _, o := range obs {
		if o.Time.After(now) {
			now = o.Time
		}
	}
	var lines []string
	for p := range g.Profiles() {
		lines = append(lines, fmt.Sprintf("reach %v %v", p, rc.Reach(p, "marketing", now)))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// eventOf is the page view an observation came with: its ID a hash of
// the observation, so every process makes the same event.
func eventOf(o identity.Observation) journey.Event {
	return journey.Event{ID: uuid.NewSHA1(uuid.NameSpaceOID, o.AppendJSON(nil)), Time: o.Time, Type: journey.PageView, IDs: o.IDs}
}

// timelines lists every profile's events in order, and the events
// waiting for a profile.
func timelines(g *identity.Graph, js *journey.Store) string {
	var lines []string
	for p := range g.Profiles() {
		var ids []string
		for _, e := range js.Timeline(p) {
			ids = append(ids, e.ID.String()[:8])
		}
		if len(ids) > 0 {
			lines = append(lines, fmt.Sprintf("timeline %v %s", p, strings.Join(ids, " ")))
		}
	}
	slices.Sort(lines)
	st := js.Stats()
	return strings.Join(append(lines, fmt.Sprintf("events %d profiles %d pending %d", st.Events, st.Profiles, st.Pending)), "\n")
}

func writeObservations(path string, obs []identity.Observation) error {
	var b []byte
	for _, o := range obs {
		b = append(o.AppendJSON(b), '\n')
	}
	return os.WriteFile(path, b, 0o644)
}

func readObservations(path string) ([]identity.Observation, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []identity.Observation
	for line := range bytes.Lines(b) {
		var o identity.Observation
		if err := o.UnmarshalJSON(line); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// A replica is a running replica process, seen from the test.
type replica struct {
	cmd   *exec.Cmd
	lines chan string
	err   bytes.Buffer
}

func startReplica(t *testing.T, env []string) *replica {
	t.Helper()
	r := &replica{cmd: exec.Command(os.Args[0]), lines: make(chan string, 1024)}
	r.cmd.Env = append(os.Environ(), env...)
	r.cmd.Stderr = &r.err
	out, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	return r
}

// until reads lines until one that stop accepts, and returns it.
func (r *replica) until(t *testing.T, stop func(string) bool) string {
	t.Helper()
	timeout := time.After(3 * time.Minute)
	for {
		select {
		case l, ok := <-r.lines:
			if !ok {
				r.cmd.Wait()
				t.Fatalf("replica exited: %s", r.err.String())
			}
			if stop(l) {
				return l
			}
		case <-timeout:
			t.Fatalf("replica timed out: %s", r.err.String())
		}
	}
}

// TestReplicasConverge is issue 16's first must-show. Four replica
// processes append one population's observations concurrently, one in
// eight of their appends held open up to 20 ms so that commits land out
// of position order; replica 2 is killed with SIGKILL a third of the way
// through and restarted (from its local snapshot and cursor, re-sending
// everything: what was kept is not doubled). At the end every replica
// holds exactly the observations of one in-process graph fed the same
// ones, and every identifier resolves to the same profile ID there.
func TestReplicasConverge(t *testing.T) {
	_, dsn := newDB(t, nil)
	gen := population.New(population.Config{People: 600, Seed: 16, Traps: population.Realistic()})
	var all []identity.Observation
	seen := map[string]bool{}
	ref := mustNew(t)
	for o := range gen.Observations() {
		key := string(o.Observation.AppendJSON(nil))
		if seen[key] { // the log keeps a record once
			continue
		}
		seen[key] = true
		if _, err := ref.Observe(o.Observation); err == nil {
			all = append(all, o.Observation)
		}
	}
	refJ, err := journey.New(ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range all {
		if _, _, err := refJ.Add(eventOf(o)); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	allPath := filepath.Join(tmp, "all.jsonl")
	if err := writeObservations(allPath, all); err != nil {
		t.Fatal(err)
	}
	parts := make([][]identity.Observation, 4)
	for i, o := range all {
		parts[i%4] = append(parts[i%4], o)
	}
	envOf := func(i int) []string {
		in := filepath.Join(tmp, fmt.Sprintf("in%d.jsonl", i))
		if err := writeObservations(in, parts[i]); err != nil {
			t.Fatal(err)
		}
		return []string{envReplica + "=" + strconv.Itoa(i), envDSN + "=" + dsn, envIn + "=" + in, envAll + "=" + allPath,
			envTotal + "=" + strconv.Itoa(len(all)), envEvents + "=" + strconv.Itoa(refJ.Stats().Events), envDir + "=" + filepath.Join(tmp, fmt.Sprintf("local%d", i)),
			envOut + "=" + filepath.Join(tmp, fmt.Sprintf("dump%d", i))}
	}
	rs := make([]*replica, 4)
	for i := range rs {
		rs[i] = startReplica(t, envOf(i))
	}
	for _, r := range rs {
		r.until(t, func(l string) bool { return l == "ready" })
	}
	killAt := len(parts[2]) / 3
	rs[2].until(t, func(l string) bool { n, _ := strconv.Atoi(strings.TrimPrefix(l, "ack ")); return n >= killAt })
	if err := rs[2].cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	rs[2].cmd.Wait()
	rs[2] = startReplica(t, envOf(2))
	want := dump(ref, all) + "\n" + timelines(ref, refJ)
	for _, r := range rs {
		r.until(t, func(l string) bool { return strings.HasPrefix(l, "done") })
		r.cmd.Wait()
	}
	// The Reacher's answers are a function of the graph and its records:
	// a fresh Reacher over the log and the in-process graph gives them.
	db, err := Open(context.Background(), dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	refR, err := channel.OpenReacherBackend(context.Background(), db.Stream("reacher", ""), reachOptions(ref))
	if err != nil {
		t.Fatal(err)
	}
	want += "\n" + reaches(ref, refR, all)
	if !strings.Contains(want, "reachable") || !strings.Contains(want, "no consent") {
		t.Fatal("the reach dump holds no reachable or no refused profile: it checks little")
	}
	for i := range rs {
		got, err := os.ReadFile(filepath.Join(tmp, fmt.Sprintf("dump%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Errorf("replica %d differs from the in-process graph: %s", i, firstDiff(string(got), want))
		}
	}
	t.Logf("%d observations from 4 replicas, replica 2 killed after %d acknowledgements", len(all), killAt)
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := range min(len(g), len(w)) {
		if g[i] != w[i] {
			return fmt.Sprintf("line %d: got %q, want %q", i, g[i], w[i])
		}
	}
	return fmt.Sprintf("%d lines, want %d (last: %q / %q)", len(g), len(w), g[len(g)-1], w[len(w)-1])
}

func mustNew(t *testing.T) *identity.Graph {
	t.Helper()
	g, err := identity.New(graphOptions())
	if err != nil {
		t.Fatal(err)
	}
	return g
}
