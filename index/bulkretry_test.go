package index

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/openinventory/assets/internal/testenv"
)

func TestRejectedForLoad(t *testing.T) {
	t.Parallel()
	errOf := func(typ string) *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} {
		return &struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		}{Type: typ}
	}
	for _, tc := range []struct {
		name string
		item bulkResponseItem
		want bool
	}{
		{"429", bulkResponseItem{Status: 429, Error: errOf("es_rejected_execution_exception")}, true},
		{"429 without a type", bulkResponseItem{Status: 429}, true},
		{"rejected execution under another status", bulkResponseItem{Status: 503, Error: errOf("es_rejected_execution_exception")}, true},
		{"mapping error", bulkResponseItem{Status: 400, Error: errOf("strict_dynamic_mapping_exception")}, false},
		{"conflict", bulkResponseItem{Status: 409, Error: errOf("version_conflict_engine_exception")}, false},
		{"created", bulkResponseItem{Status: 201}, false},
		{"server error", bulkResponseItem{Status: 500, Error: errOf("exception")}, false},
	} {
		if got := rejectedForLoad(tc.item); got != tc.want {
			t.Errorf("%s: rejectedForLoad = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestBulkBatchSubset(t *testing.T) {
	t.Parallel()
	b := bulkBatch{body: []byte("a1\na2\nb1\nb2\nc1\nc2\n"), ids: []string{"a", "b", "c"}, offs: []int{0, 6, 12}}
	s := b.subset([]int{0, 2})
	if string(s.body) != "a1\na2\nc1\nc2\n" || fmt.Sprint(s.ids) != "[a c]" || fmt.Sprint(s.offs) != "[0 6]" {
		t.Errorf("subset = %q %v %v", s.body, s.ids, s.offs)
	}
	if string(s.span(1)) != "c1\nc2\n" {
		t.Errorf("span(1) = %q", s.span(1))
	}
}

// rejectingProxy answers the first `rejections` _bulk requests itself,
// every item refused with es_rejected_execution_exception (a full write
// queue), and forwards everything else to the real Elasticsearch.
type rejectingProxy struct {
	rejections int64
	bulks      atomic.Int64
	proxy      *httputil.ReverseProxy
}

func (p *rejectingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/_bulk") || p.bulks.Add(1) > p.rejections {
		p.proxy.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	docs := bytes.Count(body, []byte("\n")) / 2
	items := make([]string, docs)
	for i := range items {
		items[i] = `{"index":{"status":429,"error":{"type":"es_rejected_execution_exception","reason":"write queue full"}}}`
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Elastic-Product", "Elasticsearch")
	fmt.Fprintf(w, `{"errors":true,"items":[%s]}`, strings.Join(items, ","))
}

func loadThrough(t *testing.T, rejections int64, retries int) (BulkLoadStats, *rejectingProxy, *Client, error) {
	t.Helper()
	direct := newTestClient(t)
	rp := &rejectingProxy{rejections: rejections, proxy: testenv.ElasticsearchProxy(t)}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	c := New(es, direct.Alias())
	ctx := context.Background()
	name := c.NewIndexName()
	if err := c.CreateIndex(ctx, name); err != nil {
		t.Fatal(err)
	}
	l, err := c.NewBulkLoader(ctx, BulkLoaderConfig{Index: name, Workers: 1, Retries: retries, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	assets, _ := synthAssets(40, 7)
	for _, a := range assets {
		d := Project(a)
		if err := l.Add(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	stats, err := l.Close(ctx)
	if rerr := direct.Refresh(ctx, name); rerr != nil {
		t.Fatal(rerr)
	}
	return stats, rp, direct, err
}

// Documents refused for load are sent again and land; the run succeeds.
func TestBulkLoaderRetriesRejectedDocuments(t *testing.T) {
	t.Parallel()
	stats, rp, c, err := loadThrough(t, 2, 3)
	if err != nil || stats.Failed != 0 || stats.Indexed != 40 || stats.Retries != 80 {
		t.Fatalf("stats %+v, err %v; want 40 indexed after 2 rejected rounds", stats, err)
	}
	if rp.bulks.Load() != 3 {
		t.Errorf("%d _bulk requests, want 3", rp.bulks.Load())
	}
	infos, err := c.Indexes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var docs int64
	for _, in := range infos {
		docs += in.Docs
	}
	if docs != 40 {
		t.Errorf("%d documents in Elasticsearch, want 40", docs)
	}
}

// Retries are bounded: a node that keeps refusing fails the documents.
func TestBulkLoaderGivesUpAfterItsRetries(t *testing.T) {
	t.Parallel()
	stats, rp, _, _ := loadThrough(t, 1000, 2)
	if stats.Failed != 40 || stats.Indexed != 0 || rp.bulks.Load() != 3 {
		t.Fatalf("stats %+v after %d requests; want 40 failed after 1 + 2 attempts", stats, rp.bulks.Load())
	}
	if ie, ok := stats.Failures[0].Err.(*ItemError); !ok || ie.Status != http.StatusTooManyRequests {
		t.Errorf("failure = %v, want the 429 item error", stats.Failures[0].Err)
	}
}
