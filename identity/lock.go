package identity

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// shardedRW is a reader-writer lock whose readers spread over several
// mutexes, so that parallel resolves do not all bounce one reader count
// between cores: with a plain RWMutex, two cores resolved slower than one.
// A reader takes its shard number from a sync.Pool, whose per-processor
// caches make each core keep using its own shard, so its cache line stays
// local. A writer takes every shard, in order.
type shardedRW struct {
	shards []paddedRW
	pick   sync.Pool // of *int shard numbers
	next   atomic.Uint32
}

// maxLockShards bounds the shards: a writer takes them all, so more shards
// make writes dearer; one per processor (GOMAXPROCS at New) up to eight.
const maxLockShards = 8

type paddedRW struct {
	sync.RWMutex
	_ [128 - 24]byte // two cache lines each: the adjacent-line prefetcher shares pairs
}

func (l *shardedRW) init() {
	n := min(max(runtime.GOMAXPROCS(0), 1), maxLockShards)
	l.shards = make([]paddedRW, n)
	l.pick.New = func() any {
		i := int(l.next.Add(1) % uint32(n))
		return &i
	}
}

// rlock takes a read lock on one shard and returns it for runlock.
func (l *shardedRW) rlock() *int {
	i := l.pick.Get().(*int)
	l.shards[*i].RLock()
	return i
}

func (l *shardedRW) runlock(i *int) {
	l.shards[*i].RUnlock()
	l.pick.Put(i)
}

func (l *shardedRW) lock() {
	for i := range l.shards {
		l.shards[i].Lock()
	}
}

func (l *shardedRW) unlock() {
	for i := range l.shards {
		l.shards[i].Unlock()
	}
}
