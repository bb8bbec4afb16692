package index

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"
)

// BenchmarkProjectEncode is the per-document cost of a reindex's CPU side.
func BenchmarkProjectEncode(b *testing.B) {
	assets, _ := synthAssets(1000, 42)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := range b.N {
		d := Project(assets[i%len(assets)])
		var err error
		buf, err = d.AppendJSON(buf[:0])
		if err != nil {
			b.Fatal(err)
		}
		n += len(buf)
	}
	b.SetBytes(int64(n / b.N))
}

// BenchmarkProjectEncodingJSON is the same with encoding/json, for comparison.
func BenchmarkProjectEncodingJSON(b *testing.B) {
	assets, _ := synthAssets(1000, 42)
	type plain Document
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		d := Project(assets[i%len(assets)])
		if _, err := json.Marshal((*plain)(&d)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeAsset(b *testing.B) {
	assets, _ := synthAssets(1000, 42)
	srcs := make([][]byte, len(assets))
	for i, a := range assets {
		d := Project(a)
		srcs[i], _ = d.AppendJSON(nil)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := DecodeAsset(srcs[i%len(srcs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBulkLoad compares BulkLoader (projection and encoding included)
// with raw _bulk requests of pre-encoded documents into a fresh index, per
// 20,000 documents. It needs Elasticsearch.
func BenchmarkBulkLoad(b *testing.B) {
	c := newTestClient(b)
	ctx := context.Background()
	assets, _ := synthAssets(20000, 9)
	b.Run("loader", func(b *testing.B) {
		for range b.N {
			name := c.NewIndexName()
			if err := c.CreateIndex(ctx, name); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			l, err := c.NewBulkLoader(ctx, BulkLoaderConfig{Index: name, Workers: 2})
			if err != nil {
				b.Fatal(err)
			}
			for _, a := range assets {
				d := Project(a)
				if err := l.Add(ctx, &d); err != nil {
					b.Fatal(err)
				}
			}
			s, err := l.Close(ctx)
			if err != nil || s.Indexed != uint64(len(assets)) {
				b.Fatalf("%+v %v", s, err)
			}
			b.ReportMetric(float64(len(assets))/time.Since(start).Seconds(), "docs/s")
			_ = c.DeleteIndex(ctx, name)
		}
	})
	b.Run("raw", func(b *testing.B) {
		docs := make([]Document, len(assets))
		for i, a := range assets {
			docs[i] = Project(a)
		}
		bodies := bulkBodies(docs, "")
		for range b.N {
			name := c.NewIndexName()
			if err := c.CreateIndex(ctx, name); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			sendBulk(b, c, bodies, func(body []byte) []byte {
				return bytes.ReplaceAll(body, []byte(`"_index":""`), []byte(`"_index":"`+name+`"`))
			})
			b.ReportMetric(float64(len(assets))/time.Since(start).Seconds(), "docs/s")
			_ = c.DeleteIndex(ctx, name)
		}
	})
}

// bulkBodies encodes docs as _bulk bodies of about 5 MiB for the index
// name ("" to fill in when sending).
func bulkBodies(docs []Document, name string) [][]byte {
	var bodies [][]byte
	var cur []byte
	for i := range docs {
		cur = appendAction(cur, WriteItem{ID: docs[i].ID, Version: docs[i].Version, Doc: &docs[i]}, name)
		cur, _ = docs[i].AppendJSON(cur)
		if cur = append(cur, '\n'); len(cur) > 5<<20 {
			bodies, cur = append(bodies, cur), nil
		}
	}
	return append(bodies, cur)
}

// sendBulk sends the bodies two at a time, like the loader's workers,
// each through rewrite (nil: as they are).
func sendBulk(b *testing.B, c *Client, bodies [][]byte, rewrite func([]byte) []byte) {
	ctx := context.Background()
	var wg sync.WaitGroup
	work := make(chan []byte)
	for range 2 {
		wg.Go(func() {
			for body := range work {
				if rewrite != nil {
					body = rewrite(body)
				}
				if err := c.do(ctx, http.MethodPost, "/_bulk?filter_path=errors", body, nil); err != nil {
					b.Error(err)
				}
			}
		})
	}
	for _, body := range bodies {
		work <- body
	}
	close(work)
	wg.Wait()
}
