package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
	assetsync "github.com/openinventory/assets/sync"
)

// The raw _bulk load uses what sync.Reindex uses by default: two
// concurrent requests of about 5 MiB (index.BulkLoader's flush size), the
// same action lines (external versions) and the same response filter.
const (
	rawWorkers    = 2
	rawFlushBytes = 5 << 20
	rawBulkPath   = "/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason"
	rawPageSize   = 2000
)

// bulkChunk is one pre-encoded _bulk body in the spool file.
type bulkChunk struct {
	off, n int64
	docs   int
}

// measureReindex loads every asset into fresh indexes three times: raw
// _bulk requests whose bodies were encoded beforehand (so the time is
// Elasticsearch's alone), then sync.Reindex, which reads PostgreSQL,
// projects and encodes as it goes and swaps the alias at the end, then
// the raw load again. The reindex is compared with the mean of the two raw
// loads around it, so drift in the machine's load falls on both sides.
func (r *runner) measureReindex(ctx context.Context) error {
	if err := r.waitBacklog(ctx, 5*time.Minute); err != nil {
		return err
	}
	raw := r.idx.NewIndexName() + "-raw"
	t0 := time.Now()
	f, chunks, docs, err := r.encodeBulk(ctx, raw)
	if f != nil {
		defer os.Remove(f.Name())
		defer f.Close()
	}
	if err != nil {
		return err
	}
	encode := time.Since(t0)
	r.log.Info("bench: encoded the raw _bulk bodies", "docs", docs, "requests", len(chunks), "elapsed", encode.Round(time.Millisecond))

	var raws []time.Duration
	var rawCPU []CPU
	rawLoad := func() error {
		if err := r.idx.CreateIndex(ctx, raw); err != nil {
			return err
		}
		before := r.cpuNow(ctx)
		d, failed, err := r.rawBulk(ctx, f, chunks, raw)
		rawCPU = append(rawCPU, r.cpuNow(ctx).sub(before))
		// The raw index is the bench's own, not a name the deployment makes
		// (the index client refuses to delete those), so plain HTTP deletes it.
		if _, derr := r.es.Do(context.WithoutCancel(ctx), http.MethodDelete, "/"+raw, nil); derr != nil {
			r.log.Warn("bench: deleting the raw _bulk index", "err", derr)
		}
		if err != nil {
			return err
		}
		if failed > 0 {
			return fmt.Errorf("raw _bulk: %d documents failed", failed)
		}
		r.log.Info("bench: raw _bulk done", "docs", docs, "elapsed", d.Round(time.Millisecond))
		raws = append(raws, d)
		return nil
	}
	if err := rawLoad(); err != nil {
		return err
	}
	before := r.cpuNow(ctx)
	res, err := assetsync.Reindex(ctx, r.pool, r.idx, r.log, assetsync.ReindexConfig{Progress: r.reindexProgress()})
	if err != nil {
		return fmt.Errorf("reindexing: %w", err)
	}
	reindexCPU := r.cpuNow(ctx).sub(before)
	r.log.Info("bench: reindex done", "docs", res.Docs, "elapsed", res.Duration.Round(time.Millisecond))
	if err := rawLoad(); err != nil {
		return err
	}
	t := &Throughput{
		Docs: docs, Workers: rawWorkers, FlushBytes: rawFlushBytes, EncodeSeconds: encode.Seconds(),
		ReindexDocs: int64(res.Docs), ReindexSeconds: res.Duration.Seconds(),
		ReindexDocsPerSecond: float64(res.Docs) / res.Duration.Seconds(),
		RawCPU:               rawCPU, ReindexCPU: reindexCPU,
	}
	for _, d := range raws {
		t.RawRuns = append(t.RawRuns, d.Seconds())
		t.RawSeconds += d.Seconds() / float64(len(raws))
	}
	t.RawDocsPerSecond = float64(docs) / t.RawSeconds
	t.Ratio = ratio(t.ReindexDocsPerSecond, t.RawDocsPerSecond)
	r.rep.Reindex = t
	return nil
}

// idHalves split the UUID space in two: after < id <= upTo.
var idHalves = [][2]string{
	{"", "7fffffff-ffff-ffff-ffff-ffffffffffff"},
	{"7fffffff-ffff-ffff-ffff-ffffffffffff", "ffffffff-ffff-ffff-ffff-ffffffffffff"},
}

// encodeBulk writes every asset as _bulk bodies for target into a spool
// file, two readers at once, and returns the bodies' places.
func (r *runner) encodeBulk(ctx context.Context, target string) (*os.File, []bulkChunk, int64, error) {
	f, err := os.CreateTemp("", "assets-bench-bulk-*.ndjson")
	if err != nil {
		return nil, nil, 0, fmt.Errorf("creating the _bulk spool file: %w", err)
	}
	var mu sync.Mutex
	var chunks []bulkChunk
	var off, docs int64
	write := func(body []byte, n int) error {
		mu.Lock()
		defer mu.Unlock()
		if _, err := f.Write(body); err != nil {
			return fmt.Errorf("writing the _bulk spool file: %w", err)
		}
		chunks = append(chunks, bulkChunk{off: off, n: int64(len(body)), docs: n})
		off += int64(len(body))
		docs += int64(n)
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, half := range idHalves {
		g.Go(func() error {
			buf := make([]byte, 0, rawFlushBytes+rawFlushBytes/8)
			n := 0
			for after := half[0]; ; {
				page, err := store.AssetPageRange(gctx, r.pool, after, half[1], rawPageSize)
				if err != nil {
					return err
				}
				for _, a := range page {
					doc := index.Project(a)
					buf = appendBulkAction(buf, target, a.ID, a.Version)
					if buf, err = doc.AppendJSON(buf); err != nil {
						return fmt.Errorf("encoding asset %s: %w", a.ID, err)
					}
					buf = append(buf, '\n')
					n++
					if len(buf) >= rawFlushBytes {
						if err := write(buf, n); err != nil {
							return err
						}
						buf, n = buf[:0], 0
					}
				}
				if len(page) < rawPageSize {
					break
				}
				after = page[len(page)-1].ID
			}
			if n > 0 {
				return write(buf, n)
			}
			return nil
		})
	}
	return f, chunks, docs, g.Wait()
}

// appendBulkAction is the action line index.BulkLoader writes.
func appendBulkAction(b []byte, target, id string, version int64) []byte {
	b = append(b, `{"index":{"_index":`...)
	b = strconv.AppendQuote(b, target)
	b = append(b, `,"_id":`...)
	b = strconv.AppendQuote(b, id)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, version, 10)
	return append(b, `,"version_type":"external"}}`+"\n"...)
}

// rawBulk sends the spooled bodies with rawWorkers concurrent requests and
// refreshes the index, returning the time taken and the failed documents.
func (r *runner) rawBulk(ctx context.Context, f *os.File, chunks []bulkChunk, target string) (time.Duration, int64, error) {
	var next atomic.Int64
	var failed atomic.Int64
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for range rawWorkers {
		g.Go(func() error {
			var buf []byte
			for {
				i := next.Add(1) - 1
				if i >= int64(len(chunks)) {
					return nil
				}
				c := chunks[i]
				if int64(cap(buf)) < c.n {
					buf = make([]byte, c.n)
				}
				body := buf[:c.n]
				if _, err := f.ReadAt(body, c.off); err != nil {
					return fmt.Errorf("reading the _bulk spool file: %w", err)
				}
				b, err := r.es.Bulk(gctx, rawBulkPath, body)
				if err != nil {
					return fmt.Errorf("raw _bulk: %w", err)
				}
				var res struct {
					Errors bool `json:"errors"`
					Items  []struct {
						Index struct {
							Status int `json:"status"`
						} `json:"index"`
					} `json:"items"`
				}
				if err := json.Unmarshal(b, &res); err != nil {
					return fmt.Errorf("raw _bulk: decoding the answer: %w", err)
				}
				if res.Errors {
					for _, it := range res.Items {
						if s := it.Index.Status; (s < 200 || s > 299) && s != 409 {
							failed.Add(1)
						}
					}
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return 0, 0, err
	}
	if err := r.idx.Refresh(ctx, target); err != nil {
		return 0, 0, err
	}
	return time.Since(start), failed.Load(), nil
}
