package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/internal/seed"
	"github.com/openinventory/assets/internal/testenv"
)

// logLines decodes JSON log lines.
func logLines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// TestImportCommandReportsEveryPhase runs the import command on a file of
// a few thousand assets without a terminal and a short interval: the log
// lines name each phase, the phases end at their totals, and the last one
// ends only when the import does.
func TestImportCommandReportsEveryPhase(t *testing.T) {
	t.Setenv("ASSETS_PROGRESS", "log")
	t.Setenv("ASSETS_PROGRESS_INTERVAL", "2ms")
	const assets = 4000
	path := filepath.Join(t.TempDir(), "assets.ndjson")
	gen, err := seed.New(seed.Options{Assets: assets, Tenants: 2, Groups: 3, Orgs: 5, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := writeNDJSON(context.Background(), path, gen); err != nil {
		t.Fatal(err)
	}
	var logs, out bytes.Buffer
	e := &cli.Env{DatabaseURL: testenv.DatabaseURL(t), Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	cmd := newImportCmd(e)
	cmd.SetArgs([]string{path})
	cmd.SetOut(&out)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	var order []string
	periodic := 0
	ended := map[string]map[string]any{}
	for _, l := range logLines(t, logs.Bytes()) {
		switch l["msg"] {
		case "progress":
			periodic++
			if l["phase"] != "load" && l["phase"] != "merge" {
				t.Errorf("line of an unknown phase: %v", l)
			}
		case "progress phase done":
			order = append(order, l["phase"].(string))
			ended[l["phase"].(string)] = l
		case "import done":
			order = append(order, "import done")
		}
	}
	if len(order) != 3 || order[0] != "load" || order[1] != "merge" || order[2] != "import done" {
		t.Fatalf("phases ended in the order %v; want load, merge, then import done", order)
	}
	if periodic == 0 {
		t.Error("no periodic progress line")
	}
	if l := ended["load"]; l["done"] != float64(assets) {
		t.Errorf("load ended at %v; want %d assets", l, assets)
	}
	if l := ended["merge"]; l["done"] != l["total"] || l["total"] == nil {
		t.Errorf("merge ended at %v; want done = total", l)
	}
}
