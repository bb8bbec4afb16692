package bench

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
	assetsync "github.com/openinventory/assets/sync"
)

func TestBulkCPU(t *testing.T) {
	bg := BackgroundCPU{CPUPerSecond: 0.5}
	for _, tc := range []struct {
		name         string
		docs         int64
		loads        []CPU
		seconds      []float64
		raw, perLoad float64
		per1000      float64
		wantLoads    int
	}{
		{"no loads", 1000, nil, nil, 0, 0, 0, 0},
		{"no docs", 0, []CPU{{Elasticsearch: 4}}, []float64{1}, 0, 0, 0, 1},
		{"no times", 1000, []CPU{{Elasticsearch: 4}}, nil, 0, 0, 0, 1},
		// (3 - 0.5×2) and (5 - 0.5×4): 2 and 3, mean 2.5 s; 2.5 / 20 per 1000.
		{"mean of two less the background", 20_000, []CPU{{Elasticsearch: 3, Postgres: 9}, {Elasticsearch: 5}}, []float64{2, 4}, 4, 2.5, 0.125, 2},
		// The background never makes CPU negative.
		{"all background", 1000, []CPU{{Elasticsearch: 1}}, []float64{10}, 1, 0, 0, 1},
	} {
		b := bulkCPU(tc.docs, tc.loads, tc.seconds, bg)
		if b.Loads != tc.wantLoads || b.RawSeconds != tc.raw || b.ElasticsearchSeconds != tc.perLoad || b.PerThousandDocs != tc.per1000 {
			t.Errorf("%s: %+v, want %v s raw, %v s per load, %v per 1000", tc.name, b, tc.raw, tc.perLoad, tc.per1000)
		}
	}
}

// TestSizingMeasurements reads the sizes of a real index and database and
// times a real worker draining a bulk update and its restore.
func TestSizingMeasurements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := testenv.Postgres(t)
	client, prefix := testenv.Elasticsearch(t)
	idx := index.New(client, prefix)
	if err := idx.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	gen, err := seed.New(seed.Options{Assets: 300, Tenants: 2, Groups: 3, Orgs: 6, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Import(ctx, pool, gen); err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	w := assetsync.NewWorker(pool, idx, slog.New(slog.NewTextHandler(io.Discard, nil)), assetsync.WorkerConfig{PollInterval: 50 * time.Millisecond})
	started := false
	t.Cleanup(func() {
		stop()
		if started {
			<-done
		}
	})
	es := harness.NewES(&http.Client{Transport: testenv.ElasticsearchTransport(t), Timeout: time.Minute}, testenv.ElasticsearchURL(t))
	snap := func(ctx context.Context) costReading {
		w, err := readIndexWork(ctx, es, idx.Alias())
		if err != nil {
			t.Error(err)
		}
		return costReading{work: w}
	}

	first, err := timeDrain(ctx, pool, "import", BackgroundCPU{}, snap, func(context.Context) (int64, error) {
		// The worker starts after the first reading, so all its indexing counts.
		started = true
		go func() { done <- w.Run(wctx) }()
		return 300, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Indexing 300 documents takes the index some milliseconds.
	if first.Rows != 300 || first.Workers != 1 || first.IndexMSPerThousand <= 0 {
		t.Errorf("initial drain %+v", first)
	}
	if err := idx.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	x, err := indexSize(ctx, es, idx.Alias())
	if err != nil {
		t.Fatal(err)
	}
	if x.Docs != 300 || x.Shards != 1 || x.PrimaryStoreBytes <= 0 || x.Segments <= 0 || x.NodeHeapMaxBytes <= 0 || x.NodeHeapUsedBytes <= 0 {
		t.Errorf("index size %+v", x)
	}
	if sum := x.SegmentsMemoryBytes + x.FixedBitSetBytes + x.VersionMapBytes + x.IndexWriterBytes + x.FielddataBytes +
		x.QueryCacheBytes + x.RequestCacheBytes; x.HeapBytes != sum {
		t.Errorf("heap attributed %d, parts add up to %d", x.HeapBytes, sum)
	}
	pg, err := postgresSize(ctx, pool)
	if err != nil {
		t.Fatal(err)
	}
	var assetsBytes int64
	for _, tb := range pg.Tables {
		if tb.Name == "assets" {
			assetsBytes = tb.Bytes
		}
	}
	if assetsBytes <= 0 || pg.DatabaseBytes < assetsBytes {
		t.Errorf("database %d bytes, assets table %d bytes (tables %v)", pg.DatabaseBytes, assetsBytes, pg.Tables)
	}

	add, err := timeDrain(ctx, pool, "add", BackgroundCPU{}, snap, func(ctx context.Context) (int64, error) { return addSizingLabel(ctx, pool, 200) })
	if err != nil {
		t.Fatal(err)
	}
	if add.Rows != 200 || add.Seconds <= 0 || add.RowsPerSecond <= 0 {
		t.Errorf("drain of the label %+v", add)
	}
	if err := idx.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := labelled(ctx, t, es, idx.Alias()); n != 200 {
		t.Errorf("%d documents carry the label after the drain, want 200", n)
	}
	r := &runner{pool: pool}
	restore, err := timeDrain(ctx, pool, "remove", BackgroundCPU{}, snap, r.removeBenchLabels)
	if err != nil {
		t.Fatal(err)
	}
	if restore.Rows != 200 {
		t.Errorf("restore %+v, want 200 rows", restore)
	}
	if err := idx.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if n := labelled(ctx, t, es, idx.Alias()); n != 0 {
		t.Errorf("%d documents carry the label after the restore", n)
	}
}

// labelled counts the documents carrying sizingLabel.
func labelled(ctx context.Context, t *testing.T, es *harness.ES, alias string) int64 {
	t.Helper()
	b, err := es.Do(ctx, http.MethodPost, "/"+alias+"/_count", []byte(`{"query":{"term":{"labels":"`+sizingLabel+`"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Count int64 `json:"count"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return res.Count
}

func TestSizingConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		rows int
		ok   bool
	}{{-1, false}, {0, true}, {SizingOutboxRowsDefault, true}} {
		err := SizingConfig{OutboxRows: tc.rows}.check()
		if (err == nil) != tc.ok {
			t.Errorf("%d rows: %v", tc.rows, err)
		}
		cfg := Config{Sizing: SizingConfig{OutboxRows: tc.rows}}
		if err := cfg.check(); (err != nil && strings.Contains(err.Error(), "--sizing-outbox-rows")) == tc.ok {
			t.Errorf("%d rows: Config.check says %v", tc.rows, err)
		}
	}
}
