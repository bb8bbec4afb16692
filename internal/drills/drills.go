// Package drills runs the fault drills of `make drills`: each drill
// injects one fault (a killed sync worker, a stopped Elasticsearch, a
// restarted PostgreSQL, concurrent writers, a reindex, a token of another
// tenant, an HTTP fuzzer, an org moved to another group, a hostile client)
// into a running system and checks the guarantees
// the design makes, ending, where data can drift, with `assets verify`.
//
// The drills use a database of their own (recreated on every run through
// the admin connection), an index prefix of their own, and their own
// `assets serve` and `assets sync` child processes on a loopback port, so
// development data and other users of the same services are untouched.
// Stopping and starting PostgreSQL and Elasticsearch is delegated to
// scripts/services.sh, and so does affect every user of those services.
//
// Three drills need an Elasticsearch cluster of ClusterDrillNodes nodes
// (scripts/services.sh with ASSETS_ES_NODES=3): es-node-loss kills one node,
// rolling-restart restarts each in turn, two-of-each runs two API replicas
// and two workers. With fewer nodes they are reported as not run, never as
// passed. With that many nodes every child makes its index with
// ClusterDrillShards shards and ClusterDrillReplicas replica, and es-outage
// stops (and starts) all the nodes, as `services.sh stop elasticsearch`
// does without a node number.
package drills

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/openinventory/assets/internal/cli/esauth"
	hn "github.com/openinventory/assets/internal/harness"
)

// Defaults of the timed faults.
const (
	DefaultKillDuration = 60 * time.Second
	DefaultESOutage     = 30 * time.Second
	DefaultPGOutage     = 5 * time.Second
	// ServicesTimeoutDefault bounds one stop or start through
	// scripts/services.sh: an Elasticsearch node on a busy machine can take
	// minutes to join its cluster.
	ServicesTimeoutDefault = 10 * time.Minute
)

// Config is what a run of the drills needs. AdminDatabaseURL,
// ElasticsearchURL, Binary and WorkDir are required.
type Config struct {
	// AdminDatabaseURL names an existing database on the PostgreSQL server;
	// the drills database is dropped and created through it.
	AdminDatabaseURL string
	// Database is the drills' own database (default assets_drills).
	Database string
	// ElasticsearchURL is the Elasticsearch the children use.
	ElasticsearchURL string
	// IndexPrefix is the drills' own index alias and prefix (default drills).
	IndexPrefix string
	// Binary is the assets binary; it is copied into WorkDir so that a
	// rebuild during the run does not change what the children run.
	Binary string
	// WorkDir holds the binary copy, the children's logs and reports.
	WorkDir string
	// ServicesScript is scripts/services.sh, used to stop and start
	// PostgreSQL and Elasticsearch (default scripts/services.sh).
	ServicesScript string
	// Schemathesis is the schemathesis CLI; empty fails that drill.
	Schemathesis string
	// ESNodes is how many Elasticsearch nodes the cluster has (default:
	// the number of URLs in ElasticsearchURL, which scripts/services.sh
	// lists one per node). The cluster drills need ClusterDrillNodes.
	ESNodes int
	// ESAuth is the credentials and TLS trust for Elasticsearch (default:
	// the ASSETS_ELASTICSEARCH_* variables of this process), used by the
	// drills' own requests and passed on to the children.
	ESAuth *esauth.Config
	// PublishedContract is the published OpenAPI document the
	// published-contract drill fuzzes with (--published-contract, or
	// PublishedContractEnv); empty: that drill is not run.
	PublishedContract string

	Assets int   // assets to seed (default 3000)
	Seed   int64 // seeds the data, the load and the fault timing (default 1)
	Rate   int   // updates per second of the write load (default 200)

	KillDuration      time.Duration // write load while the worker is killed (default 60s)
	Kills             int           // kill -9s of the worker (default 10)
	ESOutage          time.Duration // how long Elasticsearch stays down (default 30s)
	PGOutage          time.Duration // how long PostgreSQL stays down (default 5s)
	FuzzRequests      int           // schemathesis requests at least (default 2000)
	VerifyWait        time.Duration // assets verify --wait (default 2m)
	DrainTimeout      time.Duration // bound on a backlog drain (default 3m)
	ConcurrentPatches int           // PATCHes of the concurrency drill (default 50)
	NodeDown          time.Duration // how long es-node-loss keeps its node down (default NodeLossDownDefault)
	GreenTimeout      time.Duration // bound on the wait for a green cluster (default GreenTimeoutDefault)
	TwoOfEachDuration time.Duration // load of the two-of-each drill (default TwoOfEachDurationDefault)
	ServicesTimeout   time.Duration // bound on one scripts/services.sh call (default ServicesTimeoutDefault)

	// Only selects drills by name; empty runs them all, in order.
	Only []string
	// Out receives the result lines; Logger the progress (nil discards).
	Out    io.Writer
	Logger *slog.Logger
}

func (c *Config) defaults() error {
	if c.AdminDatabaseURL == "" {
		return errors.New("no admin database URL: set ASSETS_DATABASE_URL")
	}
	if c.ElasticsearchURL == "" {
		return errors.New("no Elasticsearch URL: set ASSETS_ELASTICSEARCH_URL")
	}
	if c.Binary == "" {
		return errors.New("no assets binary")
	}
	if c.WorkDir == "" {
		return errors.New("no work directory")
	}
	setDefault(&c.Database, "assets_drills")
	setDefault(&c.IndexPrefix, "drills")
	setDefault(&c.ServicesScript, "scripts/services.sh")
	setDefault(&c.Assets, 3000)
	setDefault(&c.Seed, 1)
	setDefault(&c.Rate, 200)
	setDefault(&c.KillDuration, DefaultKillDuration)
	setDefault(&c.Kills, 10)
	setDefault(&c.ESOutage, DefaultESOutage)
	setDefault(&c.PGOutage, DefaultPGOutage)
	setDefault(&c.FuzzRequests, 2000)
	setDefault(&c.VerifyWait, 2*time.Minute)
	setDefault(&c.DrainTimeout, 3*time.Minute)
	setDefault(&c.ConcurrentPatches, 50)
	setDefault(&c.NodeDown, NodeLossDownDefault)
	setDefault(&c.GreenTimeout, GreenTimeoutDefault)
	setDefault(&c.TwoOfEachDuration, TwoOfEachDurationDefault)
	setDefault(&c.ServicesTimeout, ServicesTimeoutDefault)
	setDefault(&c.ESNodes, len(splitURLs(c.ElasticsearchURL)))
	if c.ESAuth == nil {
		auth, err := esauth.FromEnv(os.Getenv)
		if err != nil {
			return fmt.Errorf("reading the Elasticsearch credentials: %w", err)
		}
		c.ESAuth = &auth
	}
	if c.Out == nil {
		c.Out = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if err := hn.LoopbackOnly(c.AdminDatabaseURL, c.ElasticsearchURL); err != nil {
		return err
	}
	for _, name := range c.Only {
		if !slices.ContainsFunc(all, func(d drill) bool { return d.name == name }) {
			return fmt.Errorf("unknown drill %q; the drills are: %s", name, strings.Join(Names(), ", "))
		}
	}
	return nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// drill is one fault drill: it runs against the harness and says what it
// measured and whether the guarantees held.
type drill struct {
	name    string
	summary string
	run     func(ctx context.Context, h *harness) Result
	// needsNodes is the Elasticsearch nodes the drill needs (0: any);
	// with fewer it is reported as not run, never as passed.
	needsNodes int
	// missing says what the drill needs and was not given ("" when
	// nothing); such a drill is reported as not run, never as passed.
	missing func(Config) string
}

// all lists the drills in the order they run, the issue's. After each, the
// runner restores whatever it left down, so one failure does not spoil the
// drills after it.
var all = []drill{
	{"kill-worker", "kill -9 the sync worker repeatedly under write load", killWorker, 0, nil},
	{"es-outage", "stop Elasticsearch under write load; time the drain", esOutage, 0, nil},
	{"pg-restart", "restart PostgreSQL under read load: 503s, then recovery", pgRestart, 0, nil},
	{"concurrent-patch", "concurrent PATCHes adding labels to one asset", concurrentPatch, 0, nil},
	{"reindex-under-load", "assets reindex while updates are applied", reindexUnderLoad, 0, nil},
	{"tenant-isolation", "every route with another tenant's token: the documented 403 or 404, no leaks", tenantIsolation, 0, nil},
	{"schemathesis", "schemathesis against the server's own OpenAPI document", fuzzOpenAPI, 0, nil},
	{"published-contract", "schemathesis against the published contract: no 5xx, undocumented status or schema break", publishedContract, 0, publishedContractMissing},
	{"reparent", "move an org to another group under write load; damage a projection, verify --repair", reparent, 0, nil},
	{"es-node-loss", "kill -9 one of three Elasticsearch nodes under read and write load; restart it, wait for green", esNodeLoss, ClusterDrillNodes, nil},
	{"rolling-restart", "restart the Elasticsearch nodes one at a time under read and write load", rollingRestart, ClusterDrillNodes, nil},
	{"two-of-each", "two API replicas and two sync workers; kill -9 one of each under load", twoOfEach, ClusterDrillNodes, nil},
	// Last: its thousands of stored searches fill the tenant's cap for a while.
	{"hostile-client", "junk, floods, costly filters, forged cursors and a burst while a good client reads", hostileClient, 0, nil},
}

// Names lists the drills in the order they run.
func Names() []string {
	names := make([]string, len(all))
	for i, d := range all {
		names[i] = d.name
	}
	return names
}

// Summaries describes each drill in one line, for help texts.
func Summaries() string {
	var b strings.Builder
	for _, d := range all {
		fmt.Fprintf(&b, "  %-20s %s\n", d.name, d.summary)
	}
	return b.String()
}

// Result is the outcome of one drill.
type Result struct {
	Name     string
	Measured string // what was measured, for a reader
	Pass     bool
	// NotRun: the drill did not apply to these services (Reason says
	// why); it counts neither as passed nor as failed.
	NotRun   bool
	Reason   string // why it failed, or why it did not run
	Duration time.Duration
}

// passIf returns r passing when ok, else failing for reason.
func (r Result) passIf(ok bool, reason string) Result {
	r.Pass = ok
	if !ok {
		r.Reason = reason
	}
	return r
}

// Run sets up the drills' database, index and processes, runs the selected
// drills one after another, prints one line per drill to cfg.Out, and
// returns the results. The error is non-nil when the set-up failed or a
// drill failed.
func Run(ctx context.Context, cfg Config) ([]Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	start := time.Now()
	log := cfg.Logger
	log.Info("drills: setting up", "database", cfg.Database, "index", cfg.IndexPrefix, "assets", cfg.Assets, "seed", cfg.Seed, "work_dir", cfg.WorkDir)
	h, err := newHarness(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting up the drills: %w", err)
	}
	defer h.close()
	fmt.Fprintf(cfg.Out, "drills: %d assets in %s, index %s, API %s, seed %d, logs in %s\n",
		h.fx.assetCount, cfg.Database, cfg.IndexPrefix, h.api, cfg.Seed, h.logDir)

	var results []Result
	for _, d := range all {
		if len(cfg.Only) > 0 && !slices.Contains(cfg.Only, d.name) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		r := runOne(ctx, h, d)
		fmt.Fprintln(cfg.Out, FormatResult(r))
		results = append(results, r)
	}
	t := countResults(results)
	fmt.Fprintf(cfg.Out, "drills: %s in %s\n", t, time.Since(start).Round(time.Second))
	switch {
	case ctx.Err() != nil:
		return results, ctx.Err()
	case t.failed > 0:
		return results, fmt.Errorf("%d of %d drills failed", t.failed, len(results))
	}
	return results, nil
}

// runOne runs drill d, or reports it as not run when the cluster has
// fewer nodes than it needs, and restores the services afterwards.
func runOne(ctx context.Context, h *harness, d drill) Result {
	log := h.log
	if d.needsNodes > h.cfg.ESNodes {
		r := Result{Name: d.name, NotRun: true,
			Reason: fmt.Sprintf("not applicable: needs ASSETS_ES_NODES>=%d (this cluster has %d)", d.needsNodes, h.cfg.ESNodes)}
		log.Warn("DRILL NOT RUN", "drill", d.name, "reason", r.Reason)
		return r
	}
	if d.missing != nil {
		if why := d.missing(h.cfg); why != "" {
			r := Result{Name: d.name, NotRun: true, Reason: "not run: " + why}
			log.Warn("DRILL NOT RUN", "drill", d.name, "reason", r.Reason)
			return r
		}
	}
	log.Info("drill: starting", "drill", d.name, "what", d.summary)
	began := time.Now()
	r := d.run(ctx, h)
	r.Name = d.name
	r.Duration = time.Since(began)
	// Leave the next drill a working system, whatever this one did.
	if err := h.restore(ctx); err != nil {
		r = r.passIf(false, joinReasons(r.Reason, "could not restore the services afterwards: "+err.Error()))
	}
	if !r.Pass {
		log.Error("drill failed", "drill", d.name, "reason", r.Reason)
	}
	return r
}

// counts is how many drills passed, failed and did not run.
type counts struct{ passed, failed, notRun int }

func countResults(results []Result) counts {
	var c counts
	for _, r := range results {
		switch {
		case r.NotRun:
			c.notRun++
		case r.Pass:
			c.passed++
		default:
			c.failed++
		}
	}
	return c
}

func (c counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d not run", c.passed, c.failed, c.notRun)
}

func joinReasons(a, b string) string {
	if a == "" {
		return b
	}
	return a + "; " + b
}

// FormatResult renders a result as its one line: name, what was measured,
// PASS or FAIL (with the reason).
func FormatResult(r Result) string {
	verdict := "PASS"
	switch {
	case r.NotRun:
		// Loud, so that a skipped drill is never read as a passed one.
		return fmt.Sprintf("%-20s %-96s NOT RUN: %s", r.Name, "-", hn.OneLine(r.Reason))
	case !r.Pass:
		verdict = "FAIL"
	}
	line := fmt.Sprintf("%-20s %-96s %s", r.Name, hn.OneLine(r.Measured), verdict)
	if r.Duration > 0 {
		line += fmt.Sprintf(" (%s)", r.Duration.Round(time.Second))
	}
	if !r.Pass && r.Reason != "" {
		line += ": " + hn.OneLine(r.Reason)
	}
	return line
}
