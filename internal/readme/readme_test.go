package readme_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openinventory/assets/internal/readme"
	"github.com/openinventory/assets/internal/testenv"
)

// TestShellBlocks runs every sh block of the README, in order, in one
// clean bash (as a reader pasting them into a terminal after `make run`
// would), against a served demo database of the test's own. Each curl
// must answer below 400; the statuses are checked block by block.
func TestShellBlocks(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	text, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := readme.ShellBlocks(string(text))
	if len(blocks) == 0 {
		t.Fatal("the README has no sh block")
	}

	dbURL := testenv.DatabaseURL(t)
	esURL := testenv.ElasticsearchURL(t)
	_, prefix := testenv.Elasticsearch(t) // its indexes go when the test ends
	env := demoEnv(t, dbURL, esURL, prefix)

	bin := filepath.Join(root, "bin", "assets")
	run(t, root, nil, "go", "build", "-o", bin, "./cmd/assets")
	run(t, root, env, bin, "seed", "--assets", "400", "--tenants", "2", "--groups", "4", "--orgs", "12", "--seed", "1")
	addr := freeAddr(t)
	env = append(env, "ASSETS_ADDR="+addr)
	serve(t, root, env, bin, addr)
	waitDrained(t, dbURL)
	waitSearchable(t, esURL, prefix, 400)

	script := readme.Script(blocks)
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = root
	// A clean shell: only what a fresh terminal has, plus the knobs that
	// point the script's services at this test's database, index and port.
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	results := readme.Results(stderr.String())
	for _, b := range blocks {
		r, ok := results[b.Number]
		switch {
		case !ok:
			t.Errorf("README block %d (line %d) did not finish", b.Number, b.Line)
		case b.Requests() > 0 && len(r.Statuses) == 0:
			t.Errorf("README block %d (line %d) sent no request", b.Number, b.Line)
		}
		for _, s := range r.Statuses {
			if s.Code >= 400 || s.Code < 200 {
				t.Errorf("README block %d (line %d): %s %s answered %d", b.Number, b.Line, s.Method, s.URL, s.Code)
			}
		}
		t.Logf("README block %d (line %d): %d requests", b.Number, b.Line, len(r.Statuses))
	}
	if err != nil || t.Failed() {
		t.Fatalf("running the README's blocks: %v\nstdout (tail):\n%s\nstderr (tail):\n%s", err, tail(stdout.String(), 3000), tail(stderr.String(), 3000))
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("finding the repository root: %v", err)
	}
	return root
}

// demoEnv is a fresh terminal's environment pointed at the test's own
// database (ASSETS_PG_DATABASE), index prefix and services. The README's
// `eval "$(scripts/services.sh env)"` must then export the right URLs.
func demoEnv(t *testing.T, dbURL, esURL, prefix string) []string {
	t.Helper()
	db, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	es, err := url.Parse(esURL)
	if err != nil {
		t.Fatal(err)
	}
	if db.Hostname() != "127.0.0.1" || es.Hostname() != "127.0.0.1" {
		t.Fatalf("the README test needs the services of scripts/services.sh on 127.0.0.1; got %s and %s", db.Host, es.Host)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"ASSETS_PG_PORT=" + db.Port(),
		"ASSETS_PG_DATABASE=" + strings.TrimPrefix(db.Path, "/"),
		"ASSETS_ES_PORT=" + es.Port(),
		"ASSETS_INDEX=" + prefix,
		"ASSETS_LOG_LEVEL=warn",
	}
	for _, k := range []string{"GOPATH", "GOCACHE", "GOMODCACHE", "GOFLAGS", "GOPROXY", "GOTOOLCHAIN", "ASSETS_SERVICES_DIR", "ASSETS_SERVICES_USER"} {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	// The seed and serve commands below run without the README's eval.
	return append(env, "ASSETS_DATABASE_URL="+dbURL, "ASSETS_ELASTICSEARCH_URL="+esURL)
}

func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = env
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serve starts `assets serve --with-sync` and waits until it is ready.
func serve(t *testing.T, dir string, env []string, bin, addr string) {
	t.Helper()
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", "--with-sync", "--addr", addr)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			t.Fatalf("assets serve exited:\n%s", logs.String())
		default:
		}
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("assets serve was not ready within 60s:\n%s", logs.String())
}

// waitDrained waits until the sync worker has indexed the seeded assets.
func waitDrained(t *testing.T, dbURL string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	for {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM asset_outbox").Scan(&n); err != nil {
			t.Fatalf("waiting for the outbox to drain: %v", err)
		}
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the outbox still holds %d rows after 60s", n)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitSearchable waits until the index answers with all n documents
// (a refresh after the worker's last write).
func waitSearchable(t *testing.T, esURL, alias string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var got string
	for time.Now().Before(deadline) {
		res, err := http.Get(esURL + "/" + alias + "/_count")
		if err == nil {
			var body struct {
				Count int `json:"count"`
			}
			err = json.NewDecoder(res.Body).Decode(&body)
			res.Body.Close()
			if err == nil && body.Count == n {
				return
			}
			got = fmt.Sprint(body.Count, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("the index %s did not reach %d documents in 30s (last: %s)", alias, n, got)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
