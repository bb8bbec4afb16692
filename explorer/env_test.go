package explorer_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/openinventory/assets/api"
	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
	"github.com/openinventory/assets/sync"
)

const (
	tenant = "11111111-1111-4111-8111-111111111111"
	group  = "33333333-3333-4333-8333-333333333333"
	org    = "44444444-4444-4444-8444-444444444441"
	// assetCount is enough for several pages of 20 and real facet counts.
	assetCount = 90
)

var (
	registries = []string{"docker.io", "gcr.io", "quay.io"}
	classes    = []string{"A", "B", "C", "D"}
	envs       = []string{"prod", "staging"}
)

// testData is one tenant, group and org and assetCount container images
// spread over registries, classes, labels and tags.
func testData() string {
	var b strings.Builder
	b.WriteString(`{"type":"tenants","id":"` + tenant + `","attributes":{"name":"T"}}` + "\n")
	b.WriteString(`{"type":"groups","id":"` + group + `","attributes":{"tenant_id":"` + tenant + `","name":"G"}}` + "\n")
	b.WriteString(`{"type":"orgs","id":"` + org + `","attributes":{"group_id":"` + group + `","name":"O"}}` + "\n")
	for i := range assetCount {
		line, err := json.Marshal(map[string]any{"type": "container_images", "id": assetID(i), "attributes": map[string]any{
			"tenant_id": tenant, "org_ids": []string{org},
			"registry": registries[i%3], "repository": fmt.Sprintf("team%d/app%02d", i%5, i), "name": fmt.Sprintf("app%02d", i),
			"class":  map[string]any{"display_name": classes[i%4]},
			"labels": []string{fmt.Sprintf("l%d", i%2)}, "tags": map[string]string{"env": envs[i%2]},
			"risk_score": i * 10, "created_at": time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC).Format(time.RFC3339),
		}})
		if err != nil {
			panic(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func assetID(i int) string { return fmt.Sprintf("aaaaaaaa-0000-4000-8000-%012d", i) }

// server is the API (with the explorer) over a database and index of the
// test's own, with a sync worker running, and a tenant.edit token.
type server struct {
	url   string
	token string
	// synced waits until every change is searchable.
	synced func(t *testing.T)

	mu      gosync.Mutex
	prefers []string // the Prefer header of each PATCH, in order
}

// recordPatches notes the Prefer header of every PATCH the page sends.
func (s *server) recordPatches(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPatch {
			s.mu.Lock()
			s.prefers = append(s.prefers, r.Header.Get("Prefer"))
			s.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

// patchPrefers returns the Prefer headers of the PATCHes so far.
func (s *server) patchPrefers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.prefers...)
}

func newServer(t *testing.T) *server {
	t.Helper()
	pool := testenv.Postgres(t)
	es, prefix := testenv.Elasticsearch(t)
	ic := index.New(es, prefix)
	ctx, cancel := context.WithCancel(context.Background())
	if err := ic.EnsureIndex(ctx); err != nil {
		t.Fatalf("creating index: %v", err)
	}
	if _, err := store.Import(ctx, pool, store.NewNDJSONReader(strings.NewReader(testData()))); err != nil {
		t.Fatalf("importing: %v", err)
	}
	g, err := store.ParseGrant("tenant:" + tenant + ":tenant.edit")
	if err != nil {
		t.Fatal(err)
	}
	token, err := store.CreateToken(ctx, pool, "explorer test", []store.Grant{g})
	if err != nil {
		t.Fatalf("creating token: %v", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := sync.RunWorkers(ctx, pool, ic, log, sync.WorkerConfig{PollInterval: 100 * time.Millisecond}, 1); err != nil && ctx.Err() == nil {
			t.Errorf("sync worker: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitSynced(t, ctx, pool, ic)
	a, err := api.New(api.Config{Pool: pool, Index: ic, Logger: log})
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	s := &server{token: token, synced: func(t *testing.T) { waitSynced(t, ctx, pool, ic) }}
	srv := httptest.NewServer(s.recordPatches(a.Handler()))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

// waitSynced waits until the worker emptied the outbox, then refreshes.
func waitSynced(t *testing.T, ctx context.Context, pool store.Querier, ic *index.Client) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		n, _, err := store.Backlog(ctx, pool)
		if err != nil {
			t.Fatalf("reading the outbox: %v", err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the sync worker left %d outbox rows", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := ic.Refresh(ctx); err != nil {
		t.Fatalf("refreshing: %v", err)
	}
}

// get calls the API with the token and decodes the JSON answer.
func (s *server) get(t *testing.T, path string, params url.Values) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+path+"?"+params.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Token "+s.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s?%s = %d: %s", path, params.Encode(), res.StatusCode, body)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return doc
}

func tenantBase() string { return "/rest/tenants/" + tenant + "/inventory/assets" }
