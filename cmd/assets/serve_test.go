package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/internal/testenv"
)

// logBuffer is a log sink safe for the goroutines of serve.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testServeEnv is an Env on a fresh database and index prefix, logging to
// the returned buffer.
func testServeEnv(t *testing.T) (*cli.Env, *logBuffer) {
	t.Helper()
	_, prefix := testenv.Elasticsearch(t)
	logs := &logBuffer{}
	return &cli.Env{
		DatabaseURL: testenv.DatabaseURL(t), ElasticsearchURL: testenv.ElasticsearchURL(t), IndexPrefix: prefix,
		ES:     testenv.ElasticsearchAuth(t),
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	}, logs
}

// freeAddr is a loopback address nothing listens on (now).
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := harness.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestServePortInUse(t *testing.T) {
	t.Parallel()
	e, logs := testServeEnv(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, args := range [][]string{
		{"--addr", busy.Addr().String()},
		{"--addr", freeAddr(t), "--metrics-addr", busy.Addr().String()},
	} {
		cmd := newServeCmd(e)
		cmd.SilenceUsage = true
		cmd.SetArgs(args)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := cmd.ExecuteContext(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
			t.Errorf("%v: err = %v, want the busy address named", args, err)
		}
	}
	if strings.Contains(logs.String(), "serving") {
		t.Errorf("a port in use was reported as serving:\n%s", logs)
	}
}

func TestServeMetricsListener(t *testing.T) {
	t.Parallel()
	e, logs := testServeEnv(t)
	apiAddr, metricsAddr := freeAddr(t), freeAddr(t)
	cmd := newServeCmd(e)
	cmd.SetArgs([]string{"--addr", apiAddr, "--metrics-addr", metricsAddr})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
		if n := strings.Count(logs.String(), "serving the API"); n != 1 {
			t.Errorf("serving the API logged %d times:\n%s", n, logs)
		}
	}()
	status := func(url string) int {
		res, err := http.Get(url)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	deadline := time.Now().Add(30 * time.Second)
	for status("http://"+apiAddr+"/healthz") != http.StatusOK || status("http://"+metricsAddr+"/metrics") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not come up:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := status("http://" + apiAddr + "/metrics"); got != http.StatusNotFound {
		t.Errorf("/metrics on the API listener = %d, want 404", got)
	}
}

// TestServeBadEnvironment: a malformed limit in the environment is bad
// input, before anything connects.
func TestServeBadEnvironment(t *testing.T) {
	t.Setenv("ASSETS_RATE_BURST", "lots")
	cmd := newServeCmd(&cli.Env{Logger: slog.New(slog.NewTextHandler(&logBuffer{}, nil))})
	cmd.SilenceUsage = true
	cmd.SetArgs(nil)
	err := cmd.ExecuteContext(context.Background())
	var ee *cli.ExitError
	if !errors.As(err, &ee) || ee.Code != cli.ExitBadInput || !strings.Contains(err.Error(), "ASSETS_RATE_BURST") {
		t.Errorf("err = %v, want bad input naming ASSETS_RATE_BURST", err)
	}
}
