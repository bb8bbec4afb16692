package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"time"

	"github.com/openinventory/assets/internal/cli/esauth"
	hn "github.com/openinventory/assets/internal/harness"
)

// The cluster drills' shape: three nodes, and the drills' index made with
// three shards and one replica, so that any one node may go and every
// shard still has a copy.
const (
	ClusterDrillNodes    = 3
	ClusterDrillShards   = 3
	ClusterDrillReplicas = 1
	// GreenTimeoutDefault bounds the wait for a green cluster after a node
	// came back: recovering the replicas on 2 shared cores is slow.
	GreenTimeoutDefault = 5 * time.Minute
)

// splitURLs splits a comma-separated URL list, as ASSETS_ELASTICSEARCH_URL
// holds one, dropping blanks and trailing slashes.
func splitURLs(s string) []string {
	var out []string
	for _, u := range strings.Split(s, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// clusterMode reports whether the drills' cluster has the nodes the
// cluster drills need; the children then make their index with
// ClusterDrillShards and ClusterDrillReplicas.
func (c Config) clusterMode() bool { return c.ESNodes >= ClusterDrillNodes }

// authTransport adds the Elasticsearch credentials to every request.
type authTransport struct {
	base http.RoundTripper
	auth esauth.Config
}

func (t authTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	switch {
	case t.auth.APIKey != "":
		r.Header.Set("Authorization", "ApiKey "+t.auth.APIKey)
	case t.auth.Username != "":
		r.SetBasicAuth(t.auth.Username, t.auth.Password)
	}
	return t.base.RoundTrip(r)
}

// newESHTTPClient is the drills' own client to Elasticsearch, with the
// credentials and TLS trust the children get too.
func newESHTTPClient(auth esauth.Config) (*http.Client, error) {
	c := hn.NewHTTPClient(15*time.Second, 16)
	tr := c.Transport.(*http.Transport)
	tlsConf, err := auth.TLSConfig()
	if err != nil {
		return nil, fmt.Errorf("building the Elasticsearch TLS configuration: %w", err)
	}
	if tlsConf != nil {
		tr.TLSClientConfig = tlsConf
	}
	c.Transport = authTransport{base: tr, auth: auth}
	return c, nil
}

// nodeES is a client of node n (1-based), in the order of the URL list,
// which is the order of scripts/services.sh's node numbers.
func (h *harness) nodeES(n int) *hn.ES {
	urls := splitURLs(h.cfg.ElasticsearchURL)
	return &hn.ES{HTTP: h.es.HTTP, Base: urls[n-1]}
}

// health is the cluster's status as the first node that answers sees it,
// "" when none does.
func (h *harness) health(ctx context.Context) string {
	for n := 1; n <= len(splitURLs(h.cfg.ElasticsearchURL)); n++ {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		b, err := h.nodeES(n).Do(rctx, http.MethodGet, "/_cluster/health", nil)
		cancel()
		if err != nil {
			continue
		}
		var v struct {
			Status string `json:"status"`
		}
		if json.Unmarshal(b, &v) == nil {
			return v.Status
		}
	}
	return ""
}

// waitGreen waits until the cluster is green and returns how long that
// took.
func (h *harness) waitGreen(ctx context.Context, timeout time.Duration) (time.Duration, error) {
	start := time.Now()
	last := ""
	for time.Since(start) < timeout {
		if last = h.health(ctx); last == "green" {
			return time.Since(start), nil
		}
		if !hn.SleepCtx(ctx, 500*time.Millisecond) {
			return time.Since(start), ctx.Err()
		}
	}
	return time.Since(start), fmt.Errorf("the cluster was not green after %s (last: %q)", timeout, last)
}

// nodePID asks node n for its process id (the JVM's), so that it can be
// killed as a crash would.
func (h *harness) nodePID(ctx context.Context, n int) (int, error) {
	b, err := h.nodeES(n).Do(ctx, http.MethodGet, "/_nodes/_local/process?filter_path=nodes.*.process.id", nil)
	if err != nil {
		return 0, fmt.Errorf("asking node %d for its process id: %w", n, err)
	}
	var v struct {
		Nodes map[string]struct {
			Process struct {
				ID int `json:"id"`
			} `json:"process"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return 0, fmt.Errorf("reading node %d's process id: %w", n, err)
	}
	for _, nd := range v.Nodes {
		if nd.Process.ID > 0 {
			return nd.Process.ID, nil
		}
	}
	return 0, fmt.Errorf("node %d named no process id: %s", n, hn.Truncate(b, 200))
}

// killNode kills node n with SIGKILL and waits until its port is closed.
func (h *harness) killNode(ctx context.Context, n int) error {
	pid, err := h.nodePID(ctx, n)
	if err != nil {
		return err
	}
	h.log.Info("drills: kill -9 an Elasticsearch node", "node", n, "pid", pid)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("killing node %d (pid %d): %w", n, pid, err)
	}
	for range 100 {
		if !h.nodeES(n).Up(ctx) {
			return nil
		}
		hn.SleepCtx(ctx, 100*time.Millisecond)
	}
	return fmt.Errorf("node %d still answers after kill -9 of pid %d", n, pid)
}

// nodeService runs scripts/services.sh ACTION elasticsearch N.
func (h *harness) nodeService(ctx context.Context, action string, n int) error {
	return h.servicesArgs(ctx, action, "elasticsearch", fmt.Sprint(n))
}

// nodesDown lists the nodes (1-based) that do not answer.
func (h *harness) nodesDown(ctx context.Context) []int {
	var down []int
	for n := 1; n <= len(splitURLs(h.cfg.ElasticsearchURL)); n++ {
		if !h.nodeES(n).Up(ctx) {
			down = append(down, n)
		}
	}
	return down
}

// indexShape reads the shards and replicas of the index behind the
// drills' alias.
func (h *harness) indexShape(ctx context.Context) (shards, replicas string, err error) {
	b, err := h.es.Do(ctx, http.MethodGet, "/"+h.cfg.IndexPrefix+"/_settings/index.number_of_shards,index.number_of_replicas", nil)
	if err != nil {
		return "", "", fmt.Errorf("reading the index settings: %w", err)
	}
	var v map[string]struct {
		Settings struct {
			Index struct {
				Shards   string `json:"number_of_shards"`
				Replicas string `json:"number_of_replicas"`
			} `json:"index"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", "", fmt.Errorf("reading the index settings: %w", err)
	}
	for _, ix := range v {
		return ix.Settings.Index.Shards, ix.Settings.Index.Replicas, nil
	}
	return "", "", fmt.Errorf("no index behind %s", h.cfg.IndexPrefix)
}

// clusterReady is where each cluster drill starts: the drill's index has
// the cluster shape (its description is returned) and the cluster is green.
func (h *harness) clusterReady(ctx context.Context) (string, error) {
	shape, err := h.checkIndexShape(ctx)
	if err != nil {
		return "", err
	}
	if _, err := h.waitGreen(ctx, h.cfg.GreenTimeout); err != nil {
		return "", fmt.Errorf("before the drill: %w", err)
	}
	return shape, nil
}

// checkIndexShape fails unless the drills' index has the cluster drills'
// shards and replicas.
func (h *harness) checkIndexShape(ctx context.Context) (string, error) {
	s, r, err := h.indexShape(ctx)
	if err != nil {
		return "", err
	}
	shape := fmt.Sprintf("index of %s shards, %s replica(s)", s, r)
	if s != fmt.Sprint(ClusterDrillShards) || r != fmt.Sprint(ClusterDrillReplicas) {
		return shape, fmt.Errorf("the drills' %s; want %d and %d", shape, ClusterDrillShards, ClusterDrillReplicas)
	}
	return shape, nil
}

// restoreElasticsearch starts whatever a drill left down: every node when
// none answers (es-outage stops them all), else the nodes that do not.
func (h *harness) restoreElasticsearch(ctx context.Context) error {
	down := h.nodesDown(ctx)
	nodes := len(splitURLs(h.cfg.ElasticsearchURL))
	switch {
	case len(down) == 0:
		return nil
	case len(down) == nodes:
		h.log.Warn("drills: Elasticsearch is down after a drill; starting it")
		return h.services(ctx, "start", "elasticsearch")
	}
	for _, n := range down {
		h.log.Warn("drills: an Elasticsearch node is down after a drill; starting it", "node", n)
		if err := h.nodeService(ctx, "start", n); err != nil {
			return err
		}
	}
	return nil
}
