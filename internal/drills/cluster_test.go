package drills

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/internal/cli/esauth"
)

func TestSplitURLs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"http://127.0.0.1:9200", []string{"http://127.0.0.1:9200"}},
		{"https://a:1/, https://b:2 ,,https://c:3", []string{"https://a:1", "https://b:2", "https://c:3"}},
		{"", nil},
	} {
		if got := splitURLs(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("splitURLs(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// With fewer nodes than a drill needs, it is reported as not run, loudly,
// and counted apart from the passed and the failed.
func TestNotApplicableDrillIsNotRun(t *testing.T) {
	h := &harness{cfg: Config{ESNodes: 1}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ran := false
	r := runOne(context.Background(), h, drill{name: "es-node-loss", needsNodes: ClusterDrillNodes,
		run: func(context.Context, *harness) Result { ran = true; return Result{Pass: true} }})
	if ran || !r.NotRun || r.Pass || !strings.Contains(r.Reason, "needs ASSETS_ES_NODES>=3") {
		t.Fatalf("ran %v, result %+v", ran, r)
	}
	line := FormatResult(r)
	if !strings.Contains(line, "NOT RUN: not applicable: needs ASSETS_ES_NODES>=3") || strings.Contains(line, "PASS") {
		t.Errorf("line = %q", line)
	}
	c := countResults([]Result{{Pass: true}, {Pass: false}, r, {Pass: true}})
	if got := c.String(); got != "2 passed, 1 failed, 1 not run" {
		t.Errorf("summary = %q", got)
	}
}

func TestClusterModeShapesTheChildrenIndex(t *testing.T) {
	auth := esauth.Config{Username: "u", Password: "p", CACertFile: "/ca.crt"}
	for _, tc := range []struct {
		nodes int
		want  bool
	}{{1, false}, {2, false}, {3, true}} {
		h := &harness{cfg: Config{ESNodes: tc.nodes, ESAuth: &auth}}
		env := h.childEnv()
		got := slices.Contains(env, "ASSETS_INDEX_SHARDS=3") && slices.Contains(env, "ASSETS_INDEX_REPLICAS=1")
		if got != tc.want {
			t.Errorf("%d nodes: shards and replicas set %v, want %v", tc.nodes, got, tc.want)
		}
		for _, kv := range []string{"ASSETS_ELASTICSEARCH_USERNAME=u", "ASSETS_ELASTICSEARCH_PASSWORD=p", "ASSETS_ELASTICSEARCH_CA_CERT=/ca.crt"} {
			if !slices.Contains(env, kv) {
				t.Errorf("%d nodes: the children miss %s", tc.nodes, kv)
			}
		}
	}
}

func TestESClientSendsCredentials(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("Authorization"))
	}))
	defer srv.Close()
	for _, auth := range []esauth.Config{{APIKey: "k3y"}, {Username: "u", Password: "p"}, {}} {
		c, err := newESHTTPClient(auth)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	if want := []string{"ApiKey k3y", "Basic dTpw", ""}; !slices.Equal(got, want) {
		t.Errorf("Authorization headers %q, want %q", got, want)
	}
}

func TestSummarizeReads(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	for _, tc := range []struct {
		name         string
		outcomes     []outcome
		end          float64
		non200       int
		gap, failing time.Duration
	}{
		{"all good", []outcome{{at: at(1), status: 200}, {at: at(2), status: 200}}, 3, 0, time.Second, 0},
		{"a run of 503s and no answers", []outcome{
			{at: at(1), status: 200}, {at: at(2), status: 503, elapsed: 500 * time.Millisecond}, {at: at(3), status: 0},
			{at: at(6), status: 200}, {at: at(7), status: 200},
		}, 7, 2, 5 * time.Second, 4500 * time.Millisecond},
		{"failing to the end", []outcome{{at: at(1), status: 200}, {at: at(2), status: 502}}, 5, 1, 4 * time.Second, 3 * time.Second},
		{"a 4xx is not 200 but no failure run", []outcome{{at: at(1), status: 200}, {at: at(2), status: 404}, {at: at(3), status: 200}}, 3, 1, 2 * time.Second, 0},
		{"nothing", nil, 2, 0, 2 * time.Second, 0},
	} {
		s := summarizeReads(t0, at(tc.end), tc.outcomes)
		if s.non200 != tc.non200 || s.longestGap != tc.gap || s.longestFailing != tc.failing || s.total != len(tc.outcomes) {
			t.Errorf("%s: non200 %d gap %s failing %s, want %d %s %s", tc.name, s.non200, s.longestGap, s.longestFailing, tc.non200, tc.gap, tc.failing)
		}
	}
}

func TestOnReplica(t *testing.T) {
	for _, tc := range []struct{ link, want string }{
		{"http://127.0.0.1:1/rest/x?a=1", "http://127.0.0.1:2/rest/x?a=1"},
		{"/rest/x?a=1", "http://127.0.0.1:2/rest/x?a=1"},
		{"http://127.0.0.1:2/rest/x?a=1", "http://127.0.0.1:2/rest/x?a=1"},
	} {
		if got := onReplica(tc.link, "http://127.0.0.1:1", "http://127.0.0.1:2"); got != tc.want {
			t.Errorf("onReplica(%q) = %q, want %q", tc.link, got, tc.want)
		}
	}
}

// The worker's log lines of benign version conflicts are summed from the
// mark on, so an earlier run's lines in the same log do not count.
func TestCountStale(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sync.log")
	old := `time=x level=INFO msg="Elasticsearch already had these versions or newer (benign version conflicts)" documents=100` + "\n"
	fresh := `time=y level=INFO msg="sync progress" synced=3
time=y level=INFO msg="Elasticsearch already had these versions or newer (benign version conflicts)" documents=2
time=z level=INFO msg="Elasticsearch already had these versions or newer (benign version conflicts)" documents=5
`
	if err := os.WriteFile(p, []byte(old+fresh), 0o644); err != nil {
		t.Fatal(err)
	}
	n, err := countStale(p, int64(len(old)))
	if err != nil || n != 7 {
		t.Errorf("countStale = %d, %v; want 7", n, err)
	}
	if n, err := countStale(filepath.Join(t.TempDir(), "none.log"), 0); err != nil || n != 0 {
		t.Errorf("a missing log: %d, %v", n, err)
	}
}

// TestPublishedContractWithoutFileIsNotRun: the published contract lives
// outside the repository, so without a path the drill is not run (and says
// how to give one) rather than failing or passing.
func TestPublishedContractWithoutFileIsNotRun(t *testing.T) {
	h := &harness{cfg: Config{ESNodes: 1}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ran := false
	d := drill{name: "published-contract", missing: publishedContractMissing,
		run: func(context.Context, *harness) Result { ran = true; return Result{Pass: true} }}
	r := runOne(context.Background(), h, d)
	if ran || !r.NotRun || r.Pass || !strings.Contains(r.Reason, PublishedContractEnv) {
		t.Fatalf("ran %v, result %+v", ran, r)
	}
	h.cfg.PublishedContract = "/some/openapi.json"
	if why := publishedContractMissing(h.cfg); why != "" {
		t.Errorf("with a file: %q", why)
	}
}
