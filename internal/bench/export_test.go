package bench

import (
	"strings"
	"testing"
)

func TestCountNDJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		n       int64
		wantErr bool
	}{
		{"", 0, false},
		{`{"id":"a"}` + "\n" + `{"id":"b"}` + "\n", 2, false},
		{`{"id":"a"}` + "\n" + `{"errors":[{"status":"503"}]}` + "\n", 1, true},
	} {
		n, err := countNDJSON(strings.NewReader(tc.in))
		if n != tc.n || (err != nil) != tc.wantErr {
			t.Errorf("%q: %d, %v; want %d, error %v", tc.in, n, err, tc.n, tc.wantErr)
		}
	}
}

func TestExportRates(t *testing.T) {
	t.Parallel()
	api, direct, ratio := exportRates(1000, 2, 1000, 1)
	if api != 500 || direct != 1000 || ratio != 0.5 {
		t.Errorf("rates %v %v ratio %v", api, direct, ratio)
	}
	if _, _, ratio := exportRates(10, 1, 0, 0); ratio != 0 {
		t.Errorf("ratio without a direct side = %v", ratio)
	}
}

func TestExportInMarkdown(t *testing.T) {
	t.Parallel()
	r := &Report{Export: &ExportThroughput{PageSize: 1000, APIAssets: 5000, APIAssetsPerSecond: 2500, APISeconds: 2,
		DirectAssetsPerSecond: 3000, DirectSeconds: 1.7, Ratio: 0.83, ServePeakBytes: 64 << 20}}
	md := r.Markdown()
	for _, want := range []string{"export of the tenant (5,000 assets", "2,500 assets/s", "0.83x", "peak RSS of serve during the export"} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q:\n%s", want, md)
		}
	}
}
