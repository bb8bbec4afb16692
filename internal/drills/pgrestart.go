package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// readRate and readWorkers shape the read load of the PostgreSQL drill.
const (
	readRate    = 50
	readWorkers = 4
)

// outcome is one read of the read load.
type outcome struct {
	at      time.Time     // when the answer came
	elapsed time.Duration // how long it took
	status  int           // 0: no answer
	bad     string        // why the answer breaks the contract, if it does
}

// pgRestart stops PostgreSQL for cfg.PGOutage and starts it again while
// lists are read through the API: every answer must be a 200 or a 503
// JSON:API error document that says nothing of the internals, none may
// hang, and the API must recover by itself.
func pgRestart(ctx context.Context, h *harness) Result {
	cfg := h.cfg
	tf := h.fx.tenants[0]
	lctx, cancel := context.WithTimeout(ctx, cfg.PGOutage+5*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var outcomes []outcome
	var wg sync.WaitGroup
	p := newPacer(time.Now(), readRate, int64((cfg.PGOutage+5*time.Minute).Seconds())*readRate)
	paths := []string{
		"/rest/tenants/" + tf.id + "/inventory/assets?limit=10",
		"/rest/groups/" + tf.groupID + "/inventory/assets?limit=10&sort=-updated_at",
		"/rest/orgs/" + tf.orgID + "/inventory/assets/" + tf.orgAsset,
	}
	for range readWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, due, ok := p.slot()
				if !ok || !hn.SleepCtx(lctx, time.Until(due)) {
					return
				}
				res, err := h.request(lctx, http.MethodGet, paths[i%int64(len(paths))], tf.token, nil, nil)
				if lctx.Err() != nil {
					return
				}
				o := outcome{at: time.Now(), elapsed: res.elapsed, status: res.status}
				switch {
				case err != nil:
					o.bad = "no answer: " + err.Error()
				case res.status != http.StatusOK:
					if cerr := checkErrorDocument(res.status, res.header.Get("Content-Type"), res.body, http.StatusServiceUnavailable); cerr != nil {
						o.bad = cerr.Error()
					}
				}
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
			}
		}()
	}
	stopReads := func() []outcome {
		cancel()
		wg.Wait()
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(outcomes)
	}

	r := Result{}
	hn.SleepCtx(ctx, 3*time.Second)
	if err := h.services(ctx, "stop", "postgres"); err != nil {
		stopReads()
		return r.passIf(false, err.Error())
	}
	stopped := time.Now()
	hn.SleepCtx(ctx, cfg.PGOutage)
	startErr := h.services(ctx, "start", "postgres")
	back := time.Now()
	if startErr != nil {
		stopReads()
		return r.passIf(false, startErr.Error())
	}
	// Read on until the API has answered 200 for two seconds in a row, or
	// give up after a minute.
	recovered := waitRecovered(ctx, &mu, &outcomes, back, 2*time.Second, time.Minute)
	all := stopReads()

	counts := map[int]int{}
	var bad []string
	during := 0
	var slowest time.Duration
	for _, o := range all {
		counts[o.status]++
		slowest = max(slowest, o.elapsed)
		if o.bad != "" {
			bad = append(bad, o.bad)
		}
		if o.status == http.StatusServiceUnavailable && !o.at.Before(stopped.Add(-5*time.Second)) {
			during++
		}
	}
	recovery := "not recovered within 1m"
	if !recovered.IsZero() {
		recovery = fmt.Sprintf("200s again %s after it was back", max(recovered.Sub(back), 0).Round(100*time.Millisecond))
	}
	r.Measured = fmt.Sprintf("PostgreSQL down %s under %d reads/s: %s, slowest %s; %s",
		back.Sub(stopped).Round(100*time.Millisecond), readRate, formatCounts(counts), slowest.Round(time.Millisecond), recovery)
	rep, err := h.verify(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	r.Measured += "; " + rep.String()
	switch {
	case len(bad) > 0:
		return r.passIf(false, fmt.Sprintf("%d answers broke the contract: %s", len(bad), tally(bad)))
	case during == 0:
		return r.passIf(false, "no 503 was seen while PostgreSQL was down")
	case recovered.IsZero():
		return r.passIf(false, "the API did not answer 200 again within a minute")
	}
	return r.passIf(rep.ok(), "PostgreSQL and Elasticsearch drifted")
}

// waitRecovered waits until every outcome in the last window after since
// was a 200, and returns when that run of 200s began (zero on timeout).
func waitRecovered(ctx context.Context, mu *sync.Mutex, outcomes *[]outcome, since time.Time, window, timeout time.Duration) time.Time {
	deadline := since.Add(timeout)
	for time.Now().Before(deadline) {
		if !hn.SleepCtx(ctx, 250*time.Millisecond) {
			return time.Time{}
		}
		mu.Lock()
		start := recoveredSince(*outcomes, since)
		mu.Unlock()
		if !start.IsZero() && time.Since(start) >= window {
			return start
		}
	}
	return time.Time{}
}

// recoveredSince returns the time of the first answer of the final run of
// 200s that came after since, or zero when the last answer is not a 200.
func recoveredSince(outcomes []outcome, since time.Time) time.Time {
	var start time.Time
	for _, o := range outcomes {
		if o.at.Before(since) {
			continue
		}
		if o.status != http.StatusOK {
			start = time.Time{}
			continue
		}
		if start.IsZero() {
			start = o.at
		}
	}
	return start
}

// internals are strings an error document must never show: driver and
// server messages, addresses, Go errors and stacks.
var internals = []string{"pgx", "pgconn", "sqlstate", "dial tcp", "connection refused", "127.0.0.1",
	"goroutine", ".go:", "panic", "runtime error", "context deadline", "failed to connect"}

// checkErrorDocument checks that a response is a JSON:API error document
// with the wanted status that shows nothing of the internals. Its messages
// leave out the request id, so that equal problems read the same.
func checkErrorDocument(status int, contentType string, body []byte, want int) error {
	var doc struct {
		JSONAPI struct {
			Version string `json:"version"`
		} `json:"jsonapi"`
		Errors []struct {
			Status string `json:"status"`
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	jerr := json.Unmarshal(body, &doc)
	if jerr != nil || doc.JSONAPI.Version != "1.0" || len(doc.Errors) == 0 {
		return fmt.Errorf("status %d, not a JSON:API error document: %s", status, hn.Truncate(body, 200))
	}
	if status != want {
		return fmt.Errorf("status %d (want %d), detail %q", status, want, doc.Errors[0].Detail)
	}
	if mt, _, err := mime.ParseMediaType(contentType); err != nil || mt != "application/vnd.api+json" {
		return fmt.Errorf("status %d with content type %q, not application/vnd.api+json", status, contentType)
	}
	if doc.Errors[0].Status != strconv.Itoa(want) {
		return fmt.Errorf("status %d but errors[0].status %q", status, doc.Errors[0].Status)
	}
	lower := strings.ToLower(string(body))
	for _, s := range internals {
		if strings.Contains(lower, s) {
			return fmt.Errorf("status %d shows internals (%q): detail %q", status, s, doc.Errors[0].Detail)
		}
	}
	return nil
}

// tally renders problems with their counts, most frequent first:
// "266x status 500 (want 503) | 2x ...".
func tally(problems []string) string {
	counts := map[string]int{}
	for _, p := range problems {
		counts[p]++
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := counts[b] - counts[a]; c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%dx %s", counts[k], k)
	}
	return strings.Join(firstN(parts, 3), " | ")
}

// formatCounts renders status counts as "200=812 503=61", by status; 0 is
// "no answer".
func formatCounts(counts map[int]int) string {
	keys := make([]int, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		name := strconv.Itoa(k)
		if k == 0 {
			name = "no-answer"
		}
		parts[i] = fmt.Sprintf("%s=%d", name, counts[k])
	}
	return strings.Join(parts, " ")
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func firstN(s []string, n int) []string { return s[:min(n, len(s))] }
