package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/store"
)

// SizingOutboxRowsDefault is how many assets the outbox drain measurement
// updates at once (fewer when the data set is smaller): enough rows that
// the worker's start-up and the last refresh are a small part of the time.
const SizingOutboxRowsDefault = 100_000

// sizingLabel is the label the outbox drain adds; cleanLabels' prefix
// covers it, so an interrupted run is cleaned by the next one.
const sizingLabel = benchLabelPrefix + "sizing"

// sizingDrainTimeout bounds one drain of the outbox.
const sizingDrainTimeout = 15 * time.Minute

// SizingConfig are the knobs of the sizing step.
type SizingConfig struct {
	// OutboxRows assets are updated in one statement to time the drain;
	// 0 means SizingOutboxRowsDefault.
	OutboxRows int
}

func (c SizingConfig) check() error {
	if c.OutboxRows < 0 {
		return fmt.Errorf("--sizing-outbox-rows %d: must not be negative", c.OutboxRows)
	}
	return nil
}

// Sizing is what the sizing model is built from, all measured in one run.
type Sizing struct {
	// Background is the CPU Elasticsearch spent per second while this run
	// sent it nothing (other users of the cluster, housekeeping). It is
	// taken off every Elasticsearch CPU figure below, times its duration.
	Background BackgroundCPU `json:"elasticsearch_background"`
	Index      IndexSize     `json:"index"`
	Postgres   PostgresSize  `json:"postgresql"`
	// Bulk is the Elasticsearch CPU of the raw _bulk loads.
	Bulk    BulkCPU       `json:"bulk_cpu"`
	Queries []QueryCPU    `json:"query_cpu"`
	Outbox  []OutboxDrain `json:"outbox_drain"`
}

// IndexSize is the index behind the alias: disk (_stats/store) and the
// heap Elasticsearch attributes to it (_stats: segments, caches).
type IndexSize struct {
	Docs              int64 `json:"docs"`
	Shards            int   `json:"primary_shards"`
	PrimaryStoreBytes int64 `json:"primary_store_bytes"`
	Segments          int64 `json:"segments"`
	// The heap parts Elasticsearch reports for the index (primaries and
	// replicas). In Elasticsearch 8 segment memory is mostly off heap, so
	// SegmentsMemoryBytes is near 0; the caches fill with reads.
	SegmentsMemoryBytes int64 `json:"segments_memory_bytes"`
	FixedBitSetBytes    int64 `json:"fixed_bit_set_bytes"`
	VersionMapBytes     int64 `json:"version_map_bytes"`
	IndexWriterBytes    int64 `json:"index_writer_bytes"`
	FielddataBytes      int64 `json:"fielddata_bytes"`
	QueryCacheBytes     int64 `json:"query_cache_bytes"`
	RequestCacheBytes   int64 `json:"request_cache_bytes"`
	// HeapBytes is the sum of the parts above.
	HeapBytes int64 `json:"heap_attributed_bytes"`
	// The node's whole heap, for scale (it holds every index on it).
	NodeHeapUsedBytes int64 `json:"node_heap_used_bytes"`
	NodeHeapMaxBytes  int64 `json:"node_heap_max_bytes"`
}

// PostgresSize is the database's size and its tables' (with indexes and
// TOAST, pg_total_relation_size).
type PostgresSize struct {
	DatabaseBytes int64       `json:"database_bytes"`
	Tables        []TableSize `json:"tables"`
}

// TableSize is one table's pg_total_relation_size.
type TableSize struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// BackgroundCPU is Elasticsearch's CPU over a quiet window.
type BackgroundCPU struct {
	Seconds      float64 `json:"seconds"`
	CPUPerSecond float64 `json:"cpu_seconds_per_second"`
}

// less is cpu (seconds over wall seconds) without the background, at
// least 0.
func (b BackgroundCPU) less(cpu, wall float64) float64 {
	return max(0, cpu-b.CPUPerSecond*wall)
}

// BulkCPU is Elasticsearch's CPU over the raw _bulk loads of the run.
type BulkCPU struct {
	Docs  int64 `json:"docs_per_load"`
	Loads int   `json:"loads"`
	// ElasticsearchSeconds is without the background; RawSeconds with.
	RawSeconds           float64 `json:"elasticsearch_cpu_seconds_per_load_raw"`
	ElasticsearchSeconds float64 `json:"elasticsearch_cpu_seconds_per_load"`
	PerThousandDocs      float64 `json:"elasticsearch_cpu_seconds_per_1000_docs"`
}

// QueryCPU is the CPU of N requests of one kind through the API, divided
// by N: Elasticsearch's and the API process's (serve).
type QueryCPU struct {
	Name     string  `json:"name"`
	Request  string  `json:"request"`
	Requests int     `json:"requests"`
	Seconds  float64 `json:"wall_seconds"`
	Failed   int     `json:"failed,omitempty"`
	// Per request, in CPU milliseconds; ElasticsearchMS is without the
	// background, RawElasticsearchMS with.
	ElasticsearchMS    float64 `json:"elasticsearch_cpu_ms_per_request"`
	RawElasticsearchMS float64 `json:"elasticsearch_cpu_ms_per_request_raw"`
	ServeMS            float64 `json:"serve_cpu_ms_per_request"`
	// ShardMS is the time the shards of the bench's index spent in the
	// query and fetch phases (its _stats/search), per request: work
	// attributed to this index alone, whatever else the node serves.
	ShardMS float64 `json:"elasticsearch_shard_ms_per_request"`
}

// OutboxDrain is one sync worker draining the outbox rows of one bulk
// update, from its commit to the outbox being empty.
type OutboxDrain struct {
	What          string  `json:"what"`
	Rows          int64   `json:"rows"`
	Workers       int     `json:"workers"`
	Seconds       float64 `json:"seconds"`
	RowsPerSecond float64 `json:"rows_per_second"`
	// ElasticsearchCPU is the CPU Elasticsearch spent meanwhile, without
	// the background.
	ElasticsearchCPU float64 `json:"elasticsearch_cpu_seconds"`
	// IndexMSPerThousand is the bench index's indexing time (its
	// _stats/indexing) per 1,000 rows drained.
	IndexMSPerThousand float64 `json:"elasticsearch_index_ms_per_1000_rows"`
}

// measureSizing measures what the sizing model needs. It runs after the
// reindex step, whose raw _bulk CPU it reuses, while the API and the one
// child worker run.
func (r *runner) measureSizing(ctx context.Context) error {
	if err := r.waitBacklog(ctx, 5*time.Minute); err != nil {
		return err
	}
	s := &Sizing{}
	var err error
	if s.Background, err = r.backgroundCPU(ctx); err != nil {
		return err
	}
	if t := r.rep.Reindex; t != nil {
		s.Bulk = bulkCPU(t.Docs, t.RawCPU, t.RawRuns, s.Background)
	}
	// The reads first: the reindex step made a new index, and its caches
	// should hold what reads put there when its heap is read.
	if s.Queries, err = r.queryCPUs(ctx, s.Background); err != nil {
		return err
	}
	if s.Index, err = indexSize(ctx, r.es, r.idx.Alias()); err != nil {
		return err
	}
	if s.Postgres, err = postgresSize(ctx, r.pool); err != nil {
		return err
	}
	if s.Outbox, err = r.outboxDrains(ctx, s.Background); err != nil {
		return err
	}
	r.rep.Sizing = s
	return nil
}

// sizingBackgroundMax bounds the quiet window.
const sizingBackgroundMax = 10 * time.Second

// backgroundCPU measures Elasticsearch's CPU over a window (the run's
// --duration, at most sizingBackgroundMax) in which this run sends it
// nothing and the outbox is empty.
func (r *runner) backgroundCPU(ctx context.Context) (BackgroundCPU, error) {
	d := min(r.lim.duration, sizingBackgroundMax)
	before, t0 := r.cpuNow(ctx), time.Now()
	select {
	case <-ctx.Done():
		return BackgroundCPU{}, ctx.Err()
	case <-time.After(d):
	}
	wall := time.Since(t0).Seconds()
	return BackgroundCPU{Seconds: wall, CPUPerSecond: r.cpuNow(ctx).sub(before).Elasticsearch / wall}, nil
}

// bulkCPU averages Elasticsearch's CPU over the raw loads of docs each,
// which took seconds each, without the background.
func bulkCPU(docs int64, loads []CPU, seconds []float64, bg BackgroundCPU) BulkCPU {
	b := BulkCPU{Docs: docs, Loads: len(loads)}
	if len(loads) == 0 || docs == 0 || len(seconds) != len(loads) {
		return b
	}
	for i, c := range loads {
		b.RawSeconds += c.Elasticsearch / float64(len(loads))
		b.ElasticsearchSeconds += bg.less(c.Elasticsearch, seconds[i]) / float64(len(loads))
	}
	b.PerThousandDocs = b.ElasticsearchSeconds / float64(docs) * 1000
	return b
}

// indexStatsPath asks for the parts of an index's stats the model uses.
const indexStatsPath = "/_stats/docs,store,segments,fielddata,query_cache,request_cache"

// indexSize reads the stats of the index behind alias and the node heap.
func indexSize(ctx context.Context, es *harness.ES, alias string) (IndexSize, error) {
	b, err := es.Do(ctx, http.MethodGet, "/"+url.PathEscape(alias)+indexStatsPath, nil)
	if err != nil {
		return IndexSize{}, fmt.Errorf("reading the index stats: %w", err)
	}
	var res struct {
		Shards struct {
			Total      int `json:"total"`
			Successful int `json:"successful"`
		} `json:"_shards"`
		All struct {
			Primaries indexStats `json:"primaries"`
			Total     indexStats `json:"total"`
		} `json:"_all"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return IndexSize{}, fmt.Errorf("decoding the index stats: %w", err)
	}
	p, t := res.All.Primaries, res.All.Total
	s := IndexSize{
		Docs: p.Docs.Count, PrimaryStoreBytes: p.Store.Size, Segments: p.Segments.Count,
		SegmentsMemoryBytes: t.Segments.Memory, FixedBitSetBytes: t.Segments.FixedBitSet,
		VersionMapBytes: t.Segments.VersionMap, IndexWriterBytes: t.Segments.IndexWriter,
		FielddataBytes: t.Fielddata.Memory, QueryCacheBytes: t.QueryCache.Memory, RequestCacheBytes: t.RequestCache.Memory,
	}
	s.HeapBytes = s.SegmentsMemoryBytes + s.FixedBitSetBytes + s.VersionMapBytes + s.IndexWriterBytes +
		s.FielddataBytes + s.QueryCacheBytes + s.RequestCacheBytes
	if s.Shards, err = primaryShards(ctx, es, alias); err != nil {
		return IndexSize{}, err
	}
	s.NodeHeapUsedBytes, s.NodeHeapMaxBytes, err = nodeHeap(ctx, es)
	return s, err
}

// indexStats is the part of _stats the model reads.
type indexStats struct {
	Docs struct {
		Count int64 `json:"count"`
	} `json:"docs"`
	Store struct {
		Size int64 `json:"size_in_bytes"`
	} `json:"store"`
	Segments struct {
		Count       int64 `json:"count"`
		Memory      int64 `json:"memory_in_bytes"`
		FixedBitSet int64 `json:"fixed_bit_set_memory_in_bytes"`
		VersionMap  int64 `json:"version_map_memory_in_bytes"`
		IndexWriter int64 `json:"index_writer_memory_in_bytes"`
	} `json:"segments"`
	Fielddata struct {
		Memory int64 `json:"memory_size_in_bytes"`
	} `json:"fielddata"`
	QueryCache struct {
		Memory int64 `json:"memory_size_in_bytes"`
	} `json:"query_cache"`
	RequestCache struct {
		Memory int64 `json:"memory_size_in_bytes"`
	} `json:"request_cache"`
}

// primaryShards is the number_of_shards of the index behind alias.
func primaryShards(ctx context.Context, es *harness.ES, alias string) (int, error) {
	b, err := es.Do(ctx, http.MethodGet, "/"+url.PathEscape(alias)+"/_settings/index.number_of_shards", nil)
	if err != nil {
		return 0, fmt.Errorf("reading the index settings: %w", err)
	}
	var res map[string]struct {
		Settings struct {
			Index struct {
				Shards string `json:"number_of_shards"`
			} `json:"index"`
		} `json:"settings"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return 0, fmt.Errorf("decoding the index settings: %w", err)
	}
	n := 0
	for _, v := range res {
		s, err := strconv.Atoi(v.Settings.Index.Shards)
		if err != nil {
			return 0, fmt.Errorf("number_of_shards %q: %w", v.Settings.Index.Shards, err)
		}
		n += s
	}
	return n, nil
}

// nodeHeap is the heap used and its maximum, summed over the nodes.
func nodeHeap(ctx context.Context, es *harness.ES) (used, maxBytes int64, err error) {
	b, err := es.Do(ctx, http.MethodGet, "/_nodes/stats/jvm?filter_path=nodes.*.jvm.mem.heap_used_in_bytes,nodes.*.jvm.mem.heap_max_in_bytes", nil)
	if err != nil {
		return 0, 0, fmt.Errorf("reading the node heap: %w", err)
	}
	var res struct {
		Nodes map[string]struct {
			JVM struct {
				Mem struct {
					Used int64 `json:"heap_used_in_bytes"`
					Max  int64 `json:"heap_max_in_bytes"`
				} `json:"mem"`
			} `json:"jvm"`
		} `json:"nodes"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return 0, 0, fmt.Errorf("decoding the node heap: %w", err)
	}
	for _, n := range res.Nodes {
		used += n.JVM.Mem.Used
		maxBytes += n.JVM.Mem.Max
	}
	return used, maxBytes, nil
}

// postgresSize reads the database's size and every table's of the public
// schema, largest first.
func postgresSize(ctx context.Context, pool *pgxpool.Pool) (PostgresSize, error) {
	var s PostgresSize
	if err := pool.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&s.DatabaseBytes); err != nil {
		return s, fmt.Errorf("reading the database size: %w", err)
	}
	rows, err := pool.Query(ctx, `SELECT c.relname::text, pg_total_relation_size(c.oid)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 2 DESC, 1`)
	if err != nil {
		return s, fmt.Errorf("reading the table sizes: %w", err)
	}
	s.Tables, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (TableSize, error) {
		var t TableSize
		err := row.Scan(&t.Name, &t.Bytes)
		return t, err
	})
	if err != nil {
		return s, fmt.Errorf("reading the table sizes: %w", err)
	}
	return s, nil
}

// processSeconds is the CPU time of process pid (0 when unreadable).
func processSeconds(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	return float64(statTicks(string(b))) / clockTicks
}

// sizingQuery is one kind of read whose CPU the model needs.
type sizingQuery struct {
	name, request, url string
}

// sizingQueries are the list, q== and group values reads of reads.go,
// asked through the API.
func (r *runner) sizingQueries() ([]sizingQuery, error) {
	g, ok := index.NewCatalogue().GroupByName("registry")
	if !ok {
		return nil, fmt.Errorf("no group field registry")
	}
	limit := strconv.Itoa(listLimit)
	return []sizingQuery{
		{name: "list", request: "filter=" + listFilter + "&sort=" + listSort + "&limit=" + limit,
			url: r.api.url("", url.Values{"filter": {listFilter}, "sort": {listSort}, "limit": {limit}})},
		{name: "q==", request: "filter=q==" + qTerm + "&sort=" + listSort + "&limit=" + limit,
			url: r.api.url("", url.Values{"filter": {"q==" + qTerm}, "sort": {listSort}, "limit": {limit}})},
		{name: "group values", request: "groups/{registry}/values?filter=" + facetFilter + "&sort=-count&limit=10",
			url: r.api.url("/groups/"+g.ID+"/values", url.Values{"filter": {facetFilter}, "sort": {"-count"}, "meta_fields": {"count"}, "limit": {"10"}})},
	}, nil
}

// queryCPUs sends each kind of read back to back, up to the run's request
// count or duration, and divides the CPU spent meanwhile by the requests.
func (r *runner) queryCPUs(ctx context.Context, bg BackgroundCPU) ([]QueryCPU, error) {
	qs, err := r.sizingQueries()
	if err != nil {
		return nil, err
	}
	out := make([]QueryCPU, 0, len(qs))
	for _, q := range qs {
		for range r.lim.warmup {
			if _, err := r.api.get(ctx, q.url); err != nil {
				return nil, fmt.Errorf("%s: %w", q.name, err)
			}
		}
		c := QueryCPU{Name: q.name, Request: q.request}
		pid := r.serve.Pid()
		es0, serve0, t0 := r.readCosts(ctx), processSeconds(pid), time.Now()
		for c.Requests+c.Failed < r.lim.requests && time.Since(t0) < r.lim.duration {
			if _, err := r.api.get(ctx, q.url); err != nil {
				c.Failed++
				continue
			}
			c.Requests++
		}
		c.Seconds = time.Since(t0).Seconds()
		d := r.readCosts(ctx).sub(es0)
		es, serve := d.cpu.Elasticsearch, processSeconds(pid)-serve0
		c.ShardMS = float64(d.work.searchMS) / float64(max(c.Requests, 1))
		if c.Requests == 0 {
			return nil, fmt.Errorf("%s: every request failed", q.name)
		}
		c.RawElasticsearchMS = es * 1000 / float64(c.Requests)
		c.ElasticsearchMS = bg.less(es, c.Seconds) * 1000 / float64(c.Requests)
		c.ServeMS = serve * 1000 / float64(c.Requests)
		out = append(out, c)
	}
	return out, nil
}

// outboxDrains times the child worker draining a bulk update of up to
// OutboxRows assets, then the update that takes the label off again.
func (r *runner) outboxDrains(ctx context.Context, bg BackgroundCPU) ([]OutboxDrain, error) {
	k := r.cfg.Sizing.OutboxRows
	if k <= 0 {
		k = SizingOutboxRowsDefault
	}
	add, err := timeDrain(ctx, r.pool, "a label added in one UPDATE", bg, r.readCosts,
		func(ctx context.Context) (int64, error) { return addSizingLabel(ctx, r.pool, k) })
	if err != nil {
		return nil, err
	}
	restore, err := timeDrain(ctx, r.pool, "the label removed again", bg, r.readCosts, r.removeBenchLabels)
	if err != nil {
		return nil, err
	}
	return []OutboxDrain{add, restore}, nil
}

// addSizingLabel adds sizingLabel to the first k assets by id that have
// room for a label, in one statement (one outbox row each, by trigger).
func addSizingLabel(ctx context.Context, pool *pgxpool.Pool, k int) (int64, error) {
	tag, err := pool.Exec(ctx, `UPDATE assets SET labels = array_append(labels, $1)
		WHERE id IN (SELECT id FROM assets WHERE cardinality(labels) < $3 AND NOT $1 = ANY (labels) ORDER BY id LIMIT $2)`,
		sizingLabel, k, store.MaxLabels)
	if err != nil {
		return 0, fmt.Errorf("labelling %d assets for the outbox drain: %w", k, err)
	}
	return tag.RowsAffected(), nil
}

// timeDrain runs produce (one committed update), then waits until the
// outbox is empty, which the running worker(s) do: the drain's time is
// from the commit to the last row's removal.
func timeDrain(ctx context.Context, pool *pgxpool.Pool, what string, bg BackgroundCPU, snap func(context.Context) costReading,
	produce func(context.Context) (int64, error)) (OutboxDrain, error) {
	d := OutboxDrain{What: what, Workers: 1}
	before, t0 := snap(ctx), time.Now()
	n, err := produce(ctx)
	if err != nil {
		return d, err
	}
	start := time.Now()
	for {
		left, _, err := store.Backlog(ctx, pool)
		if err != nil {
			return d, err
		}
		if left == 0 {
			break
		}
		if time.Since(start) > sizingDrainTimeout {
			return d, fmt.Errorf("outbox drain (%s): %d of %d rows left after %s", what, left, n, sizingDrainTimeout)
		}
		select {
		case <-ctx.Done():
			return d, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	d.Seconds = time.Since(start).Seconds()
	d.Rows = n
	d.RowsPerSecond = ratio(float64(n), d.Seconds)
	delta := snap(ctx).sub(before)
	d.ElasticsearchCPU = bg.less(delta.cpu.Elasticsearch, time.Since(t0).Seconds())
	d.IndexMSPerThousand = ratio(float64(delta.work.indexMS)*1000, float64(n))
	return d, nil
}

// indexWork is what the shards of one index report having done.
type indexWork struct {
	searchMS, indexMS int64 // query+fetch time, indexing time
}

// costReading is the CPU counters and the bench index's work at one moment.
type costReading struct {
	cpu  CPU
	work indexWork
}

func (s costReading) sub(before costReading) costReading {
	return costReading{cpu: s.cpu.sub(before.cpu), work: indexWork{
		searchMS: s.work.searchMS - before.work.searchMS, indexMS: s.work.indexMS - before.work.indexMS}}
}

// readCosts reads the CPU counters and the work of the index behind the
// alias; a failed read leaves the work zero (logged).
func (r *runner) readCosts(ctx context.Context) costReading {
	s := costReading{cpu: r.cpuNow(ctx)}
	var err error
	if s.work, err = readIndexWork(ctx, r.es, r.idx.Alias()); err != nil {
		r.log.Warn("bench: reading the index's search and indexing stats", "err", err)
	}
	return s
}

// readIndexWork reads the search and indexing times of the index behind
// alias, over all its copies.
func readIndexWork(ctx context.Context, es *harness.ES, alias string) (indexWork, error) {
	b, err := es.Do(ctx, http.MethodGet, "/"+url.PathEscape(alias)+"/_stats/search,indexing?filter_path=_all.total", nil)
	if err != nil {
		return indexWork{}, fmt.Errorf("reading the index's search and indexing stats: %w", err)
	}
	var res struct {
		All struct {
			Total struct {
				Search struct {
					Query int64 `json:"query_time_in_millis"`
					Fetch int64 `json:"fetch_time_in_millis"`
				} `json:"search"`
				Indexing struct {
					Index int64 `json:"index_time_in_millis"`
				} `json:"indexing"`
			} `json:"total"`
		} `json:"_all"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return indexWork{}, fmt.Errorf("decoding the index's search and indexing stats: %w", err)
	}
	t := res.All.Total
	return indexWork{searchMS: t.Search.Query + t.Search.Fetch, indexMS: t.Indexing.Index}, nil
}
