package bench

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestFindBrowser(t *testing.T) {
	t.Parallel()
	none := func(string) (string, error) { return "", exec.ErrNotFound }
	if _, err := findBrowser(none); err == nil || !strings.Contains(err.Error(), "run scripts/browser.sh") {
		t.Errorf("without a browser: %v, want an error naming scripts/browser.sh", err)
	}
	second := func(n string) (string, error) {
		if n == "chromium-browser" {
			return "/usr/bin/chromium-browser", nil
		}
		return "", errors.New("not found")
	}
	if p, err := findBrowser(second); err != nil || p != "/usr/bin/chromium-browser" {
		t.Errorf("findBrowser = %q, %v", p, err)
	}
}

func TestBrowserTargetsAndRows(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		p50, p99 float64
		met      [2]bool
	}{
		{120, 380, [2]bool{true, true}},
		{150, 399, [2]bool{false, true}},
		{90, 400, [2]bool{true, false}},
	} {
		b := &BrowserFigures{Drawn: Stats{N: 40, P50: tc.p50, P99: tc.p99}}
		got := b.targets()
		if len(got) != 2 || got[0].Met != tc.met[0] || got[1].Met != tc.met[1] {
			t.Errorf("p50 %v p99 %v: targets %+v, want met %v", tc.p50, tc.p99, got, tc.met)
		}
	}
	if got := (&BrowserFigures{}).targets(); got[0].Met || got[1].Met {
		t.Errorf("no changes measured, yet targets met: %+v", got)
	}
	r := &Report{Browser: &BrowserFigures{Drawn: Stats{N: 40, P50: 80, P99: 300}, Kinds: map[string]int{"facet": 10, "clear": 10, "q": 10, "class": 10},
		RequestsMean: 11.5, RequestsMax: 12}}
	r.checkTargets()
	md := strings.Join(strings.Fields(r.Markdown()), " ")
	for _, want := range []string{"(40 changes: 10 facet, 10 class, 10 q, 10 clear)", "p50 80.0 ms, p99 300 ms", "11.5 (max 12)",
		"| explorer: filter change to a drawn page, p50 | < 150 ms | 80 ms (40 changes) | yes |",
		"| explorer: filter change to a drawn page, p99 | < 400 ms | 300 ms | yes |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}

// TestMeasureBrowser drives the explorer of a real API over a small
// indexed data set in Chromium: every timed change is drawn, measured
// and made requests. Without Chromium it fails under CI=true.
func TestMeasureBrowser(t *testing.T) {
	t.Parallel()
	if _, err := findBrowser(exec.LookPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	r := newIndexedRunner(t, 2000)
	r.cfg.BrowserChanges = 8
	if err := r.measureBrowser(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := r.rep.Browser
	if b == nil || b.Changes != 8 || b.Drawn.N != 8 || b.Drawn.P50 <= 0 || b.Warmup != len(changeKinds) {
		t.Fatalf("figures %+v", b)
	}
	for _, k := range changeKinds {
		if b.Kinds[k] != 2 {
			t.Errorf("%d timed changes of kind %s, want 2 (%v)", b.Kinds[k], k, b.Kinds)
		}
	}
	// One page of the table and the values of every facet group.
	if b.RequestsMean < 2 || b.RequestsMax < 2 {
		t.Errorf("requests per change: mean %.1f, max %d", b.RequestsMean, b.RequestsMax)
	}
	t.Logf("change to drawn: p50 %.1f ms p99 %.1f ms, %.1f requests per change", b.Drawn.P50, b.Drawn.P99, b.RequestsMean)
}
