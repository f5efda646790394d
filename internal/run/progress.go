package run

import (
	"fmt"
	"io"
	"time"
)

// ShowProgress draws a live line on w (a terminal) every quarter second:
// exchanges so far (of Total when known), the rate, failures and the time
// spent. The returned func clears the line and stops.
func ShowProgress(w io.Writer, p *Progress) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				fmt.Fprint(w, "\r\033[K")
				return
			case <-t.C:
				n := p.Sent.Load()
				el := time.Since(start)
				total := ""
				if p.Total > 0 {
					total = fmt.Sprintf("/%d", p.Total)
				}
				fmt.Fprintf(w, "\r\033[K%d%s sent, %.0f/s, %d failed, %s", n, total, float64(n)/el.Seconds(), p.Failed.Load(), el.Round(time.Second))
			}
		}
	}()
	return func() { close(done); <-finished }
}
