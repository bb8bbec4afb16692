package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/store"
)

// cancelAfter cancels ctx once n records were read, as Ctrl-C would.
type cancelAfter struct {
	src    store.RecordSource
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Next() (store.Record, error) {
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return c.src.Next()
}

func TestSeedOutStopsOnASignalAndLeavesNoPartialFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "seed.ndjson")
	if err := os.WriteFile(path, []byte("old\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	gen, err := seed.New(seed.Options{Assets: seed.MaxAssets, Tenants: 1, Groups: 1, Orgs: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = writeNDJSON(ctx, path, &cancelAfter{src: gen, n: 1000, cancel: cancel})
	if err == nil || !strings.Contains(err.Error(), "removed the partial file") {
		t.Fatalf("writeNDJSON after cancel = %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "old\n" {
		t.Errorf("the existing file was changed: %.40q", b)
	}
	if _, err := os.Stat(path + ".partial"); !os.IsNotExist(err) {
		t.Errorf("partial file left behind: %v", err)
	}
	// A run that completes replaces the file and leaves no partial file.
	r := run(t, offlineEnv(), "seed", "--assets", "20", "--out", path)
	if r.err != nil {
		t.Fatal(r.err)
	}
	if b, _ := os.ReadFile(path); strings.Count(string(b), `"container_images"`) != 20 {
		t.Errorf("seed --out wrote %d bytes without 20 assets", len(b))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files in the directory: %v", entries)
	}
}

func TestSeedRefusesSizesOutOfRange(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "never.ndjson")
	for _, args := range [][]string{
		{"--assets", "0"},
		{"--assets", "-3"},
		{"--assets", "100000000000"},
		{"--tenants", "0"},
		{"--tenants", "5000", "--groups", "5000", "--orgs", "5000"},
		{"--groups", "100000", "--orgs", "100000"},
		{"--orgs", "1000000"},
		{"--assets", "lots"},
	} {
		r := run(t, offlineEnv(), append([]string{"seed", "--out", out}, args...)...)
		if r.code != 2 {
			t.Errorf("seed %v: exit %d, %v", args, r.code, r.err)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a refused seed wrote its file")
	}
}
