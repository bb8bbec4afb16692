package bench

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
)

// BrowserChangesDefault is how many filter changes the browser step times
// (after one warm-up round of each kind).
const BrowserChangesDefault = 40

// The browser step's bounds: a change not drawn within
// browserChangeTimeout fails the step; the whole step may take
// browserStepTimeout.
const (
	browserChangeTimeout = 60 * time.Second
	browserStepTimeout   = 20 * time.Minute
)

// The targets of a filter change in the explorer, in milliseconds.
const (
	browserP50TargetMs = 150
	browserP99TargetMs = 400
)

// browserNames are the executables tried, Debian's first (the one
// scripts/browser.sh installs).
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"}

// changeKinds are the filter changes a user makes, in the order the step
// cycles through them: each cycle ends on the bare scope again.
var changeKinds = []string{"facet", "class", "q", "clear"}

// browserWords are the free-text searches typed into the q box; the seed
// names images, teams and services with them.
var browserWords = []string{qTerm, "redis", "payments", "gateway"}

// changeHelperJS defines window.benchChange in the explorer page: the
// page itself is not changed for the benchmark.
//
//go:embed browser_change.js
var changeHelperJS string

// BrowserFigures are the explorer page's timings: from a filter change
// (the click or submit, in the page) to the page fully drawn, the table
// and every visible facet count, measured with the Performance API.
type BrowserFigures struct {
	Browser string `json:"browser"`
	Changes int    `json:"changes"`
	Warmup  int    `json:"warmup_changes"`
	// Kinds counts the timed changes of each kind.
	Kinds map[string]int `json:"kinds"`
	Drawn Stats          `json:"change_to_drawn"`
	// Requests are the API requests the page made per change.
	RequestsMean float64 `json:"requests_per_change_mean"`
	RequestsMax  int     `json:"requests_per_change_max"`
}

// changeResult is what the page reports for one change.
type changeResult struct {
	Ms       float64 `json:"ms"`
	Requests int     `json:"requests"`
	Error    string  `json:"error"`
	Skipped  bool    `json:"skipped"`
}

// findBrowser returns the first headless browser lookPath finds, or an
// error that says how to install one.
func findBrowser(lookPath func(string) (string, error)) (string, error) {
	for _, n := range browserNames {
		if p, err := lookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on the PATH (tried %s): run scripts/browser.sh", strings.Join(browserNames, ", "))
}

// measureBrowser drives the explorer of the serve child in headless
// Chromium, signed in with the benchmark's token and scoped to its
// tenant, and times filter changes.
func (r *runner) measureBrowser(ctx context.Context) error {
	path, err := findBrowser(exec.LookPath)
	if err != nil {
		return err
	}
	changes := r.cfg.BrowserChanges
	if changes <= 0 {
		changes = BrowserChangesDefault
	}
	ctx, cancel := context.WithTimeout(ctx, browserStepTimeout)
	defer cancel()
	bctx, stop := newBrowserContext(ctx, path)
	defer stop()
	if err := r.openExplorer(bctx); err != nil {
		return err
	}
	fig, err := timeChanges(bctx, len(changeKinds), changes)
	if err != nil {
		return err
	}
	fig.Browser = path
	r.rep.Browser = fig
	return nil
}

// newBrowserContext starts headless Chromium with one tab.
func newBrowserContext(ctx context.Context, path string) (context.Context, context.CancelFunc) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-dev-shm-usage", true))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	return bctx, func() { cancelB(); cancelA() }
}

// openExplorer opens the explorer at the tenant, signs in with the
// token, waits for the first drawn view and installs the timing helper.
func (r *runner) openExplorer(ctx context.Context) error {
	token := strings.TrimPrefix(r.api.header.Get("Authorization"), "Token ")
	start := r.api.base + "/explorer/#kind=tenants&id=" + r.data.tenantID
	err := chromedp.Do(ctx,
		chromedp.Navigate(start),
		chromedp.WaitVisible("#token"),
		chromedp.SendKeys("#token", token),
		chromedp.Click("#signin-btn"),
		chromedp.Poll[chromedp.Void](`(window.explorerRenders || 0) > 0 && window.explorerDrawnHash === location.hash`,
			chromedp.WithPollingTimeout(browserChangeTimeout)),
		chromedp.Evaluate[chromedp.Void](changeHelperJS),
	)
	if err != nil {
		return fmt.Errorf("opening the explorer at %s and signing in: %w", start, err)
	}
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(e => e.hidden ? "" : e.textContent)(document.getElementById("error"))`))
	if err != nil {
		return fmt.Errorf("reading the explorer's error box: %w", err)
	}
	if msg != "" {
		return fmt.Errorf("the explorer shows an error after signing in: %s", msg)
	}
	return nil
}

// timeChanges makes warmup then n timed changes, cycling through
// changeKinds, and summarises the timed ones. A change the page cannot
// make (no value left to tick) is skipped and not counted.
func timeChanges(ctx context.Context, warmup, n int) (*BrowserFigures, error) {
	fig := &BrowserFigures{Warmup: warmup, Kinds: map[string]int{}}
	var samples []time.Duration
	var requests int
	for i, timed := 0, 0; timed < n; i++ {
		if i > 4*(warmup+n) {
			return nil, fmt.Errorf("the explorer could make only %d of %d changes", timed, n)
		}
		kind := changeKinds[i%len(changeKinds)]
		res, err := change(ctx, kind, i)
		if err != nil {
			return nil, err
		}
		if res.Skipped || i < warmup {
			continue
		}
		samples = append(samples, time.Duration(res.Ms*float64(time.Millisecond)))
		requests += res.Requests
		fig.RequestsMax = max(fig.RequestsMax, res.Requests)
		fig.Kinds[kind]++
		timed++
	}
	fig.Changes = len(samples)
	fig.Drawn = summarize("Chromium", samples)
	if fig.Changes > 0 {
		fig.RequestsMean = float64(requests) / float64(fig.Changes)
	}
	return fig, nil
}

// change makes one change in the page and waits until it is drawn.
func change(ctx context.Context, kind string, i int) (changeResult, error) {
	word := browserWords[(i/len(changeKinds))%len(browserWords)]
	js := fmt.Sprintf(`window.benchChange(%q, %d, %q, %d)`, kind, i, word, browserChangeTimeout.Milliseconds())
	ctx, cancel := context.WithTimeout(ctx, browserChangeTimeout+10*time.Second)
	defer cancel()
	res, err := chromedp.Run(ctx, chromedp.Evaluate[changeResult](js, chromedp.EvalAwaitPromise))
	if err != nil {
		return res, fmt.Errorf("change %d (%s) in the explorer: %w", i, kind, err)
	}
	if res.Error != "" {
		return res, fmt.Errorf("change %d (%s) in the explorer: %w", i, kind, errors.New(res.Error))
	}
	return res, nil
}

// targets are the browser step's goals.
func (b *BrowserFigures) targets() []Target {
	d := b.Drawn
	return []Target{
		{Name: "explorer: filter change to a drawn page, p50", Want: fmt.Sprintf("< %d ms", browserP50TargetMs),
			Got: fmt.Sprintf("%.0f ms (%d changes)", d.P50, d.N), Met: d.N > 0 && d.P50 < browserP50TargetMs},
		{Name: "explorer: filter change to a drawn page, p99", Want: fmt.Sprintf("< %d ms", browserP99TargetMs),
			Got: fmt.Sprintf("%.0f ms", d.P99), Met: d.N > 0 && d.P99 < browserP99TargetMs},
	}
}

// addRows adds the browser's lines to the report's table.
func (b *BrowserFigures) addRows(o *table) {
	d := b.Drawn
	o.add(fmt.Sprintf("explorer in Chromium: filter change to a drawn table and facets (%d changes: %s)", d.N, kindsText(b.Kinds)),
		fmt.Sprintf("p50 %s ms, p99 %s ms", msText(d.P50), msText(d.P99)))
	o.add("explorer: API requests per change", fmt.Sprintf("%.1f (max %d)", b.RequestsMean, b.RequestsMax))
}

// kindsText lists the counts per kind in changeKinds order.
func kindsText(kinds map[string]int) string {
	parts := make([]string, 0, len(kinds))
	for _, k := range changeKinds {
		if n := kinds[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	return strings.Join(parts, ", ")
}
