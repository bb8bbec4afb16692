package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/openinventory/assets/index"
)

// ExportThroughput compares the API's export of the tenant with reading
// the same documents straight from Elasticsearch (a point in time and
// search_after pages of the same size), and the serve process's peak
// resident set while it streamed.
type ExportThroughput struct {
	PageSize              int     `json:"page_size"`
	APIAssets             int64   `json:"api_assets"`
	APISeconds            float64 `json:"api_seconds"`
	APIAssetsPerSecond    float64 `json:"api_assets_per_second"`
	DirectAssets          int64   `json:"direct_assets"`
	DirectSeconds         float64 `json:"direct_seconds"`
	DirectAssetsPerSecond float64 `json:"direct_assets_per_second"`
	Ratio                 float64 `json:"api_to_direct"`
	// ServePeakBytes is VmHWM of serve, reset just before the export
	// (0 when the kernel does not allow resetting it); ServePeakBefore is
	// VmHWM before that reset, which the run's peak still counts.
	ServePeakBytes  int64 `json:"serve_peak_bytes"`
	ServePeakBefore int64 `json:"serve_peak_before_bytes"`
}

// addRows adds the export's lines to the report's table.
func (x *ExportThroughput) addRows(o *table) {
	o.add(fmt.Sprintf("export of the tenant (%s assets, NDJSON, pages of %d)", thousands(float64(x.APIAssets)), x.PageSize),
		fmt.Sprintf("%s assets/s (%.1f s)", thousands(x.APIAssetsPerSecond), x.APISeconds))
	o.add("direct point in time + search_after, same pages", fmt.Sprintf("%s assets/s (%.1f s)", thousands(x.DirectAssetsPerSecond), x.DirectSeconds))
	o.add("export / direct", fmt.Sprintf("%.2fx", x.Ratio))
	o.add("peak RSS of serve during the export", bytesText(x.ServePeakBytes))
}

// measureExport exports the benchmark's tenant (the largest) through the
// API as NDJSON, then reads it directly, and records both rates.
func (r *runner) measureExport(ctx context.Context) error {
	x := &ExportThroughput{PageSize: index.ExportPageSizeDefault}
	x.ServePeakBefore, _ = r.serve.PeakRSS()
	reset := resetPeakRSS(r.serve.Pid())
	t0 := time.Now()
	n, err := r.apiExport(ctx)
	if err != nil {
		return err
	}
	x.APIAssets, x.APISeconds = n, time.Since(t0).Seconds()
	if reset == nil {
		if x.ServePeakBytes, err = r.serve.PeakRSS(); err != nil {
			r.log.Warn("bench: reading the API's peak memory", "err", err)
		}
	} else {
		r.log.Warn("bench: cannot reset the API's peak memory; export peak not measured", "err", reset)
	}
	t0 = time.Now()
	if x.DirectAssets, err = r.directExport(ctx); err != nil {
		return err
	}
	x.DirectSeconds = time.Since(t0).Seconds()
	x.APIAssetsPerSecond, x.DirectAssetsPerSecond, x.Ratio = exportRates(x.APIAssets, x.APISeconds, x.DirectAssets, x.DirectSeconds)
	r.rep.Export = x
	r.rep.Targets = append(r.rep.Targets, Target{Name: "export / direct point in time + search_after", Want: ">= 0.80x",
		Got: fmt.Sprintf("%.2fx (%s assets/s)", x.Ratio, thousands(x.APIAssetsPerSecond)), Met: x.Ratio >= 0.8 && x.APIAssets == x.DirectAssets})
	return nil
}

// exportRates are both rates and their ratio (API over direct).
func exportRates(apiN int64, apiS float64, directN int64, directS float64) (api, direct, ratio float64) {
	if apiS > 0 {
		api = float64(apiN) / apiS
	}
	if directS > 0 {
		direct = float64(directN) / directS
	}
	if direct > 0 {
		ratio = api / direct
	}
	return api, direct, ratio
}

// resetPeakRSS resets VmHWM of a process (Linux: "5" to clear_refs).
func resetPeakRSS(pid int) error {
	return os.WriteFile(filepath.Join("/proc", strconv.Itoa(pid), "clear_refs"), []byte("5"), 0)
}

// apiExport streams GET .../export and counts its lines; the client has
// no overall timeout (the export may last minutes), only ctx.
func (r *runner) apiExport(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.api.base+r.api.url("/export", url.Values{"format": {"ndjson"}}), nil)
	if err != nil {
		return 0, err
	}
	req.Header = r.api.header.Clone()
	req.Header.Set("Accept", "application/x-ndjson")
	res, err := (&http.Client{Transport: r.api.http.Transport}).Do(req)
	if err != nil {
		return 0, fmt.Errorf("exporting: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(res.Body, 300))
		return 0, fmt.Errorf("exporting: status %d: %s", res.StatusCode, b)
	}
	return countNDJSON(res.Body)
}

// countNDJSON counts the lines of an export; the error trailer, a line
// {"errors":[...]}, is an error.
func countNDJSON(rd io.Reader) (int64, error) {
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	var n int64
	for sc.Scan() {
		line := sc.Bytes()
		if bytes.HasPrefix(line, []byte(`{"errors":`)) {
			return n, fmt.Errorf("the export broke off after %d assets: %s", n, line)
		}
		n++
	}
	return n, sc.Err()
}

// directExport reads the tenant from Elasticsearch as the export does:
// one point in time, pages of the export's size by id, every _source
// read.
func (r *runner) directExport(ctx context.Context) (int64, error) {
	b, err := r.es.Do(ctx, http.MethodPost, "/"+r.idx.Alias()+"/_pit?keep_alive=1m", nil)
	if err != nil {
		return 0, err
	}
	var pit struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &pit); err != nil || pit.ID == "" {
		return 0, errors.Join(errors.New("opening a point in time"), err)
	}
	defer r.closePITs(context.WithoutCancel(ctx), []string{pit.ID})
	req := index.SearchRequest{Scope: index.Scope{TenantID: r.data.tenantID}, Limit: index.ExportPageSizeDefault, PIT: pit.ID, KeepAlive: time.Minute}
	var n int64
	for {
		path, body, err := r.directSearch(req)
		if err != nil {
			return n, err
		}
		b, err := r.es.Do(ctx, http.MethodPost, path, body)
		if err != nil {
			return n, err
		}
		hits, err := decodeESHits(b)
		if err != nil {
			return n, err
		}
		got := min(len(hits.Hits.Hits), req.Limit)
		n += int64(got)
		if len(hits.Hits.Hits) <= req.Limit {
			return n, nil
		}
		req.SearchAfter = hits.Hits.Hits[req.Limit-1].Sort
		if hits.PITID != "" {
			req.PIT = hits.PITID
		}
	}
}
