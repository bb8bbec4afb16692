package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/store"
)

// startServices starts the API (serve) and the sync worker (sync) as child
// processes on the benchmark's database and index, and a token with
// tenant.edit on the benchmark's tenant.
func (r *runner) startServices(ctx context.Context) error {
	env := []string{
		"ASSETS_DATABASE_URL=" + r.cfg.DatabaseURL,
		"ASSETS_ELASTICSEARCH_URL=" + r.cfg.ElasticsearchURL,
		"ASSETS_INDEX=" + r.idx.Alias(),
		"ASSETS_LOG_LEVEL=info",
		// The benchmark measures the service's own cost, not its limits:
		// no rate limit, and room for the hundreds of searches it stores.
		"ASSETS_RATE_LIMIT=0",
		"ASSETS_MAX_SEARCHES_PER_TOKEN=100000",
		"ASSETS_MAX_SEARCHES_PER_TENANT=100000",
	}
	addr, err := harness.FreeLoopbackAddr()
	if err != nil {
		return err
	}
	logs := filepath.Join(r.cfg.OutDir, "logs")
	env = append(os.Environ(), env...)
	r.serve, err = harness.Start(harness.Spec{Name: "the API (serve)", Bin: r.cfg.Binary, Args: []string{"serve", "--addr", addr},
		Env: env, Log: filepath.Join(logs, "serve.log")})
	if err != nil {
		return err
	}
	r.syncw, err = harness.Start(harness.Spec{Name: "the sync worker (sync)", Bin: r.cfg.Binary, Args: []string{"sync"},
		Env: env, Log: filepath.Join(logs, "sync.log")})
	if err != nil {
		return err
	}
	base := "http://" + addr
	if err := harness.WaitReady(ctx, r.es.HTTP, r.serve, base+"/readyz", time.Minute); err != nil {
		return err
	}
	if r.syncw.Exited() {
		return fmt.Errorf("the sync worker exited (%v); see %s", r.syncw.Err(), r.syncw.LogPath)
	}
	token, err := store.CreateToken(ctx, r.pool, "assets bench "+r.rep.Date.Format(time.RFC3339),
		[]store.Grant{{Kind: store.ScopeTenant, ScopeID: r.data.tenantID, Permission: "tenant.edit"}})
	if err != nil {
		return fmt.Errorf("creating the benchmark's token: %w", err)
	}
	r.api = newAPIClient(base, r.data.tenantID, token)
	r.log.Info("bench: services running", "api", base, "api_pid", r.serve.Pid(),
		"worker_pid", r.syncw.Pid(), "logs", logs)
	return nil
}

// readMemory records the peak RSS of the two child processes.
func (r *runner) readMemory() {
	m := &Memory{}
	var err error
	if m.APIBytes, err = r.serve.PeakRSS(); err != nil {
		r.log.Warn("bench: reading the API's peak memory", "err", err)
	}
	if r.rep.Export != nil { // the export step reset the high-water mark
		m.APIBytes = max(m.APIBytes, r.rep.Export.ServePeakBefore)
	}
	if m.WorkerBytes, err = r.syncw.PeakRSS(); err != nil {
		r.log.Warn("bench: reading the worker's peak memory", "err", err)
	}
	r.rep.Memory = m
}

// stopServices stops the child processes this run started.
func (r *runner) stopServices() {
	for _, c := range []*harness.Child{r.serve, r.syncw} {
		if c == nil {
			continue
		}
		if err := c.Stop(30 * time.Second); err != nil {
			r.log.Warn("bench: stopping a child process", "err", err)
		}
	}
	r.serve, r.syncw = nil, nil
}

// describeServices records the server versions for the report; a failure
// only leaves them empty.
func (r *runner) describeServices(ctx context.Context) {
	if err := r.pool.QueryRow(ctx, `SELECT current_setting('server_version')`).Scan(&r.rep.Postgres); err != nil {
		r.log.Warn("bench: reading the PostgreSQL version", "err", err)
	}
	b, err := r.es.Do(ctx, "GET", "/_nodes/_local?filter_path=nodes.*.version", nil)
	if err != nil {
		r.log.Warn("bench: reading the Elasticsearch version", "err", err)
		return
	}
	var res struct {
		Nodes map[string]struct {
			Version string `json:"version"`
		} `json:"nodes"`
	}
	if json.Unmarshal(b, &res) == nil {
		for _, n := range res.Nodes {
			r.rep.Elasticsearch = n.Version
		}
	}
}
