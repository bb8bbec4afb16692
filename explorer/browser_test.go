package explorer_test

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// browserNames are the executables tried, Debian's first (scripts/browser.sh
// installs it).
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"}

// browser is a headless Chromium tab driven by chromedp, which records every
// request the page makes to a host other than the server's.
type browser struct {
	ctx     context.Context
	mu      gosync.Mutex
	foreign []string
}

// newBrowser starts Chromium. A missing Chromium fails the test under
// CI=true, and skips it elsewhere.
func newBrowser(t *testing.T, serverURL string) *browser {
	t.Helper()
	var path string
	for _, n := range browserNames {
		if p, err := exec.LookPath(n); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("no chromium on the PATH; run scripts/browser.sh")
		}
		t.Skip("no chromium on the PATH; run scripts/browser.sh to install it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{ctx: ctx}
	own, err := url.Parse(serverURL)
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok && e.Request != nil {
			if u, err := url.Parse(e.Request.URL); err == nil && u.Host != own.Host && u.Scheme != "data" {
				b.mu.Lock()
				b.foreign = append(b.foreign, e.Request.URL)
				b.mu.Unlock()
			}
		}
	})
	if err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("watching the network: %v", err)
	}
	return b
}

// run runs steps, failing the test with what was being done.
func (b *browser) run(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression (awaiting a promise) in the page.
func eval[T any](t *testing.T, b *browser, js string) T {
	t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", js, err)
	}
	return v
}

// renders is how many views the page has drawn.
func (b *browser) renders(t *testing.T) int {
	t.Helper()
	return eval[int](t, b, "window.explorerRenders || 0")
}

// drawn runs steps, then waits until the page has drawn a view after them,
// of the URL they led to (a redraw of the view before, still in flight when
// they ran, does not count).
func (b *browser) drawn(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	before := b.renders(t)
	b.run(t, what, steps...)
	b.waitFor(t, what, "(window.explorerRenders || 0) > "+strconv.Itoa(before)+" && window.explorerDrawnHash === location.hash")
}

// waitFor waits until a JavaScript predicate holds in the page.
func (b *browser) waitFor(t *testing.T, what, predicate string) {
	t.Helper()
	b.run(t, what+": waiting for "+predicate, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(30*time.Second)))
}

func (b *browser) foreignRequests() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.foreign...)
}
