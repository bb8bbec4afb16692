package harness_test

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/internal/testenv"
)

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		db, es string
		ok     bool
	}{
		{"postgres://assets@127.0.0.1:55432/assets?sslmode=disable", "http://127.0.0.1:59200", true},
		{"postgres://assets@localhost/assets", "http://[::1]:9200,http://127.0.0.2:9200", true},
		{"host=/var/run/postgresql dbname=assets", "http://localhost:9200", true},
		{"postgres://a@localhost:5432/x", "", true},
		{"", "http://127.0.0.1:59200", true},
		{"postgres://assets@db.example.com/assets", "http://127.0.0.1:9200", false},
		{"postgres://assets@127.0.0.1/assets", "http://127.0.0.1:9200,http://10.0.0.5:9200", false},
		{"", "http://10.0.0.8:9200", false},
	} {
		err := harness.LoopbackOnly(tc.db, tc.es)
		if (err == nil) != tc.ok {
			t.Errorf("LoopbackOnly(%q, %q) = %v, want ok %v", tc.db, tc.es, err, tc.ok)
		}
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	if got := harness.Truncate([]byte("a\n  b\tc"), 10); got != "a b c" {
		t.Errorf("Truncate = %q", got)
	}
	if got := harness.Truncate([]byte("abcdef"), 3); got != "abc..." {
		t.Errorf("Truncate = %q", got)
	}
}

func TestTailBuffer(t *testing.T) {
	t.Parallel()
	tb := &harness.TailBuffer{Max: 4}
	_, _ = tb.Write([]byte("abc"))
	_, _ = tb.Write([]byte("defg"))
	if tb.String() != "defg" {
		t.Errorf("tail = %q", tb.String())
	}
}

func TestRunAndStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sh := "/bin/sh"
	if _, err := os.Stat(sh); err != nil {
		t.Skip(err)
	}
	ctx := context.Background()
	out, err := harness.Run(ctx, harness.Spec{Name: "ok", Bin: sh, Args: []string{"-c", "echo out; echo err >&2"},
		Log: filepath.Join(dir, "ok.log"), AppendLog: true}, 10*time.Second)
	if err != nil || strings.TrimSpace(string(out)) != "out" {
		t.Fatalf("Run = %q, %v", out, err)
	}
	_, err = harness.Run(ctx, harness.Spec{Name: "fail", Bin: sh, Args: []string{"-c", "echo boom >&2; exit 3"},
		Log: filepath.Join(dir, "fail.log")}, 10*time.Second)
	var ee *harness.ExitStatusError
	if !errors.As(err, &ee) || ee.Code != 3 || ee.Stderr != "boom" {
		t.Fatalf("Run = %v", err)
	}
	c, err := harness.Start(harness.Spec{Name: "sleeper", Bin: sh, Args: []string{"-c", "sleep 30"}, Log: filepath.Join(dir, "s.log")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Exited() || c.Err() != nil {
		t.Fatalf("a running child: exited %v, err %v", c.Exited(), c.Err())
	}
	if rss, err := c.PeakRSS(); err != nil || rss <= 0 {
		t.Errorf("PeakRSS = %d, %v", rss, err)
	}
	if err := c.Kill(); err != nil || !c.Exited() {
		t.Fatalf("Kill = %v, exited %v", err, c.Exited())
	}
}

func TestCreateAndDropDatabase(t *testing.T) {
	t.Parallel()
	admin := testenv.DatabaseURL(t) // an existing database to connect through
	ctx := context.Background()
	name := testenv.Name("harness_test_")
	if _, err := harness.CreateDatabase(ctx, admin, name); err != nil {
		t.Fatal(err)
	}
	if ok, err := harness.DatabaseExists(ctx, admin, name); err != nil || !ok {
		t.Fatalf("DatabaseExists after create = %v, %v", ok, err)
	}
	if _, err := harness.CreateDatabase(ctx, admin, name); err != nil {
		t.Fatalf("recreating: %v", err)
	}
	if err := harness.DropDatabase(ctx, admin, name); err != nil {
		t.Fatal(err)
	}
	if ok, err := harness.DatabaseExists(ctx, admin, name); err != nil || ok {
		t.Fatalf("DatabaseExists after drop = %v, %v", ok, err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := harness.DatabaseURL(admin, strings.TrimPrefix(u.Path, "/")); err == nil {
		t.Error("DatabaseURL accepted the admin database itself")
	}
}
