package simulate

import (
	"testing"
	"time"
)

// The pacer's rules on a clock of its own (no timers, so a busy machine
// cannot make it pass or fail): it starts without a burst, releases no
// more than the rate over any second, and catches up 100 ms of a timer
// that fired late at once.
func TestLimiterPaces(t *testing.T) {
	lim := NewLimiter(100)
	t0 := time.Now()
	if lim.AllowN(t0, 1) {
		t.Fatal("a token at the start: the run would begin with a burst")
	}
	// Over one second from the start, 100 go out, one every 10 ms.
	n := 0
	for at := t0; at.Before(t0.Add(time.Second)); at = at.Add(time.Millisecond) {
		for lim.AllowN(at, 1) {
			n++
		}
	}
	if n < 99 || n > 100 {
		t.Fatalf("%d released in the first second at 100/s", n)
	}
	// A timer 300 ms late: 10 (100 ms of tokens) go at once, no more.
	late := t0.Add(1300 * time.Millisecond)
	caught := 0
	for lim.AllowN(late, 1) {
		caught++
	}
	if caught != 10 {
		t.Fatalf("%d caught up after a late timer; want 10 (100 ms at 100/s)", caught)
	}
}
