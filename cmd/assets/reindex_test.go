package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/internal/cli"
	"github.com/openinventory/assets/internal/testenv"
)

// TestReindexIfOutdated: `reindex --if-outdated` (what make run calls)
// leaves a current index alone and rebuilds one an older version made.
func TestReindexIfOutdated(t *testing.T) {
	t.Parallel()
	es, prefix := testenv.Elasticsearch(t)
	e := &cli.Env{
		DatabaseURL:      testenv.DatabaseURL(t),
		ElasticsearchURL: testenv.ElasticsearchURL(t),
		ES:               testenv.ElasticsearchAuth(t),
		IndexPrefix:      prefix,
		Logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, args := range [][]string{{"migrate"}, {"seed", "--assets", "20", "--tenants", "1", "--groups", "1", "--orgs", "1"}} {
		if r := run(t, e, args...); r.err != nil {
			t.Fatalf("%v: %v", args, r.err)
		}
	}
	type answer struct {
		Docs    int  `json:"docs"`
		Current bool `json:"current"`
	}
	reindex := func() answer {
		t.Helper()
		r := run(t, e, "reindex", "--if-outdated")
		if r.err != nil {
			t.Fatalf("reindex --if-outdated: %v", r.err)
		}
		var a answer
		if err := json.Unmarshal([]byte(r.out), &a); err != nil {
			t.Fatalf("decoding %q: %v", r.out, err)
		}
		return a
	}
	if a := reindex(); !a.Current || a.Docs != 0 {
		t.Fatalf("a current index: %+v, want left alone", a)
	}
	// Make the index look built before versions were recorded (no
	// mapping_version), as every index of an earlier checkout is.
	res, err := es.Indices.PutMapping([]string{prefix}, strings.NewReader(`{"_meta":{}}`))
	if err != nil || res.IsError() {
		t.Fatalf("marking the index outdated: %v %v", err, res)
	}
	_ = res.Body.Close()
	// Every command that connects says to reindex, but reindex itself.
	var logs bytes.Buffer
	e.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	pool, _, err := cli.Connect(t.Context(), e)
	if err != nil {
		t.Fatal(err)
	}
	pool.Close()
	if !strings.Contains(logs.String(), "run `assets reindex`") {
		t.Errorf("connecting to an outdated index logged %q, want the advice to reindex", logs.String())
	}
	logs.Reset()
	if a := reindex(); a.Current || a.Docs != 20 {
		t.Fatalf("an outdated index: %+v, want 20 documents reindexed", a)
	}
	if strings.Contains(logs.String(), "run `assets reindex`") {
		t.Errorf("reindex told its user to run reindex: %q", logs.String())
	}
	if a := reindex(); !a.Current {
		t.Fatalf("after the reindex: %+v, want current (mapping version %d)", a, index.MappingVersion)
	}
}
