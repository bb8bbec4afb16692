package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixedSizingReport is a report as a 1M-asset run would write it.
func fixedSizingReport() *Report {
	return &Report{
		Date: time.Date(2026, 11, 27, 14, 0, 0, 0, time.UTC), Command: "assets-lab bench --bin bin/assets",
		Machine:  Machine{CPUs: 2, CPUModel: "Test CPU", MemoryBytes: 8 << 30, OS: "linux/amd64"},
		Postgres: "16.4", Elasticsearch: "8.15.0",
		Dataset: DatasetInfo{Assets: 1_000_000, Seed: 1, Tenants: 5, Groups: 20, Orgs: 100, TenantAssets: 400_000},
		Measurements: []Measurement{{Name: "bulk PATCH: 100 assets, labels add", Sides: []Stats{
			{Side: "API", Mean: 40}, {Side: "store.ApplyPatches", Mean: 25}, // 100 rows in 25 ms: 4,000 rows/s
		}}},
		Sizing: &Sizing{
			Background: BackgroundCPU{Seconds: 10, CPUPerSecond: 0.05},
			Index: IndexSize{Docs: 1_000_000, Shards: 1, PrimaryStoreBytes: 2 << 30, Segments: 30,
				QueryCacheBytes: 1 << 20, RequestCacheBytes: 1 << 20, HeapBytes: 2 << 20, NodeHeapUsedBytes: 600 << 20, NodeHeapMaxBytes: 1 << 30},
			Postgres: PostgresSize{DatabaseBytes: 3 << 30, Tables: []TableSize{{Name: "assets", Bytes: 2 << 30}, {Name: "asset_outbox", Bytes: 8 << 10}}},
			Bulk:     BulkCPU{Docs: 1_000_000, Loads: 2, ElasticsearchSeconds: 100, RawSeconds: 103, PerThousandDocs: 0.1},
			Queries: []QueryCPU{
				{Name: "list", Request: "filter=a", Requests: 300, Seconds: 9, ElasticsearchMS: 10, ServeMS: 2},
				{Name: "q==", Request: "filter=q==nginx", Requests: 300, Seconds: 30, ElasticsearchMS: 80, ServeMS: 2},
				{Name: "group values", Request: "groups", Requests: 300, Seconds: 6, ElasticsearchMS: 20, ServeMS: 1},
			},
			Outbox: []OutboxDrain{
				{What: "add", Rows: 100_000, Workers: 1, Seconds: 20, RowsPerSecond: 5000},
				{What: "remove", Rows: 100_000, Workers: 1, Seconds: 25, RowsPerSecond: 4000},
			},
		},
	}
}

func TestWriteSizingIsDeterministicAndKeepsTheRest(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sizing.md")
	before := "# Sizing\n\nwritten by hand\n\n" + SizingBeginMarker + "\nold tables\n"
	after := SizingEndMarker + "\n\nmore by hand\n"
	if err := os.WriteFile(path, []byte(before+after), 0o644); err != nil {
		t.Fatal(err)
	}
	rep := fixedSizingReport()
	if err := WriteSizing(rep, path); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(path)
	if err := WriteSizing(rep, path); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(path)
	if string(first) != string(second) {
		t.Errorf("a second write from the same report changed the doc:\n%s\n---\n%s", first, second)
	}
	doc := string(second)
	if !strings.HasPrefix(doc, "# Sizing\n\nwritten by hand\n\n"+SizingBeginMarker+"\n") || !strings.HasSuffix(doc, "\n"+after) {
		t.Errorf("the text around the markers changed:\n%s", doc)
	}
	if strings.Contains(doc, "old tables") || strings.Count(doc, SizingBeginMarker) != 1 || strings.Count(doc, SizingEndMarker) != 1 {
		t.Errorf("the generated part was not replaced exactly once:\n%s", doc)
	}
	for _, want := range []string{"2026-11-27 14:00 UTC", "assets-lab bench --bin bin/assets", "10M assets", "100M assets",
		"2.0 GiB per 1M assets × assets", "0.100 s per 1,000 docs", "100.0 s per load (103.0 s with the background)", "0.050 core", "5,000 rows/s per worker", "4,000 rows/s"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the doc lacks %q:\n%s", want, doc)
		}
	}
	if strings.Contains(doc, "small-scale run") {
		t.Errorf("a 1M-asset run is called small-scale")
	}
}

func TestReplaceSizingNeedsOnePairOfMarkers(t *testing.T) {
	for _, tc := range []struct{ name, doc string }{
		{"none", "# Sizing\n"},
		{"no end", SizingBeginMarker + "\n"},
		{"no begin", SizingEndMarker + "\n"},
		{"two pairs", SizingBeginMarker + SizingEndMarker + SizingBeginMarker + SizingEndMarker},
		{"reversed", SizingEndMarker + "\n" + SizingBeginMarker + "\n"},
	} {
		if out, err := replaceSizing([]byte(tc.doc), "x"); err == nil {
			t.Errorf("%s: no error, got %q", tc.name, out)
		}
	}
	path := filepath.Join(t.TempDir(), "sizing.md")
	if err := os.WriteFile(path, []byte("no markers\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteSizing(fixedSizingReport(), path); err == nil {
		t.Error("WriteSizing wrote a doc without markers")
	}
	if b, _ := os.ReadFile(path); string(b) != "no markers\n" {
		t.Errorf("the doc changed: %q", b)
	}
}

func TestSizingDocDue(t *testing.T) {
	small := fixedSizingReport()
	small.Dataset.Assets = 20_000
	none := fixedSizingReport()
	none.Sizing = nil
	for _, tc := range []struct {
		name string
		rep  *Report
		min  int
		want bool
	}{
		{"1M run", fixedSizingReport(), SizingMinAssetsDefault, true},
		{"small run", small, SizingMinAssetsDefault, false},
		{"small run, lower bar", small, 20_000, true},
		{"no sizing", none, 0, false},
		{"no report", nil, 0, false},
	} {
		if got := SizingDocDue(tc.rep, tc.min); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestSizingPlan(t *testing.T) {
	in := newSizingInputs(fixedSizingReport())
	// Reads: (50×10 + 20×20 + 5×80 ms) = 1.3 core at 1M; writes: 200 × 0.1 ms × 2 copies = 0.04.
	for _, tc := range []struct {
		assets                           float64
		cores                            float64
		nodes, shards, workers, replicas int
	}{
		{10_000_000, 13.04, 4, 4, 1, 2},     // ⌈13.04 / 4⌉ = 4 nodes; 20 GiB needs 1 shard, nodes need 4
		{100_000_000, 130.04, 33, 33, 1, 2}, // ⌈130.04 / 4⌉ = 33; 200 GiB / 30 GiB = 7 shards < 33 nodes
		{1_000_000, 1.34, 2, 2, 1, 2},       // two copies need two nodes
	} {
		p := in.plan(tc.assets)
		if p.esCores < tc.cores-0.001 || p.esCores > tc.cores+0.001 || p.nodes != tc.nodes || p.shards != tc.shards ||
			p.workers != tc.workers || p.api != tc.replicas {
			t.Errorf("%v assets: %+v, want %.2f cores, %d nodes, %d shards, %d workers, %d API", tc.assets, p, tc.cores,
				tc.nodes, tc.shards, tc.workers, tc.replicas)
		}
	}
	// A slow worker: 200 updates/s at half of 150 rows/s needs 3.
	rep := fixedSizingReport()
	rep.Sizing.Outbox[1].RowsPerSecond = 150
	if w := newSizingInputs(rep).plan(1e6).workers; w != 3 {
		t.Errorf("workers %d, want 3", w)
	}
}

func TestSizingTakesTheLargerElasticsearchCost(t *testing.T) {
	rep := fixedSizingReport()
	// The list's CPU vanished under an overestimated background; its shard
	// time still counts. The drains' indexing time beats the bulk CPU.
	rep.Sizing.Queries[0].ElasticsearchMS, rep.Sizing.Queries[0].ShardMS = 0, 10
	rep.Sizing.Queries[1].ShardMS = 1 // smaller than its CPU: the CPU counts
	rep.Sizing.Outbox[0].IndexMSPerThousand = 500
	in := newSizingInputs(rep)
	if in.esQuery["list"] != 0.010 || in.esQuery["q=="] != 0.080 {
		t.Errorf("read costs %v", in.esQuery)
	}
	if in.bulkPerDoc != 0.0005 {
		t.Errorf("write cost per doc %v, want 0.0005 s", in.bulkPerDoc)
	}
	// 1.3 cores of reads at 1M × 10, and 200 × 0.5 ms × 2 copies.
	if c := in.plan(10_000_000).esCores; c < 13.199 || c > 13.201 {
		t.Errorf("cores %v, want 13.2", c)
	}
}

func TestSizingFirstBottleneck(t *testing.T) {
	var b strings.Builder
	sizingBottlenecks(&b, newSizingInputs(fixedSizingReport()))
	// One node's 4 cores over 1.3 cores per 1M for reads (less the writes'
	// 0.04): 3.05M assets; q== alone: 4 / 0.4 = 10M; one shard: 15M.
	for _, want := range []string{"Elasticsearch CPU, all of the load binds first, at 3.05M assets", "| 10M assets", "| 15M assets"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "whatever the size") {
		t.Errorf("a rate limit binds at 200 updates/s with 2,000 and 2,000 available:\n%s", b.String())
	}
	rep := fixedSizingReport()
	rep.Sizing.Outbox[1].RowsPerSecond = 300 // half is 150 < 200
	b.Reset()
	sizingBottlenecks(&b, newSizingInputs(rep))
	if !strings.Contains(b.String(), "outbox drain per worker binds first, whatever the size") {
		t.Errorf("a slow worker is not named first:\n%s", b.String())
	}
}
