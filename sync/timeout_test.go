package sync

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/elastic/go-elasticsearch/v8"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/testenv"
	"github.com/openinventory/assets/store"
)

// hungListener accepts connections and never answers, like a hung node.
func hungListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	return "http://" + ln.Addr().String()
}

// A batch whose Elasticsearch write hangs ends at the batch deadline, rolls
// back (no session left idle in transaction) and keeps its rows.
func TestHungElasticsearchEndsTheBatchAtItsDeadline(t *testing.T) {
	t.Parallel()
	f := setup(t, 20)
	es, err := elasticsearch.NewClient(elasticsearch.Config{Addresses: []string{hungListener(t)}, MaxRetries: 0})
	if err != nil {
		t.Fatal(err)
	}
	w := NewWorker(f.pool, index.New(es, f.idx.Alias()), quiet(), WorkerConfig{BatchTimeout: time.Second})
	done := make(chan error, 1)
	start := time.Now()
	go func() { _, err := w.ProcessBatch(context.Background()); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a batch against a hung Elasticsearch succeeded")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the batch took %v, want about its 1 s deadline", d)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the batch is still waiting on the hung Elasticsearch after 15 s")
	}
	var idle int64
	err = f.pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&idle)
	if err != nil || idle != 0 {
		t.Errorf("%d sessions idle in transaction (%v), want 0", idle, err)
	}
	if n := backlog(t, f.pool); n != 20 {
		t.Errorf("backlog = %d, want the 20 rows kept for a retry", n)
	}
}

// The worker's LISTEN does not hold a connection of the pool: with a pool
// of one, other queries still get it while the worker runs.
func TestListenerTakesNoPoolConnection(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool, err := store.OpenWith(ctx, testenv.DatabaseURL(t), store.PoolSettings{MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	es, prefix := testenv.Elasticsearch(t)
	idx := index.New(es, prefix)
	if err := idx.EnsureIndex(ctx); err != nil {
		t.Fatal(err)
	}
	w := NewWorker(pool, idx, quiet(), WorkerConfig{PollInterval: time.Hour})
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = w.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	time.Sleep(500 * time.Millisecond) // the listener is connected by now
	for i := range 3 {
		actx, acancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pool.Acquire(actx)
		acancel()
		if err != nil {
			t.Fatalf("acquire %d with the worker running: %v", i, err)
		}
		conn.Release()
	}
}
