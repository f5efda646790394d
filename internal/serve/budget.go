package serve

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// DefaultMaxInFlight is the default bound on the bytes of request bodies
// the receiver holds at once (Config.MaxInFlight).
const DefaultMaxInFlight = 64 << 20

// budget bounds the bytes of request bodies in flight. A request takes its
// share before its body is read and gives it back once it has been recorded
// and answered; while the budget is spent, requests wait their turn, first
// come first served. Nothing is dropped: a waiting request goes on as soon
// as the requests before it are done (or ends if its client goes away).
type budget struct {
	mu      sync.Mutex
	max     int64
	used    int64
	waiting []*waiter
}

type waiter struct {
	n     int64
	ready chan struct{}
}

// share is what a request takes from the budget: its Content-Length, or
// maxBody when the length is unknown (chunked), at most the whole budget.
func (b *budget) share(r *http.Request, maxBody int64) int64 {
	if r.Method != http.MethodPost || r.ContentLength == 0 {
		return 0
	}
	n := maxBody
	if r.ContentLength > 0 && r.ContentLength < maxBody {
		n = r.ContentLength
	}
	return min(n, b.max)
}

// acquire takes n bytes (n at most max), waiting while they are not there.
// It reports whether it had to wait, and false in ok when ctx ended first
// (nothing is then taken).
func (b *budget) acquire(ctx context.Context, n int64) (waited, ok bool) {
	b.mu.Lock()
	if len(b.waiting) == 0 && b.used+n <= b.max {
		b.used += n
		b.mu.Unlock()
		return false, true
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiting = append(b.waiting, w)
	b.mu.Unlock()
	select {
	case <-w.ready:
		return true, true
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready: // granted meanwhile: give it back
		b.used -= n
	default:
		for i, x := range b.waiting {
			if x == w {
				b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
				break
			}
		}
	}
	b.grant()
	return true, false
}

// tryAcquire takes n bytes if they are there and nobody waits, without
// waiting; it reports whether it took them.
func (b *budget) tryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.waiting) == 0 && b.used+n <= b.max {
		b.used += n
		return true
	}
	return false
}

// release gives n bytes back and lets waiting requests in, in order.
func (b *budget) release(n int64) {
	b.mu.Lock()
	b.used -= n
	b.grant()
	b.mu.Unlock()
}

// grant lets in the waiting requests that fit, in order. Called with the
// lock held.
func (b *budget) grant() {
	for len(b.waiting) > 0 && b.used+b.waiting[0].n <= b.max {
		w := b.waiting[0]
		b.waiting[0] = nil
		b.waiting = b.waiting[1:]
		b.used += w.n
		close(w.ready)
	}
}

// admit takes r's share of the budget before its body is read and returns
// it, for the caller to give back once r is answered; ok is false when the
// client went away while r waited. A request that waited gets fresh read
// and write deadlines: the time it waited is not counted against its
// client.
func (h *Handler) admit(w http.ResponseWriter, r *http.Request) (share int64, ok bool) {
	n := h.budget.share(r, h.cfg.MaxBody)
	if n == 0 {
		return 0, true
	}
	waited, ok := h.budget.acquire(r.Context(), n)
	if !ok {
		return 0, false
	}
	if waited {
		rc := http.NewResponseController(w)
		now := time.Now()
		if h.readTimeout > 0 {
			_ = rc.SetReadDeadline(now.Add(h.readTimeout))
		}
		if h.writeTimeout > 0 {
			_ = rc.SetWriteDeadline(now.Add(h.writeTimeout))
		}
	}
	return n, true
}

// MemoryLimit is the soft memory limit (runtime/debug.SetMemoryLimit) that
// suits a receiver holding at most maxInFlight bytes of bodies: each body
// is held with its record and the batch the record goes out in, about three
// times its size, plus room for the rest of the process.
func MemoryLimit(maxInFlight int64) int64 {
	return 4*maxInFlight + 128<<20
}
