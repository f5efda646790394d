package stream

import (
	"context"
	"sync"
)

// Ordered runs f over the values of in on workers goroutines and hands the
// results to out in input order, on the caller's goroutine. At most window
// values are between being taken from in and being handed to out, so memory
// stays bounded however long in is. With one worker, f sees the values
// strictly one after another in input order. When ctx ends, Ordered stops
// taking values (the sender on in must watch ctx too) and returns after the
// values in flight are done; their results are dropped.
func Ordered[T, R any](ctx context.Context, workers, window int, in <-chan T, f func(T) R, out func(R)) {
	if workers < 1 {
		workers = 1
	}
	if window < workers {
		window = workers
	}
	type job struct {
		seq int
		v   T
	}
	type result struct {
		seq int
		r   R
	}
	jobs := make(chan job)
	results := make(chan result, window)
	sem := make(chan struct{}, window)
	go func() {
		defer close(jobs)
		seq := 0
		for {
			select {
			case <-ctx.Done():
				return
			case sem <- struct{}{}:
			}
			select {
			case <-ctx.Done():
				return
			case v, ok := <-in:
				if !ok {
					return
				}
				select {
				case jobs <- job{seq, v}:
					seq++
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				results <- result{j.seq, f(j.v)}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	pending := make(map[int]R, window)
	next := 0
	for res := range results {
		if ctx.Err() != nil {
			continue // drain
		}
		pending[res.seq] = res.r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			out(r)
			<-sem
		}
	}
}
