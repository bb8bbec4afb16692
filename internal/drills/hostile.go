package drills

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openinventory/assets/api"
	hn "github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/store"
)

// The hostile-client drill's bounds: what the service must hold to under
// attack. The read load is a UI's: one list request at a time, paced.
const (
	hostileSearches     = 5000      // stored searches the attacker tries to create
	hostileJunk         = 1000      // requests with junk methods and paths
	hostileBurst        = 3000      // unauthenticated requests sent as fast as possible
	hostileWorkers      = 16        // the attacker's concurrent connections
	hostileMaxRSS       = 256 << 20 // bound on the API process's peak RSS
	hostileMaxSeries    = 2000      // bound on the /metrics series count
	hostileMaxPITs      = 200       // bound on the open points in time in Elasticsearch
	hostileP99Factor    = 3.0       // the good client's p99 under attack / quiet
	goodReadInterval    = 50 * time.Millisecond
	goodQuietDuration   = 10 * time.Second
	hostileMinAttack    = 15 * time.Second
	hostileMaxDuration  = 4 * time.Minute
	hostileFilterQTerms = 200
	// The API runs with these limits during the drill: the good client's
	// 20 reads/s stay under them, the attack goes past them.
	hostileRateLimit = "100"
	hostileRateBurst = "200"
)

// hostileClient attacks the API with what a hostile client can send
// (junk methods and paths, thousands of stored searches, a filter of 200
// q== clauses, deep facet pages, forged cursors, a burst past the rate
// limit) while a well-behaved client reads. It passes when nothing
// answered 5xx, the metrics series and the open points in time stayed
// under their bounds, the API's memory stayed under its bound, and the
// good client's p99 stayed within 3x of its quiet p99.
func hostileClient(ctx context.Context, h *harness) Result {
	r := Result{}
	tf := h.fx.tenants[0]
	if err := h.restartServe(ctx, "--rate-limit", hostileRateLimit, "--rate-burst", hostileRateBurst,
		"--max-searches-per-token", strconv.Itoa(api.MaxSearchesPerTokenDefault),
		"--max-searches-per-tenant", strconv.Itoa(api.MaxSearchesPerTenantDefault)); err != nil {
		return r.passIf(false, err.Error())
	}
	defer func() {
		if err := h.restartServe(context.WithoutCancel(ctx)); err != nil {
			h.log.Error("drills: restarting the API after the hostile-client drill", "err", err)
		}
	}()
	quiet, err := h.goodReads(ctx, tf, goodQuietDuration, nil)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	seriesBefore, err := h.metricsSeries(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	pitsBefore, err := h.openPITs(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	// The attacker is a customer of the same tenant with a token of its own.
	attacker := tf
	if attacker.token, err = store.CreateToken(ctx, h.pool, "drills-attacker", []store.Grant{{Kind: store.ScopeTenant, ScopeID: tf.id, Permission: "tenant.read"}}); err != nil {
		return r.passIf(false, err.Error())
	}
	actx, cancel := context.WithTimeout(ctx, hostileMaxDuration)
	defer cancel()
	var tally statusTally
	attackDone := make(chan struct{})
	go func() {
		defer close(attackDone)
		h.attack(actx, attacker, &tally)
	}()
	stop := make(chan struct{})
	go func() { <-attackDone; close(stop) }()
	loud, err := h.goodReads(ctx, tf, hostileMaxDuration, stop)
	<-attackDone
	if err != nil {
		return r.passIf(false, err.Error())
	}
	seriesAfter, err := h.metricsSeries(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	pits, err := h.openPITs(ctx)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	rss, err := h.serve.PeakRSS()
	if err != nil {
		return r.passIf(false, err.Error())
	}
	qp99, lp99 := percentile(quiet.latencies, 0.99), percentile(loud.latencies, 0.99)
	r.Measured = fmt.Sprintf("attack %s; good client p99 %s quiet, %s under attack (%d reads, %d not 200); metrics series %d -> %d; open PITs %d -> %d; serve peak RSS %d MiB",
		tally.String(), qp99.Round(100*time.Microsecond), lp99.Round(100*time.Microsecond), len(loud.latencies), loud.bad+quiet.bad,
		seriesBefore, seriesAfter, pitsBefore, pits, rss>>20)
	var problems []string
	if n := tally.count(func(s int) bool { return s >= 500 }); n > 0 {
		problems = append(problems, fmt.Sprintf("%d attack requests answered 5xx", n))
	}
	if tally.count(func(s int) bool { return s == http.StatusTooManyRequests }) == 0 {
		problems = append(problems, "no request was rate limited (429)")
	}
	if quiet.bad+loud.bad > 0 {
		first := quiet.firstBad
		if first == "" {
			first = loud.firstBad
		}
		problems = append(problems, fmt.Sprintf("%d good reads were not a 200 (the first: %s)", quiet.bad+loud.bad, first))
	}
	if seriesAfter > hostileMaxSeries {
		problems = append(problems, fmt.Sprintf("metrics series grew from %d to %d", seriesBefore, seriesAfter))
	}
	// One tenant attacks: its live searches, each with a point in time,
	// are capped whatever the attacker sends.
	if maxPITs := pitsBefore + api.MaxSearchesPerTenantDefault; pits > maxPITs {
		problems = append(problems, fmt.Sprintf("%d points in time open, bound %d (%d before + the tenant's cap)", pits, maxPITs, pitsBefore))
	}
	if rss > hostileMaxRSS {
		problems = append(problems, fmt.Sprintf("serve peak RSS %d MiB, bound %d MiB", rss>>20, hostileMaxRSS>>20))
	}
	if qp99 > 0 && float64(lp99) > hostileP99Factor*float64(qp99) {
		problems = append(problems, fmt.Sprintf("good client p99 %s under attack > %.0fx its quiet %s", lp99, hostileP99Factor, qp99))
	}
	return r.passIf(len(problems) == 0, strings.Join(problems, "; "))
}

// goodRun is what the well-behaved client saw.
type goodRun struct {
	latencies []time.Duration
	bad       int    // answers other than 200
	firstBad  string // what the first of them was, for the report
}

// badRead describes a good read that failed: the error, or the status and
// the start of the body.
func badRead(res response, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("%d %s", res.status, hn.Truncate(res.body, 200))
}

// goodReads lists the tenant's assets one request at a time, every
// goodReadInterval, for d or until stop closes.
func (h *harness) goodReads(ctx context.Context, tf tenantFixture, d time.Duration, stop <-chan struct{}) (goodRun, error) {
	var run goodRun
	path := "/rest/tenants/" + tf.id + "/inventory/assets?limit=20&sort=-updated_at&version=" + apiVersion
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		select {
		case <-stop:
			return run, nil
		case <-ctx.Done():
			return run, ctx.Err()
		default:
		}
		began := time.Now()
		res, err := h.request(ctx, http.MethodGet, path, tf.token, nil, nil)
		// A read that got no answer (the client's timeout) counts as bad,
		// with the time it waited.
		run.latencies = append(run.latencies, time.Since(began))
		if err != nil || res.status != http.StatusOK {
			if run.bad == 0 {
				run.firstBad = badRead(res, err)
			}
			run.bad++
		}
		hn.SleepCtx(ctx, goodReadInterval)
	}
	return run, nil
}

// statusTally counts the attack's answers by status (0: no answer).
type statusTally struct {
	mu     sync.Mutex
	counts map[int]int
}

func (t *statusTally) add(status int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[int]int{}
	}
	t.counts[status]++
}

func (t *statusTally) count(match func(int) bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for s, c := range t.counts {
		if match(s) {
			n += c
		}
	}
	return n
}

func (t *statusTally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return formatCounts(t.counts)
}

// attack sends the hostile requests from hostileWorkers connections, with
// a token of the tenant's own (the attacker is a customer) and without one.
func (h *harness) attack(ctx context.Context, tf tenantFixture, tally *statusTally) {
	jobs := make(chan hostileRequest)
	var wg sync.WaitGroup
	for range hostileWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				res, err := h.request(ctx, j.method, j.path, j.token, j.body, nil)
				if ctx.Err() != nil {
					continue
				}
				if err != nil {
					tally.add(0)
					continue
				}
				tally.add(res.status)
			}
		}()
	}
	defer wg.Wait()
	defer close(jobs)
	send := func(j hostileRequest) bool {
		select {
		case jobs <- j:
			return true
		case <-ctx.Done():
			return false
		}
	}
	// One round is over in a second or two once the limits answer 429;
	// the attack goes on for hostileMinAttack so that the good client's
	// p99 rests on a few hundred reads, not a dozen.
	start := time.Now()
	for round := 0; round == 0 || time.Since(start) < hostileMinAttack; round++ {
		for _, gen := range []func(tenantFixture, func(hostileRequest) bool){
			junkRequests, searchFlood, costlyFilters, deepFacets, forgedCursors, unauthenticatedBurst,
		} {
			gen(tf, send)
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// hostileRequest is one request of the attack.
type hostileRequest struct {
	method, path, token string
	body                []byte
}

func junkRequests(tf tenantFixture, send func(hostileRequest) bool) {
	for i := range hostileJunk {
		method := fmt.Sprintf("JUNK%04d", i)
		path := fmt.Sprintf("/rest/junk/%d/%x", i, i*7919)
		if i%2 == 0 {
			path = fmt.Sprintf("/rest/tenants/%s/inventory/assets/%d", tf.id, i)
		}
		if !send(hostileRequest{method: method, path: path, token: tf.token}) {
			return
		}
	}
}

func searchFlood(tf tenantFixture, send func(hostileRequest) bool) {
	body := []byte(`{"data":{"type":"searches","attributes":{"filter":"q==a","limit":100}}}`)
	for range hostileSearches {
		if !send(hostileRequest{method: http.MethodPost, path: "/rest/tenants/" + tf.id + "/inventory/assets/searches", token: tf.token, body: body}) {
			return
		}
	}
}

func costlyFilters(tf tenantFixture, send func(hostileRequest) bool) {
	terms := make([]string, hostileFilterQTerms)
	for i := range terms {
		terms[i] = fmt.Sprintf("q==%c", 'a'+i%26)
	}
	q := url.Values{"filter": {strings.Join(terms, ",")}, "limit": {"100"}}
	for range 50 {
		if !send(hostileRequest{method: http.MethodGet, path: "/rest/tenants/" + tf.id + "/inventory/assets?" + q.Encode(), token: tf.token}) {
			return
		}
	}
}

func deepFacets(tf tenantFixture, send func(hostileRequest) bool) {
	groupField, _, err := catalogueIDs("name")
	if err != nil {
		return
	}
	for _, sort := range []string{"-count", "-risk_score", "-issues", "value"} {
		q := url.Values{"sort": {sort}, "limit": {"100"}, "meta_fields": {"all"}}
		for range 20 {
			if !send(hostileRequest{method: http.MethodGet, path: "/rest/tenants/" + tf.id + "/inventory/assets/groups/" + groupField + "/values?" + q.Encode(), token: tf.token}) {
				return
			}
		}
	}
}

func forgedCursors(tf tenantFixture, send func(hostileRequest) bool) {
	forged := []string{
		`{"s":["x","y","z"],"i":"00000000-0000-0000-0000-000000000000","q":"0"}`,
		`{"s":[{"$gt":1}],"i":1}`,
		`{"s":[1e308,-1e308,"2024-13-45"],"i":"a"}`,
		`{"s":[],"i":""}`,
	}
	for i := range 200 {
		c := "v1." + base64.RawURLEncoding.EncodeToString([]byte(forged[i%len(forged)]))
		q := url.Values{"starting_after": {c}, "sort": {"-risk_score"}}
		if !send(hostileRequest{method: http.MethodGet, path: "/rest/tenants/" + tf.id + "/inventory/assets?" + q.Encode(), token: tf.token}) {
			return
		}
	}
}

// unauthenticatedBurst sends requests without a token as fast as the
// connections allow: past the per-address limit they must be 429s.
func unauthenticatedBurst(tf tenantFixture, send func(hostileRequest) bool) {
	for range hostileBurst {
		if !send(hostileRequest{method: http.MethodGet, path: "/rest/tenants/" + tf.id + "/inventory/assets"}) {
			return
		}
	}
}

// metricsSeries counts the series /metrics exposes.
func (h *harness) metricsSeries(ctx context.Context) (int, error) {
	status, _, body, err := hn.Request(ctx, h.client, http.MethodGet, h.api+"/metrics", nil, nil)
	if err != nil {
		return 0, fmt.Errorf("reading /metrics: %w", err)
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("reading /metrics: %d", status)
	}
	n := 0
	for _, line := range strings.Split(string(body), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n, nil
}

// openPITs is the number of open search contexts (points in time and
// scrolls) across the cluster's nodes.
func (h *harness) openPITs(ctx context.Context) (int64, error) {
	var stats struct {
		Nodes map[string]struct {
			Indices struct {
				Search struct {
					OpenContexts int64 `json:"open_contexts"`
				} `json:"search"`
			} `json:"indices"`
		} `json:"nodes"`
	}
	raw, err := h.es.Do(ctx, http.MethodGet, "/_nodes/stats/indices/search", nil)
	if err != nil {
		return 0, fmt.Errorf("reading the open search contexts: %w", err)
	}
	if err := json.Unmarshal(raw, &stats); err != nil {
		return 0, fmt.Errorf("reading the open search contexts: %w", err)
	}
	var n int64
	for _, node := range stats.Nodes {
		n += node.Indices.Search.OpenContexts
	}
	return n, nil
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}
