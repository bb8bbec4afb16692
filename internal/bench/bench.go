// Package bench is the benchmark behind `assets bench` (make bench). It
// seeds (or reuses) a reproducible data set in a database of its own,
// indexes it under an index prefix of its own, runs the API and the sync
// worker as child processes, and measures side by side, in one run: each
// API read next to the same question asked straight of Elasticsearch or
// PostgreSQL, bulk updates, sync lag, reindex throughput next to raw
// _bulk, and the peak memory of the two processes. Sides of a comparison
// are interleaved request by request, so that noise from other work on
// the machine falls on both alike; compare ratios, not absolute numbers.
// Record then sets the run beside the previous committed one (docs/bench):
// a ratio worse by more than 10% is a regression, a p50 latency a note;
// Chart draws the latencies side by side as SVG.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/harness"
)

// Config is what Run needs. Pool and Index must point at the benchmark's
// own database and index prefix, never the development data.
type Config struct {
	Pool        *pgxpool.Pool
	Index       *index.Client
	DatabaseURL string // the URL of Pool, for the child processes
	// ElasticsearchURL is where the direct requests go (one address).
	ElasticsearchURL string
	// Binary is the assets executable whose serve and sync subcommands
	// run as child processes.
	Binary string
	Logger *slog.Logger

	Assets int   // assets to seed (1,000,000 for the published numbers)
	Seed   int64 // seed of the data set

	// Every measurement loop stops after Requests rounds or Duration,
	// whichever comes first.
	Requests int
	Duration time.Duration
	// LagRate updates per second for LagDuration measure the sync lag.
	LagRate     int
	LagDuration time.Duration
	// Clients run the closed loops of the concurrency step at once
	// (ConcurrencyClientsDefault when 0).
	Clients int

	// BrowserChanges is how many explorer filter changes are timed (0:
	// BrowserChangesDefault); Snapshots how many project snapshots are
	// imported and removed again (0: SnapshotsDefault).
	BrowserChanges int
	Snapshots      int

	Sizing SizingConfig // the sizing step's knobs

	OutDir  string // results and child logs
	Command string // the command line, for the report
}

// warmupRounds of every measurement are not timed.
const warmupRounds = 3

// The shape of the seeded data set besides its size.
const (
	seedTenants = 5
	seedGroups  = 20
	seedOrgs    = 100
)

func (c *Config) check() error {
	var errs []error
	if c.Pool == nil || c.Index == nil {
		errs = append(errs, errors.New("Pool and Index are required"))
	}
	if c.Binary == "" {
		errs = append(errs, errors.New("no assets binary to run serve and sync"))
	}
	if c.Assets < 1000 {
		errs = append(errs, fmt.Errorf("--assets %d: at least 1000", c.Assets))
	}
	if c.Requests < 1 || c.Duration <= 0 {
		errs = append(errs, errors.New("--requests and --duration must be positive"))
	}
	if c.Clients < 0 {
		errs = append(errs, fmt.Errorf("--clients %d: cannot be negative", c.Clients))
	}
	if c.LagRate < 1 || c.LagDuration <= 0 {
		errs = append(errs, errors.New("the lag rate and duration must be positive"))
	}
	if err := c.Sizing.check(); err != nil {
		errs = append(errs, err)
	}
	if err := harness.LoopbackOnly(c.DatabaseURL, c.ElasticsearchURL); err != nil {
		errs = append(errs, err)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	return errors.Join(errs...)
}

// runner holds what the steps of one run share.
type runner struct {
	cfg  Config
	log  *slog.Logger
	pool *pgxpool.Pool
	idx  *index.Client
	es   *harness.ES
	lim  limits
	rep  *Report
	data dataset

	// Set once the child processes run.
	api          *apiClient
	serve, syncw *harness.Child
}

// Run runs the whole benchmark and returns its report; Write stores it.
// Progress goes to cfg.Logger.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("benchmark configuration: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(cfg.OutDir, "logs"), 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", cfg.OutDir, err)
	}
	start := time.Now()
	r := &runner{
		cfg: cfg, log: cfg.Logger, pool: cfg.Pool, idx: cfg.Index, es: harness.NewES(newHTTPClient(), cfg.ElasticsearchURL),
		lim: limits{requests: cfg.Requests, duration: cfg.Duration, warmup: warmupRounds},
		rep: newReport(cfg, start),
	}
	r.describeServices(ctx)
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	if err := r.startServices(ctx); err != nil {
		r.stopServices()
		return nil, err
	}
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"list with filter and sort", r.measureList},
		{"q== substring search", r.measureQ},
		{"stored search", r.measureStoredSearch},
		{"group values", r.measureGroupValues},
		{"filter values", r.measureFilterValues},
		{"tracing cost", r.measureTracing},
		{"under concurrency", r.measureConcurrency},
		{"relationships", r.measureRelationships},
		{"export", r.measureExport},
		{"explorer in Chromium", r.measureBrowser},
		{"importing project snapshots", r.measureSnapshots},
		{"bulk PATCH", r.measureBulkPatch},
		{"sync lag", r.measureSyncLag},
		{"removing the benchmark's labels", r.cleanLabels},
		{"reindex and raw _bulk", r.measureReindex},
		{"sizing", r.measureSizing},
	}
	for _, s := range steps {
		r.log.Info("bench: measuring", "step", s.name)
		t0 := time.Now()
		if err := s.run(ctx); err != nil {
			r.stopServices()
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		r.log.Info("bench: done", "step", s.name, "elapsed", time.Since(t0).Round(time.Millisecond))
	}
	r.readMemory()
	r.stopServices()
	r.rep.checkTargets()
	r.rep.Seconds = time.Since(start).Seconds()
	return r.rep, nil
}
