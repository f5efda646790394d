package inspect

// Driving a headless Chromium in tests, with chromedp.

import (
	"context"
	"encoding/json"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// browser is a headless Chromium with one page, and what counted as an
// error on it (console errors, exceptions, failed loads).
type browser struct {
	t   *testing.T
	ctx context.Context

	mu     sync.Mutex
	errors []string
	added  chan struct{} // a token when an error was added
}

// findChromium returns the browser's path, or "" when none is installed.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// callTimeout bounds every action on the page, so that a browser that
// hangs fails the test rather than stalls it.
const callTimeout = 15 * time.Second

// startBrowser runs Chromium headless on a fresh profile (chromedp's own,
// removed with the browser when the test ends) and opens its page.
func startBrowser(t *testing.T, path string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.WindowSize(1280, 800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx, added: make(chan struct{}, 1)}
	// The first action starts the browser, bound to ctx (no deadline: a
	// deadline there would close the browser when it ends); it runs
	// under a deadline all the same.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("chromium did not start: %v", err)
		}
	case <-time.After(callTimeout):
		t.Fatalf("chromium did not start in %s", callTimeout)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return // the page is gone: the test has ended
			}
			if m.IsException() || m.Type == chromedp.ConsoleError {
				b.mu.Lock()
				b.errors = append(b.errors, string(m.Type)+": "+m.String()+" "+m.URL)
				b.mu.Unlock()
				select {
				case b.added <- struct{}{}:
				default:
				}
			}
		}
	}()
	return b
}

// do runs actions on the page, within callTimeout.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, callTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v; errors on the page: %v", what, err, b.pageErrors())
	}
}

// navigate opens url on the page.
func (b *browser) navigate(url string) {
	b.t.Helper()
	b.do("navigate to "+url, chromedp.Navigate(url))
}

// keys types keys (chromedp's key names: "j", "\r" for Enter) into the
// element that has the focus.
func (b *browser) keys(keys string) {
	b.t.Helper()
	b.do("keys "+keys, chromedp.KeyEvent(keys))
}

// eval evaluates a JavaScript expression (awaiting a promise) and decodes
// its value into out (nil: ignore it).
func (b *browser) eval(expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, callTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			b.t.Fatalf("%s: %v (%s)", expr, err, raw)
		}
	}
}

// waitFor waits, up to 8 s, for a JavaScript condition to be true.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, callTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void]("Boolean("+expr+")", chromedp.WithPollingTimeout(8*time.Second))); err != nil {
		b.t.Fatalf("the page never showed %s (%s): %v; errors on the page: %v", what, expr, err, b.pageErrors())
	}
}

func (b *browser) pageErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// waitErrors waits, up to callTimeout, until the page's errors satisfy ok.
func (b *browser) waitErrors(ok func([]string) bool) {
	b.t.Helper()
	deadline := time.NewTimer(callTimeout)
	defer deadline.Stop()
	for !ok(b.pageErrors()) {
		select {
		case <-b.added:
		case <-deadline.C:
			b.t.Fatalf("the page's errors: %q", b.pageErrors())
		}
	}
}
