package bench

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/harness"
)

// ConcurrencyClientsDefault is how many clients the closed loops run at
// once (Config.Clients): enough to keep two cores and the services' pools
// busy, as a small production fleet would.
const ConcurrencyClientsDefault = 16

// concurrencySlices: each side's time is cut in two, run as API, ES, ES,
// API, so that drift in the machine's load falls on both sides alike.
const concurrencySlices = 2

// ConcurrencyRun is one question asked by many clients at once, through
// the API and straight of Elasticsearch.
type ConcurrencyRun struct {
	Name          string   `json:"name"`
	Request       string   `json:"request"`
	Clients       int      `json:"clients"`
	API           LoopSide `json:"api"`
	Elasticsearch LoopSide `json:"elasticsearch"`
	// Ratio is the API's requests per second over Elasticsearch's.
	Ratio float64 `json:"api_to_elasticsearch"`
}

// LoopSide is what one side of a closed loop did.
type LoopSide struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors,omitempty"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"requests_per_second"`
	FirstError string  `json:"first_error,omitempty"`
	// ServeCPU is the API process's processor time, CPU the services'
	// (Elasticsearch, PostgreSQL backends, the bench process), in seconds.
	ServeCPU float64 `json:"serve_cpu_seconds"`
	CPU      CPU     `json:"cpu_seconds"`
}

// add sums two slices of the same side.
func (s LoopSide) add(o LoopSide) LoopSide {
	out := LoopSide{Requests: s.Requests + o.Requests, Errors: s.Errors + o.Errors, Seconds: s.Seconds + o.Seconds,
		ServeCPU: s.ServeCPU + o.ServeCPU, FirstError: s.FirstError,
		CPU: CPU{Elasticsearch: s.CPU.Elasticsearch + o.CPU.Elasticsearch, Postgres: s.CPU.Postgres + o.CPU.Postgres, Bench: s.CPU.Bench + o.CPU.Bench}}
	if out.FirstError == "" {
		out.FirstError = o.FirstError
	}
	if out.Seconds > 0 {
		out.PerSecond = float64(out.Requests) / out.Seconds
	}
	return out
}

// closedLoop runs clients goroutines that each send do back to back until
// d has passed: the throughput a fixed population of clients gets. A
// request under way at the end is let finish and counted, and the time is
// until the last one finished, so slow requests are not cut off uncounted.
// A failed request is counted apart; the loop goes on.
func closedLoop(ctx context.Context, clients int, d time.Duration, do func(context.Context) error) (LoopSide, error) {
	var ok, failed atomic.Int64
	var first atomic.Value
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				if err := do(ctx); err != nil {
					failed.Add(1)
					first.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return LoopSide{}, err
	}
	s := LoopSide{Requests: int(ok.Load()), Errors: int(failed.Load()), Seconds: time.Since(start).Seconds()}
	if f, _ := first.Load().(string); f != "" {
		s.FirstError = f
	}
	if s.Seconds > 0 {
		s.PerSecond = float64(s.Requests) / s.Seconds
	}
	return s, nil
}

// alternate runs the slices of a and b, concurrencySlices of each, ordered
// a b b a ..., and returns each side's sum.
func alternate(ctx context.Context, a, b func(context.Context) (LoopSide, error)) (LoopSide, LoopSide, error) {
	var sa, sb LoopSide
	for i := range concurrencySlices {
		order := []*LoopSide{&sa, &sb}
		runs := []func(context.Context) (LoopSide, error){a, b}
		if i%2 == 1 {
			order[0], order[1], runs[0], runs[1] = order[1], order[0], runs[1], runs[0]
		}
		for k, run := range runs {
			s, err := run(ctx)
			if err != nil {
				return sa, sb, err
			}
			*order[k] = order[k].add(s)
		}
	}
	return sa, sb, nil
}

// measureConcurrency runs the list query and a group values query (those
// of the list and group values rows) by Config.Clients clients at once,
// through the API and straight of Elasticsearch, for Config.Duration each.
func (r *runner) measureConcurrency(ctx context.Context) error {
	clients := r.cfg.Clients
	if clients <= 0 {
		clients = ConcurrencyClientsDefault
	}
	hc := harness.NewHTTPClient(2*time.Minute, clients)
	api := *r.api
	api.http = hc
	es := harness.NewES(hc, r.cfg.ElasticsearchURL)
	queries, err := r.concurrencyQueries(&api, es)
	if err != nil {
		return err
	}
	for _, q := range queries {
		side := func(do func(context.Context) error) func(context.Context) (LoopSide, error) {
			return func(ctx context.Context) (LoopSide, error) {
				return r.loopWithCPU(ctx, clients, r.cfg.Duration/concurrencySlices, do)
			}
		}
		a, e, err := alternate(ctx, side(q.api), side(q.es))
		if err != nil {
			return err
		}
		run := ConcurrencyRun{Name: q.name, Request: q.request, Clients: clients, API: a, Elasticsearch: e, Ratio: ratio(a.PerSecond, e.PerSecond)}
		r.rep.Concurrency = append(r.rep.Concurrency, run)
		r.log.Info("bench: under concurrency", "query", q.name, "clients", clients,
			"api_per_second", int(a.PerSecond), "es_per_second", int(e.PerSecond), "ratio", fmt.Sprintf("%.2f", run.Ratio))
	}
	return nil
}

// concurrentQuery is one question with its two ways of asking it.
type concurrentQuery struct {
	name, request string
	api, es       func(context.Context) error
}

// concurrencyQueries are the list row's query and the first group values
// row's, each as the API request and the direct one.
func (r *runner) concurrencyQueries(api *apiClient, es *harness.ES) ([]concurrentQuery, error) {
	listURL := api.url("", url.Values{"filter": {listFilter}, "sort": {listSort}, "limit": {strconv.Itoa(listLimit)}})
	req, err := r.searchRequest(listFilter, listSort, listLimit)
	if err != nil {
		return nil, err
	}
	path, body, err := r.directSearch(req)
	if err != nil {
		return nil, err
	}
	row := facetRows()[0]
	g, ok := index.NewCatalogue().GroupByName(row.field)
	if !ok {
		return nil, fmt.Errorf("no group field %s", row.field)
	}
	groupURL := api.url("/groups/"+g.ID+"/values", row.query())
	gpath, gbody, err := r.facetDirect(row)
	if err != nil {
		return nil, err
	}
	get := func(u string) func(context.Context) error {
		return func(ctx context.Context) error { _, err := api.get(ctx, u); return err }
	}
	return []concurrentQuery{
		{name: "list: 3-clause filter, sort, limit 100", request: "GET .../inventory/assets?filter=" + listFilter,
			api: get(listURL), es: func(ctx context.Context) error { _, err := es.Do(ctx, "POST", path, body); return err }},
		{name: row.name(), request: "GET .../inventory/assets/groups/{" + row.field + "}/values?" + row.query().Encode(),
			api: get(groupURL), es: func(ctx context.Context) error { _, err := es.Do(ctx, "POST", gpath, gbody); return err }},
	}, nil
}

// loopWithCPU is closedLoop with the processor time the API process and
// the services spent during it.
func (r *runner) loopWithCPU(ctx context.Context, clients int, d time.Duration, do func(context.Context) error) (LoopSide, error) {
	before, serveBefore := r.cpuNow(ctx), r.serveSeconds()
	s, err := closedLoop(ctx, clients, d, do)
	if err != nil {
		return s, err
	}
	s.CPU = r.cpuNow(ctx).sub(before)
	s.ServeCPU = r.serveSeconds() - serveBefore
	return s, nil
}

// serveSeconds is the API process's processor time so far; 0 when it
// cannot be read.
func (r *runner) serveSeconds() float64 {
	if r.serve == nil {
		return 0
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(r.serve.Pid()) + "/stat")
	if err != nil {
		return 0
	}
	return float64(statTicks(string(stat))) / clockTicks
}

// concurrencyRows adds the closed loops to the report's second table.
func (r *Report) concurrencyRows(t *table) {
	for _, c := range r.Concurrency {
		side := func(s LoopSide) string {
			out := fmt.Sprintf("%s req/s (%d in %.0f s", rateText(s.PerSecond), s.Requests, s.Seconds)
			if s.Errors > 0 {
				out += fmt.Sprintf(", %d failed", s.Errors)
			}
			return out + fmt.Sprintf("; CPU s serve %.1f, Elasticsearch %.1f, PostgreSQL %.1f)", s.ServeCPU, s.CPU.Elasticsearch, s.CPU.Postgres)
		}
		t.add(fmt.Sprintf("%s, %d clients at once: API", c.Name, c.Clients), side(c.API))
		t.add(fmt.Sprintf("%s, %d clients at once: Elasticsearch direct", c.Name, c.Clients), side(c.Elasticsearch))
		t.add(fmt.Sprintf("%s, %d clients at once: API / Elasticsearch req/s", c.Name, c.Clients), fmt.Sprintf("%.2fx", c.Ratio))
	}
}

// concurrencyTargets: under concurrency the API keeps at least 0.8x the
// throughput of Elasticsearch asked directly.
func (r *Report) concurrencyTargets() []Target {
	var out []Target
	for _, c := range r.Concurrency {
		out = append(out, Target{Name: fmt.Sprintf("%s, %d clients: API / direct Elasticsearch req/s", c.Name, c.Clients),
			Want: ">= 0.80x", Got: fmt.Sprintf("%.2fx", c.Ratio), Met: c.Ratio >= 0.8})
	}
	return out
}
