package drills

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/internal/cli/esauth"
	hn "github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/store"
)

// tenantFixture is one seeded tenant as the drills use it: a group and an
// org of it that hold assets, an asset of that org, every asset id, and a
// token with tenant.edit.
type tenantFixture struct {
	id       string
	groupID  string
	orgID    string
	orgAsset string
	assets   []string
	token    string
}

// fixture is the seeded data set.
type fixture struct {
	tenants    []tenantFixture
	assetCount int
}

// harness is the system under drill: the drills' database and index, and
// the serve and sync child processes, plus what the drills share to reach
// them. It is used by one drill at a time.
type harness struct {
	cfg    Config
	log    *slog.Logger
	dbURL  string
	bin    string // the copy of the assets binary the children run
	logDir string
	pool   *pgxpool.Pool
	client *http.Client
	es     *hn.ES
	addr   string // loopback host:port of the API
	api    string // http://addr
	fx     fixture

	serve *hn.Child
	sync  *hn.Child
	pids  *hn.PidFile
}

// newHarness creates the database, clears the index prefix, seeds, makes
// tokens, starts the children and waits until the seed is indexed.
func newHarness(ctx context.Context, cfg Config) (_ *harness, err error) {
	h := &harness{cfg: cfg, log: cfg.Logger, logDir: filepath.Join(cfg.WorkDir, "logs")}
	defer func() {
		if err != nil {
			h.close()
		}
	}()
	if err := os.MkdirAll(h.logDir, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", h.logDir, err)
	}
	h.pids = &hn.PidFile{Path: filepath.Join(cfg.WorkDir, "children.pids")}
	h.client = hn.NewHTTPClient(15*time.Second, 128)
	esHTTP, err := newESHTTPClient(*cfg.ESAuth)
	if err != nil {
		return nil, err
	}
	h.es = hn.NewES(esHTTP, cfg.ElasticsearchURL)

	h.bin = filepath.Join(cfg.WorkDir, "bin", "assets")
	// Children of an earlier run that was itself killed would still hold
	// connections and the binary: end them first.
	h.pids.KillLeftovers(h.bin, h.log)
	if err := hn.CopyExecutable(cfg.Binary, h.bin); err != nil {
		return nil, err
	}
	if !databaseName.MatchString(cfg.Database) {
		return nil, fmt.Errorf("database name %q: use lower-case letters, digits and _", cfg.Database)
	}
	if h.dbURL, err = hn.CreateDatabase(ctx, cfg.AdminDatabaseURL, cfg.Database); err != nil {
		return nil, err
	}
	deleted, err := h.es.DeleteIndexes(ctx, cfg.IndexPrefix)
	if err != nil {
		return nil, err
	}
	if len(deleted) > 0 {
		h.log.Info("drills: deleted the indexes of an earlier run", "indexes", deleted)
	}
	if h.pool, err = store.Open(ctx, h.dbURL); err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, h.pool, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		return nil, err
	}
	if err := h.seed(ctx); err != nil {
		return nil, err
	}
	if h.addr, err = hn.FreeLoopbackAddr(); err != nil {
		return nil, err
	}
	h.api = "http://" + h.addr
	if err := h.startSync(); err != nil {
		return nil, err
	}
	if err := h.startServe(ctx); err != nil {
		return nil, err
	}
	if _, err := h.waitDrained(ctx, cfg.DrainTimeout); err != nil {
		return nil, fmt.Errorf("indexing the seed: %w", err)
	}
	return h, nil
}

// close stops the children and closes the pool. The database and the
// indexes stay for inspection; the next run recreates them.
func (h *harness) close() {
	for _, c := range []*hn.Child{h.serve, h.sync} {
		if c != nil {
			_ = c.Stop(20 * time.Second)
		}
	}
	if h.pool != nil {
		h.pool.Close()
	}
	if h.client != nil {
		h.client.CloseIdleConnections()
	}
}

// databaseName is what the drills accept as their database name.
var databaseName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// seed fills the database with `assets seed` and reads back what the drills
// need, then creates one tenant.edit token per tenant.
func (h *harness) seed(ctx context.Context) error {
	out, err := h.runChild(ctx, "seed", 5*time.Minute, "seed", "--assets", fmt.Sprint(h.cfg.Assets),
		"--tenants", "2", "--groups", "4", "--orgs", "8", "--seed", fmt.Sprint(h.cfg.Seed))
	if err != nil {
		return err
	}
	var sum seed.Summary
	if err := json.Unmarshal(out, &sum); err != nil {
		return fmt.Errorf("reading the seed summary: %w", err)
	}
	if len(sum.Tenants) < 2 {
		return fmt.Errorf("the seed made %d tenants; the drills need 2", len(sum.Tenants))
	}
	h.fx.assetCount = sum.Assets
	for _, t := range sum.Tenants[:2] {
		tf := tenantFixture{id: t}
		err := h.pool.QueryRow(ctx, `SELECT g.id::text, o.id::text, ao.asset_id::text
			FROM asset_orgs ao JOIN orgs o ON o.id = ao.org_id JOIN groups g ON g.id = o.group_id
			JOIN assets a ON a.id = ao.asset_id AND a.tenant_id = g.tenant_id
			WHERE g.tenant_id = $1 ORDER BY ao.asset_id LIMIT 1`, t).Scan(&tf.groupID, &tf.orgID, &tf.orgAsset)
		if err != nil {
			return fmt.Errorf("finding an org with assets in tenant %s: %w", t, err)
		}
		rows, err := h.pool.Query(ctx, `SELECT id::text FROM assets WHERE tenant_id = $1 ORDER BY id`, t)
		if err != nil {
			return fmt.Errorf("listing the assets of tenant %s: %w", t, err)
		}
		if tf.assets, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return fmt.Errorf("listing the assets of tenant %s: %w", t, err)
		}
		if len(tf.assets) < 10 {
			return fmt.Errorf("tenant %s has %d assets; seed more", t, len(tf.assets))
		}
		tf.token, err = store.CreateToken(ctx, h.pool, "drills-"+t[:8], []store.Grant{{Kind: store.ScopeTenant, ScopeID: t, Permission: "tenant.edit"}})
		if err != nil {
			return err
		}
		h.fx.tenants = append(h.fx.tenants, tf)
	}
	h.log.Info("drills: seeded", "assets", sum.Assets, "tenant_a", h.fx.tenants[0].id, "tenant_b", h.fx.tenants[1].id)
	return nil
}

// childEnv is the environment of every child: this process's, with the
// drills' database and index.
func (h *harness) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ASSETS_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env,
		"ASSETS_DATABASE_URL="+h.dbURL,
		"ASSETS_ELASTICSEARCH_URL="+h.cfg.ElasticsearchURL,
		"ASSETS_INDEX="+h.cfg.IndexPrefix,
		"ASSETS_LOG_LEVEL=info",
	)
	env = append(env, esAuthEnv(*h.cfg.ESAuth)...)
	if h.cfg.clusterMode() {
		// Every index the children make (the first, a reindex's) has the
		// shape the cluster drills need.
		env = append(env, fmt.Sprintf("ASSETS_INDEX_SHARDS=%d", ClusterDrillShards),
			fmt.Sprintf("ASSETS_INDEX_REPLICAS=%d", ClusterDrillReplicas))
	}
	return env
}

// esAuthEnv is auth as the children's ASSETS_ELASTICSEARCH_* variables.
func esAuthEnv(auth esauth.Config) []string {
	var env []string
	for _, kv := range [][2]string{
		{esauth.EnvAPIKey, auth.APIKey}, {esauth.EnvUsername, auth.Username}, {esauth.EnvPassword, auth.Password},
		{esauth.EnvCACert, auth.CACertFile}, {esauth.EnvCAFingerprint, auth.CAFingerprint},
	} {
		if kv[1] != "" {
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	return env
}

func (h *harness) startSync() error {
	c, err := h.spawn("sync", "sync")
	if err != nil {
		return err
	}
	h.sync = c
	return nil
}

// The drills' API runs with rate limits and search caps well above their
// loads (200 updates/s from one token; the fuzzers store hundreds of
// searches one after the other), so a 429 in a drill means a regression;
// the hostile-client drill restarts it with the limits it pushes past.
const (
	drillsRateLimit = "1000"
	drillsRateBurst = "1000"
	drillsTokenCap  = "5000"
	drillsTenantCap = "20000"
)

// startServe starts `assets serve` on the harness's address with the
// drills' rate limits, or with the flags given, and waits until it is
// ready.
func (h *harness) startServe(ctx context.Context, flags ...string) error {
	if len(flags) == 0 {
		flags = []string{"--rate-limit", drillsRateLimit, "--rate-burst", drillsRateBurst,
			"--max-searches-per-token", drillsTokenCap, "--max-searches-per-tenant", drillsTenantCap}
	}
	c, err := h.spawn("serve", append([]string{"serve", "--addr", h.addr}, flags...)...)
	if err != nil {
		return err
	}
	h.serve = c
	return h.waitReady(ctx, time.Minute)
}

// waitReady polls /readyz until the API answers 200.
func (h *harness) waitReady(ctx context.Context, timeout time.Duration) error {
	return hn.WaitReady(ctx, h.client, h.serve, h.api+"/readyz", timeout)
}

// restartServe stops the API gracefully and starts it again with flags
// (none: the drills' defaults).
func (h *harness) restartServe(ctx context.Context, flags ...string) error {
	if h.serve != nil {
		_ = h.serve.Stop(20 * time.Second)
	}
	return h.startServe(ctx, flags...)
}

// restartSync kills the sync worker with SIGKILL and starts a new one.
func (h *harness) restartSync() error {
	if h.sync != nil {
		if h.sync.Exited() {
			return fmt.Errorf("the sync worker had exited by itself: %v (see %s)", h.sync.Err(), h.sync.LogPath)
		}
		if err := h.sync.Kill(); err != nil {
			return err
		}
	}
	return h.startSync()
}

// restore brings back whatever a drill may have left down: PostgreSQL,
// Elasticsearch, the worker and the API. The services come back even when
// ctx was canceled (an interrupted drill must not leave them stopped); the
// children are then left alone, as the run is ending.
func (h *harness) restore(ctx context.Context) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.cfg.ServicesTimeout+time.Minute)
	defer cancel()
	if !h.postgresUp(sctx) {
		h.log.Warn("drills: PostgreSQL is down after a drill; starting it")
		if err := h.services(sctx, "start", "postgres"); err != nil {
			return err
		}
	}
	if err := h.restoreElasticsearch(sctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil
	}
	if h.sync == nil || h.sync.Exited() {
		h.log.Warn("drills: the sync worker is not running; starting it")
		if err := h.startSync(); err != nil {
			return err
		}
	}
	if h.serve == nil || h.serve.Exited() {
		h.log.Warn("drills: the API is not running; starting it")
		return h.startServe(ctx)
	}
	return h.waitReady(ctx, time.Minute)
}

func (h *harness) postgresUp(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return h.pool.Ping(ctx) == nil
}

// backlog is the number of pending outbox rows.
func (h *harness) backlog(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	n, _, err := store.Backlog(ctx, h.pool)
	return n, err
}

// waitDrained waits until the outbox is empty and returns how long that
// took.
func (h *harness) waitDrained(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	var n int64
	var err error
	for time.Since(start) < timeout {
		if n, err = h.backlog(ctx); err == nil && n == 0 {
			return time.Since(start), nil
		}
		if !hn.SleepCtx(ctx, 100*time.Millisecond) {
			return time.Since(start), ctx.Err()
		}
	}
	if err != nil {
		return time.Since(start), fmt.Errorf("the outbox did not drain within %s: %w", timeout, err)
	}
	return time.Since(start), fmt.Errorf("the outbox still held %d rows after %s", n, timeout)
}

// verifyReport is what `assets verify` prints.
type verifyReport struct {
	Backlog int64 `json:"outbox_backlog"`
	Drifted int   `json:"drifted_documents"`
	Tenants []struct {
		Postgres      int64 `json:"postgres"`
		Elasticsearch int64 `json:"elasticsearch"`
	} `json:"tenants"`
}

// ok reports zero drift with an empty outbox.
func (r verifyReport) ok() bool { return r.Drifted == 0 && r.Backlog == 0 }

func (r verifyReport) String() string {
	var pg, es int64
	for _, t := range r.Tenants {
		pg += t.Postgres
		es += t.Elasticsearch
	}
	return fmt.Sprintf("verify: %d drifted, backlog %d, %d/%d docs", r.Drifted, r.Backlog, es, pg)
}

// verify runs `assets verify --wait` and reads its report; drift (exit
// status 3) is a report, not an error.
func (h *harness) verify(ctx context.Context) (verifyReport, error) {
	var rep verifyReport
	out, err := h.runChild(ctx, "verify", h.cfg.VerifyWait+time.Minute, "verify", "--wait", h.cfg.VerifyWait.String())
	var ee *hn.ExitStatusError
	if err != nil && !(errors.As(err, &ee) && ee.Code == 3) {
		return rep, err
	}
	if jerr := json.Unmarshal(out, &rep); jerr != nil {
		return rep, fmt.Errorf("reading the verify report: %w", jerr)
	}
	return rep, nil
}

// response is an API answer.
type response struct {
	status  int
	header  http.Header
	body    []byte
	elapsed time.Duration
}

// request sends one API request to the loopback server. body, when not
// nil, is sent as JSON:API.
func (h *harness) request(ctx context.Context, method, path, token string, body []byte, header http.Header) (response, error) {
	header = header.Clone()
	if header == nil {
		header = http.Header{}
	}
	header.Set("Accept", "application/vnd.api+json")
	if body != nil {
		header.Set("Content-Type", "application/vnd.api+json")
	}
	if token != "" {
		header.Set("Authorization", "Token "+token)
	}
	start := time.Now()
	target := h.api + path
	if strings.HasPrefix(path, "http") { // a link or Location the server made
		target = path
	}
	status, rh, b, err := hn.Request(ctx, h.client, method, target, header, body)
	return response{status: status, header: rh, body: b, elapsed: time.Since(start)}, err
}
