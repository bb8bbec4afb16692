package index

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/openinventory/assets/store"
)

// qBenchDocs is the size of the synthetic index of the q== benchmarks: what
// loads in well under a minute on a small shared machine.
const qBenchDocs = 100_000

// qBenchAssets are synthAssets with a distinct repository per asset, as a
// large inventory has, so the wildcards' term dictionaries are realistic.
func qBenchAssets(n int) []*store.Asset {
	assets, _ := synthAssets(n, 21)
	for i, a := range assets {
		a.Repository = fmt.Sprintf("%s-%05d", a.Repository, i%50_000)
		a.Name = a.Registry + "/" + a.Repository
	}
	return assets
}

// rawLoad creates name with body and loads the documents by raw _bulk
// (two requests at a time, as BenchmarkBulkLoad), then refreshes and
// merges to one segment; it returns the rate and the store size.
func rawLoad(b *testing.B, c *Client, name string, body map[string]any, docs []Document) (docsPerSec float64, storeBytes int64) {
	ctx := context.Background()
	if err := c.do(ctx, http.MethodPut, "/"+name, body, nil); err != nil {
		b.Fatal(err)
	}
	bodies := bulkBodies(docs, name)
	start := time.Now()
	sendBulk(b, c, bodies, nil)
	docsPerSec = float64(len(docs)) / time.Since(start).Seconds()
	if err := c.do(ctx, http.MethodPost, "/"+name+"/_forcemerge?max_num_segments=1", nil, nil); err != nil {
		b.Fatal(err)
	}
	var stats struct {
		All struct {
			Primaries struct {
				Store struct {
					Bytes int64 `json:"size_in_bytes"`
				} `json:"store"`
			} `json:"primaries"`
		} `json:"_all"`
	}
	if err := c.do(ctx, http.MethodGet, "/"+name+"/_stats/store", nil, &stats); err != nil {
		b.Fatal(err)
	}
	return docsPerSec, stats.All.Primaries.Store.Bytes
}

// BenchmarkQGramsLoad is the cost of q_grams to raw _bulk and to the index
// size: documents without grams, with them, and with them left out of
// _source (which Elasticsearch then re-serialises, so verify's digests of
// _source would no longer match). It needs Elasticsearch.
func BenchmarkQGramsLoad(b *testing.B) {
	c := newTestClient(b)
	assets := qBenchAssets(qBenchDocs / 2)
	docs := make([]Document, len(assets))
	for i, a := range assets {
		docs[i] = Project(a)
	}
	bare := slices.Clone(docs)
	for i := range bare {
		bare[i].QGrams, bare[i].QOverflow = nil, nil
	}
	excluded := indexBody()
	excluded["mappings"].(map[string]any)["_source"] = map[string]any{"excludes": []string{qGramsField}}
	for _, v := range []struct {
		name string
		body map[string]any
		docs []Document
	}{{"no-grams", indexBody(), bare}, {"grams", indexBody(), docs}, {"grams-not-in-source", excluded, docs}} {
		b.Run(v.name, func(b *testing.B) {
			for range b.N {
				name := c.NewIndexName()
				rate, size := rawLoad(b, c, name, v.body, v.docs)
				b.ReportMetric(rate, "docs/s")
				b.ReportMetric(float64(size)/float64(len(v.docs)), "bytes/doc")
				_ = c.DeleteIndex(context.Background(), name)
			}
		})
	}
}

// BenchmarkQ compares q== by wildcards (the old translation, qWildcards)
// with q== by grams (qQuery) on one index of qBenchDocs documents,
// reporting Elasticsearch's own p50 and p90 ("took") per search. It needs
// Elasticsearch.
func BenchmarkQ(b *testing.B) {
	c := newTestClient(b)
	ctx := context.Background()
	name := c.NewIndexName()
	docs := make([]Document, 0, qBenchDocs)
	for _, a := range qBenchAssets(qBenchDocs) {
		docs = append(docs, Project(a))
	}
	rate, size := rawLoad(b, c, name, indexBody(), docs)
	b.Logf("%d docs loaded at %.0f docs/s, %d bytes/doc", len(docs), rate, size/int64(len(docs)))
	defer func() { _ = c.DeleteIndex(ctx, name) }()
	for _, term := range []string{"nginx", "redis-0001", "sha256:ab", "v1", "x"} {
		for _, way := range []struct {
			name  string
			query func(string) Query
		}{{"wildcards", qWildcards}, {"grams", qQuery}} {
			b.Run(way.name+"/"+term, func(b *testing.B) {
				benchSearch(b, c, name, way.query(term))
			})
		}
	}
}

// benchSearch runs one first page of a search b.N times and reports the
// p50 and p90 of Elasticsearch's took.
func benchSearch(b *testing.B, c *Client, name string, q Query) {
	body := map[string]any{"size": 10, "track_total_hits": false, "query": Query{"bool": Query{"filter": []any{q}}},
		"sort": []any{Query{"id": "asc"}}, "_source": false}
	var tooks []float64
	for range b.N {
		var out struct {
			Took float64 `json:"took"`
		}
		if err := c.do(context.Background(), http.MethodPost, "/"+name+"/_search", body, &out); err != nil {
			b.Fatal(err)
		}
		tooks = append(tooks, out.Took)
	}
	slices.Sort(tooks)
	b.ReportMetric(tooks[len(tooks)/2], "p50-ms")
	b.ReportMetric(tooks[len(tooks)*9/10], "p90-ms")
}

// qWildcards is the translation of q== before q_grams: the exact substring
// search by wildcards over qFields, kept to compare with.
func qWildcards(lc string) Query {
	pat := "*" + escapeWildcard(lc) + "*"
	qs := make([]any, len(qFields))
	for i, f := range qFields {
		qs[i] = Query{"wildcard": Query{f: Query{"value": pat, "case_insensitive": true}}}
	}
	return or(qs...)
}
