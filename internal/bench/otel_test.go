package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

func TestWithoutOTEL(t *testing.T) {
	t.Parallel()
	got := withoutOTEL([]string{"PATH=/bin", "OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "ASSETS_INDEX=x", "OTEL_SERVICE_NAME=y", "XOTEL_=z"})
	if want := []string{"PATH=/bin", "ASSETS_INDEX=x", "XOTEL_=z"}; !slices.Equal(got, want) {
		t.Errorf("withoutOTEL = %q, want %q", got, want)
	}
}

// TestMeasureTracing runs the tracing step with the assets binary built
// from this tree, over a small data set: both serve processes answer the
// list, and the report gets the two sides and their ratio.
func TestMeasureTracing(t *testing.T) {
	t.Parallel()
	r := smallRunner(t)
	bin := filepath.Join(t.TempDir(), "assets")
	build := exec.Command("go", "build", "-o", bin, "github.com/openinventory/assets/cmd/assets")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the assets binary: %v\n%s", err, out)
	}
	r.cfg.Binary = bin
	if err := os.MkdirAll(filepath.Join(r.cfg.OutDir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := r.measureTracing(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := r.rep.measurement(tracingName)
	if m == nil || len(m.Sides) != 2 || len(m.Ratios) != 1 || m.Ratios[0].P50 <= 0 {
		t.Fatalf("report: %+v", r.rep.Measurements)
	}
	for _, s := range m.Sides {
		if s.N == 0 || s.Errors > 0 {
			t.Errorf("%s: %d answers, %d errors (%s)", s.Side, s.N, s.Errors, s.FirstError)
		}
	}
}
