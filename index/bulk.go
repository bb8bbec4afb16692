package index

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// WriteItem is one document change for Write. Doc nil means delete.
type WriteItem struct {
	ID      string
	Version int64
	Doc     *Document
}

// WriteResult is the outcome of one WriteItem over all targets. Err is nil
// when every target acknowledged it; a version conflict counts as
// acknowledged (Stale) because an equal or newer version is already there.
type WriteResult struct {
	ID    string
	Stale bool
	Err   error
}

// ItemError is a per-item failure reported by Elasticsearch.
type ItemError struct {
	Index  string
	Status int
	Type   string
	Reason string
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("index %s: status %d: %s: %s", e.Index, e.Status, e.Type, e.Reason)
}

type bulkResponse struct {
	Errors bool                          `json:"errors"`
	Items  []map[string]bulkResponseItem `json:"items"`
}

type bulkResponseItem struct {
	Index  string `json:"_index"`
	Status int    `json:"status"`
	Result string `json:"result"`
	Error  *struct {
		Type   string `json:"type"`
		Reason string `json:"reason"`
	} `json:"error"`
}

// Write applies every item to every target index in one _bulk request with
// version_type=external, so replays and reordering never move a document
// back. Results are in item order. The error is for the request as a whole
// (Elasticsearch unreachable, rejected body); then nothing is known to be
// written.
func (c *Client) Write(ctx context.Context, targets []string, items []WriteItem) ([]WriteResult, error) {
	if len(targets) == 0 || len(items) == 0 {
		return make([]WriteResult, len(items)), nil
	}
	results := make([]WriteResult, len(items))
	buf := make([]byte, 0, len(items)*len(targets)*1024)
	for i, it := range items {
		results[i].ID = it.ID
		var doc []byte
		if it.Doc != nil {
			var err error
			if doc, err = it.Doc.AppendJSON(nil); err != nil {
				results[i].Err = err
				continue
			}
		}
		for _, t := range targets {
			buf = appendAction(buf, it, t)
			if doc != nil {
				buf = append(buf, doc...)
				buf = append(buf, '\n')
			}
		}
	}
	if len(buf) == 0 {
		return results, nil
	}
	var res bulkResponse
	path := "/_bulk?filter_path=errors,items.*.status,items.*.result,items.*._index,items.*.error.type,items.*.error.reason"
	if err := c.do(ctx, http.MethodPost, path, buf, &res); err != nil {
		return nil, fmt.Errorf("writing %d documents to %v: %w", len(items), targets, err)
	}
	// Response items follow the request's order: items without an encoding
	// error, each once per target.
	n := 0
	for i, it := range items {
		if results[i].Err != nil {
			continue
		}
		for range targets {
			if n >= len(res.Items) {
				return nil, fmt.Errorf("writing documents: %d response items for a longer request", len(res.Items))
			}
			for _, ri := range res.Items[n] {
				stale, err := itemOutcome(ri, it.Doc == nil)
				results[i].Stale = results[i].Stale || stale
				if err != nil && results[i].Err == nil {
					results[i].Err = err
				}
			}
			n++
		}
	}
	return results, nil
}

func appendAction(b []byte, it WriteItem, index string) []byte {
	if it.Doc == nil {
		b = append(b, `{"delete":{"_index":`...)
	} else {
		b = append(b, `{"index":{"_index":`...)
	}
	b = appendString(b, index)
	b = append(b, `,"_id":`...)
	b = appendString(b, it.ID)
	b = append(b, `,"version":`...)
	b = strconv.AppendInt(b, it.Version, 10)
	return append(b, `,"version_type":"external"}}`+"\n"...)
}

// itemOutcome maps one bulk response item: 2xx is done; 409 means an equal
// or newer version is there (done); a delete of a missing document is done
// (its tombstone still records the version).
func itemOutcome(ri bulkResponseItem, isDelete bool) (stale bool, err error) {
	switch {
	case ri.Status >= 200 && ri.Status < 300:
		return false, nil
	case ri.Status == http.StatusConflict:
		return true, nil
	case ri.Status == http.StatusNotFound && isDelete && ri.Error == nil:
		return false, nil
	}
	e := &ItemError{Index: ri.Index, Status: ri.Status}
	if ri.Error != nil {
		e.Type, e.Reason = ri.Error.Type, ri.Error.Reason
	}
	return false, e
}

// BulkLoaderConfig configures a BulkLoader.
type BulkLoaderConfig struct {
	Index      string // the one target index (a concrete name)
	Workers    int    // concurrent _bulk requests; default 2
	FlushBytes int    // request body size; default 5 MiB
	// Retries is how many times documents Elasticsearch rejected for load
	// (429, es_rejected_execution_exception) are sent again before they
	// count as failed; default BulkRetriesDefault, negative for none.
	Retries int
	// RetryBackoff is the wait before the first resend; it doubles on each
	// further one up to BulkRetryMaxBackoffDefault. Default
	// BulkRetryBackoffDefault.
	RetryBackoff time.Duration
}

// Defaults of the BulkLoader's retries of rejected documents.
const (
	// BulkRetriesDefault bounds the resends of a rejected document: enough
	// to ride out a busy node's write queue, few enough that a cluster that
	// stays overloaded fails the reindex instead of stalling it.
	BulkRetriesDefault = 6
	// BulkRetryBackoffDefault is the wait before the first resend.
	BulkRetryBackoffDefault = 200 * time.Millisecond
	// BulkRetryMaxBackoffDefault caps the doubling wait between resends.
	BulkRetryMaxBackoffDefault = 5 * time.Second
)

// BulkLoadStats counts a BulkLoader's outcomes.
type BulkLoadStats struct {
	Added     uint64
	Indexed   uint64
	Conflicts uint64 // an equal or newer version was there (fine)
	Failed    uint64
	Failures  []BulkFailure // the first maxFailures
	Requests  uint64
	Retries   uint64 // documents sent again after a rejection for load
}

// BulkFailure is one document a BulkLoader could not write.
type BulkFailure struct {
	ID  string
	Err error
}

const maxFailures = 100

// BulkLoader streams documents into one index with external versions, for
// reindexing. Documents are encoded straight into the next request body and
// a fixed number of workers send full bodies, so the loader costs little
// more than the raw _bulk requests themselves. Add may be called
// concurrently; Close flushes and waits.
type BulkLoader struct {
	c          *Client
	ctx        context.Context
	index      string
	flushBytes int
	retries    int
	backoff    time.Duration
	work       chan bulkBatch
	wg         sync.WaitGroup
	pool       sync.Pool

	mu      sync.Mutex // guards cur and the counters below
	cur     bulkBatch
	closed  bool
	stats   BulkLoadStats
	lastErr error
}

type bulkBatch struct {
	body []byte
	ids  []string // document ids in body order
	offs []int    // where each document's action line starts in body
}

// span is document i's action and source lines.
func (b *bulkBatch) span(i int) []byte {
	end := len(b.body)
	if i+1 < len(b.offs) {
		end = b.offs[i+1]
	}
	return b.body[b.offs[i]:end]
}

// subset is a new batch of the documents at the given positions.
func (b *bulkBatch) subset(positions []int) bulkBatch {
	out := bulkBatch{ids: make([]string, 0, len(positions)), offs: make([]int, 0, len(positions))}
	for _, i := range positions {
		out.offs = append(out.offs, len(out.body))
		out.body = append(out.body, b.span(i)...)
		out.ids = append(out.ids, b.ids[i])
	}
	return out
}

// NewBulkLoader starts a loader whose requests run under ctx.
func (c *Client) NewBulkLoader(ctx context.Context, cfg BulkLoaderConfig) (*BulkLoader, error) {
	if cfg.Index == "" {
		return nil, errors.New("starting bulk loader: no index")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.FlushBytes <= 0 {
		cfg.FlushBytes = 5 << 20
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = BulkRetriesDefault
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = BulkRetryBackoffDefault
	}
	l := &BulkLoader{c: c, ctx: ctx, index: cfg.Index, flushBytes: cfg.FlushBytes,
		retries: cfg.Retries, backoff: cfg.RetryBackoff, work: make(chan bulkBatch)}
	l.pool.New = func() any { return &bulkBatch{body: make([]byte, 0, cfg.FlushBytes+cfg.FlushBytes/8)} }
	l.cur = l.newBatch()
	for range cfg.Workers {
		l.wg.Go(l.worker)
	}
	return l, nil
}

func (l *BulkLoader) newBatch() bulkBatch {
	b := l.pool.Get().(*bulkBatch)
	return bulkBatch{body: b.body[:0], ids: b.ids[:0], offs: b.offs[:0]}
}

// Add appends one document, with its version as the external version. It
// blocks while every worker is busy (back-pressure).
func (l *BulkLoader) Add(ctx context.Context, doc *Document) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errors.New("adding to a closed bulk loader")
	}
	n := len(l.cur.body)
	l.cur.offs = append(l.cur.offs, n)
	l.cur.body = appendAction(l.cur.body, WriteItem{ID: doc.ID, Version: doc.Version, Doc: doc}, l.index)
	body, err := doc.AppendJSON(l.cur.body)
	if err != nil {
		l.cur.body = l.cur.body[:n]
		l.cur.offs = l.cur.offs[:len(l.cur.offs)-1]
		l.stats.Added++
		l.fail(doc.ID, err)
		l.mu.Unlock()
		return nil
	}
	l.cur.body = append(body, '\n')
	l.cur.ids = append(l.cur.ids, doc.ID)
	l.stats.Added++
	var full bulkBatch
	if len(l.cur.body) >= l.flushBytes {
		full, l.cur = l.cur, l.newBatch()
	}
	l.mu.Unlock()
	if full.body == nil {
		return nil
	}
	select {
	case l.work <- full:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fail records a failed document; l.mu is held.
func (l *BulkLoader) fail(id string, err error) {
	l.stats.Failed++
	if len(l.stats.Failures) < maxFailures {
		l.stats.Failures = append(l.stats.Failures, BulkFailure{ID: id, Err: err})
	}
}

type loadResponse struct {
	Errors bool `json:"errors"`
	Items  []struct {
		Index bulkResponseItem `json:"index"`
	} `json:"items"`
}

func (l *BulkLoader) worker() {
	for b := range l.work {
		l.send(b)
		l.pool.Put(&bulkBatch{body: b.body[:0], ids: b.ids[:0], offs: b.offs[:0]})
	}
}

// send writes one batch. Documents Elasticsearch rejected for load (and a
// whole request answered 429) are sent again after a doubling wait, up to
// l.retries times, instead of failing the run on a busy node; after that
// they count as failed.
func (l *BulkLoader) send(b bulkBatch) {
	wait := l.backoff
	for attempt := 0; ; attempt++ {
		var res loadResponse
		err := l.c.do(l.ctx, http.MethodPost, "/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason", b.body, &res)
		final := attempt >= l.retries
		var again []int
		if err != nil && isStatus(err, http.StatusTooManyRequests) && !final {
			l.mu.Lock()
			l.stats.Requests++
			l.mu.Unlock()
			again = make([]int, len(b.ids))
			for i := range again {
				again[i] = i
			}
		} else {
			again = l.record(b, res, err, final)
		}
		if len(again) == 0 {
			return
		}
		l.mu.Lock()
		l.stats.Retries += uint64(len(again))
		l.mu.Unlock()
		if len(again) < len(b.ids) {
			b = b.subset(again)
		}
		select {
		case <-l.ctx.Done():
			l.record(b, loadResponse{}, l.ctx.Err(), true)
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, BulkRetryMaxBackoffDefault)
	}
}

// record counts the outcome of one request and returns the positions of
// the documents to send again (rejected for load, unless final).
func (l *BulkLoader) record(b bulkBatch, res loadResponse, err error, final bool) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stats.Requests++
	switch {
	case err != nil:
		l.lastErr = err
		for _, id := range b.ids {
			l.fail(id, err)
		}
		return nil
	case !res.Errors:
		l.stats.Indexed += uint64(len(b.ids))
		return nil
	}
	var again []int
	for i, id := range b.ids {
		if i >= len(res.Items) {
			l.fail(id, errors.New("no response item"))
			continue
		}
		switch ri := res.Items[i].Index; {
		case ri.Status >= 200 && ri.Status < 300:
			l.stats.Indexed++
		case ri.Status == http.StatusConflict:
			l.stats.Conflicts++
		case rejectedForLoad(ri) && !final:
			again = append(again, i)
		default:
			ri.Index = l.index
			_, err := itemOutcome(ri, false)
			l.fail(id, err)
		}
	}
	return again
}

// rejectedForLoad tells an item Elasticsearch refused because it was busy
// (its write queue full), which a later resend may pass, from one it
// refused for good.
func rejectedForLoad(ri bulkResponseItem) bool {
	return ri.Status == http.StatusTooManyRequests ||
		(ri.Error != nil && ri.Error.Type == "es_rejected_execution_exception")
}

// Close sends what is buffered, waits for the workers and returns the
// counts. The error reports a failed request (its documents count as
// Failed); per-document failures are only in the stats.
func (l *BulkLoader) Close(ctx context.Context) (BulkLoadStats, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.Stats(), nil
	}
	l.closed = true
	last := l.cur
	l.cur = bulkBatch{}
	l.mu.Unlock()
	if len(last.ids) > 0 {
		select {
		case l.work <- last:
		case <-ctx.Done():
		}
	}
	close(l.work)
	l.wg.Wait()
	s := l.Stats()
	l.mu.Lock()
	err := l.lastErr
	l.mu.Unlock()
	if err != nil {
		return s, fmt.Errorf("bulk loading into %s: %w", l.index, err)
	}
	return s, ctx.Err()
}

// Stats returns the counts so far.
func (l *BulkLoader) Stats() BulkLoadStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stats
	s.Failures = append([]BulkFailure(nil), l.stats.Failures...)
	return s
}
