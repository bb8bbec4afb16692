package bench

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/internal/testenv"
)

// smallRunner is newIndexedRunner over 1,000 assets with the direct
// Elasticsearch side and a closed loop of three clients for a second.
func smallRunner(t *testing.T) *runner {
	t.Helper()
	r := newIndexedRunner(t, 1000)
	esURL, _, _ := strings.Cut(testenv.ElasticsearchURL(t), ",")
	r.es = harness.NewES(newHTTPClient(), esURL)
	r.cfg.Clients, r.cfg.Duration, r.cfg.ElasticsearchURL = 3, time.Second, esURL
	return r
}

// TestMeasureConcurrency runs the concurrency step over a small data set,
// the real API and the real Elasticsearch: every side answers, and the
// report gets both rates, their ratio and a target each.
func TestMeasureConcurrency(t *testing.T) {
	t.Parallel()
	r := smallRunner(t)
	if err := r.measureConcurrency(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(r.rep.Concurrency) != 2 {
		t.Fatalf("concurrency runs: %+v, want the list and the group values", r.rep.Concurrency)
	}
	for _, c := range r.rep.Concurrency {
		for name, s := range map[string]LoopSide{"API": c.API, "Elasticsearch": c.Elasticsearch} {
			if s.Requests == 0 || s.Errors > 0 || s.PerSecond <= 0 {
				t.Errorf("%s, %s: %d answers, %d errors (%s)", c.Name, name, s.Requests, s.Errors, s.FirstError)
			}
		}
		if c.Clients != 3 || c.Ratio <= 0 {
			t.Errorf("%s: clients %d, ratio %v", c.Name, c.Clients, c.Ratio)
		}
	}
	r.rep.checkTargets()
	if len(r.rep.Targets) != 2 {
		t.Errorf("targets %+v, want one per query", r.rep.Targets)
	}
}
