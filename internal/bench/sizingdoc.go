package bench

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
)

// The markers around the generated part of docs/sizing.md; the text
// outside them is kept as written.
const (
	SizingBeginMarker = "<!-- sizing:begin -->"
	SizingEndMarker   = "<!-- sizing:end -->"
)

// SizingMinAssetsDefault is the smallest data set whose run rewrites
// docs/sizing.md; a smaller run prints its tables and leaves the doc.
const SizingMinAssetsDefault = 1_000_000

// The request rate the model is sized for, per second.
const (
	SizingListRateDefault   = 50.0  // list requests (filter, sort, limit 100)
	SizingFacetRateDefault  = 20.0  // group values requests
	SizingQRateDefault      = 5.0   // q== substring searches
	SizingUpdateRateDefault = 200.0 // asset updates (one outbox row each)
)

// The deployment assumptions of the model.
const (
	// SizingUtilisationDefault is the share of a resource the plan may
	// use, leaving the rest for peaks, merges and a lost node.
	SizingUtilisationDefault = 0.5
	// SizingNodeCoresDefault are the cores of one Elasticsearch data node.
	SizingNodeCoresDefault = 8.0
	// SizingAPICoresDefault are the cores of one API replica.
	SizingAPICoresDefault = 1.0
	// SizingReplicasDefault replicas of each shard (to survive a node).
	SizingReplicasDefault = 1
	// SizingShardBytesDefault is the primary store one shard may hold.
	SizingShardBytesDefault = 30 << 30
	// SizingNodeDiskBytesDefault is the index data one node may hold.
	SizingNodeDiskBytesDefault = 1 << 40
	// SizingMinHeapBytesDefault is the least heap of a data node; the
	// heap the index holds comes on top, up to SizingMaxHeapBytesDefault
	// (compressed object pointers end just below 32 GiB).
	SizingMinHeapBytesDefault = 4 << 30
	SizingMaxHeapBytesDefault = 31 << 30
)

// sizingTargets are the data set sizes the plan is made for.
var sizingTargets = [...]float64{10_000_000, 100_000_000}

// SizingDocDue reports whether the run is large enough to rewrite the doc.
func SizingDocDue(r *Report, minAssets int) bool {
	return r != nil && r.Sizing != nil && r.Dataset.Assets >= minAssets
}

// WriteSizing replaces the part of the doc at path between the markers
// with the tables generated from the report; the rest is kept.
func WriteSizing(r *Report, path string) error {
	if r == nil || r.Sizing == nil {
		return errors.New("writing the sizing tables: the report has no sizing measurements")
	}
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	doc, err := replaceSizing(old, SizingMarkdown(r))
	if err != nil {
		return fmt.Errorf("writing the sizing tables into %s: %w", path, err)
	}
	if err := os.WriteFile(path, doc, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// replaceSizing puts body between the (single) pair of markers of doc.
func replaceSizing(doc []byte, body string) ([]byte, error) {
	begin, end := []byte(SizingBeginMarker), []byte(SizingEndMarker)
	if bytes.Count(doc, begin) != 1 || bytes.Count(doc, end) != 1 {
		return nil, fmt.Errorf("want exactly one %s and one %s", SizingBeginMarker, SizingEndMarker)
	}
	i, j := bytes.Index(doc, begin), bytes.Index(doc, end)
	if j < i {
		return nil, fmt.Errorf("%s comes before %s", SizingEndMarker, SizingBeginMarker)
	}
	var b bytes.Buffer
	b.Write(doc[:i+len(begin)])
	b.WriteString("\n")
	b.WriteString(strings.TrimSpace(body))
	b.WriteString("\n")
	b.Write(doc[j:])
	return b.Bytes(), nil
}

// SizingMarkdown renders the generated part of docs/sizing.md: the run,
// what it measured, the assumptions, the plan for 10M and 100M assets and
// the first bottlenecks, each number with its derivation. It depends on
// the report alone, so the same report gives the same text.
func SizingMarkdown(r *Report) string {
	var b strings.Builder
	in := newSizingInputs(r)
	sizingProvenance(&b, r)
	b.WriteString("\n### Measured\n\n")
	b.WriteString(sizingMeasured(r, in).markdown())
	b.WriteString("\n### Assumed\n\n")
	sizingAssumed(&b)
	b.WriteString("\n### The plan\n\n")
	b.WriteString(sizingPlanTable(in).markdown())
	b.WriteString("\n### Where the first bottleneck appears\n\n")
	sizingBottlenecks(&b, in)
	return b.String()
}

func sizingProvenance(b *strings.Builder, r *Report) {
	m, d := r.Machine, r.Dataset
	fmt.Fprintf(b, "Generated from the run of `%s` on %s: %d CPUs (%s), %s memory, %s; PostgreSQL %s; Elasticsearch %s. "+
		"Data set: %s assets (seed %d; %d tenants, the largest %s assets), %s documents in %d primary shard(s). "+
		"Do not edit between the markers: a run of at least %s assets rewrites it.\n",
		r.Command, r.Date.Format("2006-01-02 15:04 MST"), m.CPUs, orDash(m.CPUModel), bytesText(m.MemoryBytes), m.OS,
		orDash(r.Postgres), orDash(r.Elasticsearch), thousands(float64(d.Assets)), d.Seed, d.Tenants,
		thousands(float64(d.TenantAssets)), thousands(float64(r.Sizing.Index.Docs)), r.Sizing.Index.Shards,
		thousands(SizingMinAssetsDefault))
	if d.Assets < SizingMinAssetsDefault {
		fmt.Fprintf(b, "\n**A small-scale run** (%s assets, below %s): per-asset sizes carry the fixed costs of a small index, and "+
			"per-request CPU here is mostly the fixed cost of a request, which the model grows with the assets as if it were per document: "+
			"the CPU, nodes and shards below are far too high, and only the method is final. The full `make bench` run replaces them.\n",
			thousands(float64(d.Assets)), thousands(SizingMinAssetsDefault))
	}
}

// perMillion formats a size per asset as the size per 1M assets.
func perMillion(perAsset float64) string { return bytesText(int64(perAsset * 1e6)) }

func sizingMeasured(r *Report, in sizingInputs) *table {
	s := r.Sizing
	t := newTable("what", "measured", "per 1M assets or per unit", "how")
	x := s.Index
	t.add("index, primary store", bytesText(x.PrimaryStoreBytes), perMillion(in.primaryPerAsset),
		fmt.Sprintf("`_stats/store`, primaries, of the index behind the alias (%s docs, %d segments, after the bench's reindex, not force-merged)",
			thousands(float64(x.Docs)), x.Segments))
	t.add("index, heap attributed", bytesText(x.HeapBytes), perMillion(in.heapPerAsset),
		fmt.Sprintf("`_stats`, all copies: segments %s, fixed bitsets %s, version map %s, index writer %s, fielddata %s, query cache %s, request cache %s; "+
			"terms and doc values are off heap in Elasticsearch 8 (page cache). The node's heap: %s used of %s, for every index on it",
			bytesText(x.SegmentsMemoryBytes), bytesText(x.FixedBitSetBytes), bytesText(x.VersionMapBytes), bytesText(x.IndexWriterBytes),
			bytesText(x.FielddataBytes), bytesText(x.QueryCacheBytes), bytesText(x.RequestCacheBytes),
			bytesText(x.NodeHeapUsedBytes), bytesText(x.NodeHeapMaxBytes)))
	t.add("PostgreSQL database", bytesText(s.Postgres.DatabaseBytes), perMillion(in.pgPerAsset), "`pg_database_size`, after the bench's updates (dead rows included)")
	for _, tb := range s.Postgres.Tables {
		if tb.Bytes >= 1<<20 {
			t.add("table "+tb.Name, bytesText(tb.Bytes), perMillion(ratio(float64(tb.Bytes), in.assets)), "`pg_total_relation_size` (indexes, TOAST)")
		}
	}
	t.add("Elasticsearch background CPU", fmt.Sprintf("%.2f s over %.1f s", s.Background.CPUPerSecond*s.Background.Seconds, s.Background.Seconds),
		fmt.Sprintf("%.3f core", s.Background.CPUPerSecond),
		"the process's CPU while this run sent nothing (other users, housekeeping); taken off every Elasticsearch CPU figure below, times its wall time")
	t.add("`_bulk`, Elasticsearch CPU", fmt.Sprintf("%.1f s per load (%.1f s with the background)", s.Bulk.ElasticsearchSeconds, s.Bulk.RawSeconds),
		fmt.Sprintf("%.3f s per 1,000 docs", s.Bulk.PerThousandDocs),
		fmt.Sprintf("raw `_bulk` of %s pre-encoded docs, mean of %d loads (the reindex step)", thousands(float64(s.Bulk.Docs)), s.Bulk.Loads))
	for _, q := range s.Queries {
		t.add(q.Name+", CPU per request", fmt.Sprintf("%s requests in %.1f s", thousands(float64(q.Requests)), q.Seconds),
			fmt.Sprintf("Elasticsearch CPU %.2f ms (%.2f ms with the background), shard time %.2f ms; API CPU %.2f ms",
				q.ElasticsearchMS, q.RawElasticsearchMS, q.ShardMS, q.ServeMS),
			"CPU of the Elasticsearch process and of `serve`, and the query and fetch time of the index (`_stats/search`), over the requests, sent one at a time, / requests: `"+q.Request+"`")
	}
	for _, d := range s.Outbox {
		t.add("outbox drain, "+d.What, fmt.Sprintf("%s rows in %.1f s", thousands(float64(d.Rows)), d.Seconds),
			fmt.Sprintf("%s rows/s per worker", thousands(d.RowsPerSecond)),
			fmt.Sprintf("one `assets sync` worker, commit of one bulk update to an empty outbox; Elasticsearch CPU %.1f s, the index's indexing time %.0f ms per 1,000 rows",
				d.ElasticsearchCPU, d.IndexMSPerThousand))
	}
	if in.pgWriteRows > 0 {
		t.add("PostgreSQL updates, one connection", "", fmt.Sprintf("%s rows/s", thousands(in.pgWriteRows)),
			fmt.Sprintf("%d / mean latency of `store.ApplyPatches` of %d assets (the bulk PATCH step)", bulkSize, bulkSize))
	}
	return t
}

func sizingAssumed(b *strings.Builder) {
	fmt.Fprintf(b, "- load: %.0f list + %.0f group values + %.0f `q==` requests/s, and %.0f asset updates/s (one outbox row each)\n",
		SizingListRateDefault, SizingFacetRateDefault, SizingQRateDefault, SizingUpdateRateDefault)
	fmt.Fprintf(b, "- every resource planned to %.0f%% of its capacity (peaks, merges, the loss of a node)\n", SizingUtilisationDefault*100)
	fmt.Fprintf(b, "- Elasticsearch data nodes of %.0f cores and at most %s of index data; %d replica; a shard holds at most %s of primary store; "+
		"heap at least %s, at most %s\n", SizingNodeCoresDefault, bytesText(SizingNodeDiskBytesDefault), SizingReplicasDefault,
		bytesText(SizingShardBytesDefault), bytesText(SizingMinHeapBytesDefault), bytesText(SizingMaxHeapBytesDefault))
	fmt.Fprintf(b, "- API replicas of %.0f core, at least 2\n", SizingAPICoresDefault)
	b.WriteString("- Elasticsearch's cost of a read is the larger of its CPU per request less the background and the shard time per request; " +
		"of an update, the larger of the `_bulk` CPU per document less the background and the drains' indexing time per row\n")
	b.WriteString("- Elasticsearch read CPU grows in proportion to the assets (a query's matches do, with tenants growing alike); " +
		"write CPU per document, outbox drain per worker and the API's CPU per request do not\n")
}

// millions formats an asset count in millions.
func millions(v float64) string {
	switch {
	case math.IsInf(v, 0) || math.IsNaN(v):
		return "never"
	case v >= 10e6:
		return thousands(v/1e6) + "M"
	}
	return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
}

func sizingPlanTable(in sizingInputs) *table {
	ps := make([]sizingPlan, len(sizingTargets))
	head := []string{"what"}
	for i, n := range sizingTargets {
		ps[i] = in.plan(n)
		head = append(head, millions(n)+" assets")
	}
	t := newTable(append(head, "derivation")...).alignRight(1, 2)
	row := func(what string, cell func(p sizingPlan) string, derivation string) {
		cells := []string{what}
		for _, p := range ps {
			cells = append(cells, cell(p))
		}
		t.add(append(cells, derivation)...)
	}
	copies := 1 + SizingReplicasDefault
	row("primary store", func(p sizingPlan) string { return bytesText(int64(p.primary)) },
		fmt.Sprintf("%s per 1M assets × assets", perMillion(in.primaryPerAsset)))
	row("Elasticsearch CPU (cores)", func(p sizingPlan) string { return strconv.FormatFloat(p.esCores, 'f', 1, 64) },
		fmt.Sprintf("reads: (%.0f × %.2f + %.0f × %.2f + %.0f × %.2f ms) / 1000 × assets / %s docs; writes: %.0f × %.3f s / 1000 docs / 1000 × %d copies = %.2f",
			SizingListRateDefault, in.esQuery["list"]*1000, SizingFacetRateDefault, in.esQuery["group values"]*1000,
			SizingQRateDefault, in.esQuery["q=="]*1000, thousands(in.docs), SizingUpdateRateDefault, in.bulkPerDoc*1000, copies, in.writeCPU()))
	row("data nodes", func(p sizingPlan) string { return strconv.Itoa(p.nodes) },
		fmt.Sprintf("max(%d copies, ⌈cores / (%.0f × %.1f)⌉, ⌈primary × %d / %s⌉)", copies, SizingNodeCoresDefault,
			SizingUtilisationDefault, copies, bytesText(SizingNodeDiskBytesDefault)))
	row("primary shards", func(p sizingPlan) string { return strconv.Itoa(p.shards) },
		fmt.Sprintf("max(data nodes, ⌈primary / %s⌉); `ASSETS_INDEX_SHARDS`, then `assets reindex`", bytesText(SizingShardBytesDefault)))
	row("index data per node", func(p sizingPlan) string { return bytesText(int64(p.storePerNode)) },
		fmt.Sprintf("primary × %d copies / data nodes", copies))
	row("heap per node", func(p sizingPlan) string { return bytesText(int64(p.heapPerNode)) },
		fmt.Sprintf("min(%s, %s + %s per 1M assets × assets × %d / data nodes)", bytesText(SizingMaxHeapBytesDefault),
			bytesText(SizingMinHeapBytesDefault), perMillion(in.heapPerAsset), copies))
	row("memory per node", func(p sizingPlan) string { return bytesText(int64(p.ramPerNode)) },
		"heap + index data per node, so the page cache holds the off-heap terms and doc values")
	row("sync workers", func(p sizingPlan) string { return strconv.Itoa(p.workers) },
		fmt.Sprintf("⌈%.0f updates/s / (%s rows/s per worker × %.1f)⌉", SizingUpdateRateDefault, thousands(in.drainPerWorker), SizingUtilisationDefault))
	row("API replicas", func(p sizingPlan) string { return strconv.Itoa(p.api) },
		fmt.Sprintf("max(2, ⌈(%.0f × %.2f + %.0f × %.2f + %.0f × %.2f ms) / 1000 / (%.0f core × %.1f)⌉)",
			SizingListRateDefault, in.serveQuery["list"]*1000, SizingFacetRateDefault, in.serveQuery["group values"]*1000,
			SizingQRateDefault, in.serveQuery["q=="]*1000, SizingAPICoresDefault, SizingUtilisationDefault))
	row("PostgreSQL database", func(p sizingPlan) string { return bytesText(int64(p.pg)) },
		fmt.Sprintf("%s per 1M assets × assets", perMillion(in.pgPerAsset)))
	return t
}
