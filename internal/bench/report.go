package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Report is the outcome of one run; it marshals to the JSON file.
type Report struct {
	Date          time.Time   `json:"date"`
	Command       string      `json:"command"`
	Machine       Machine     `json:"machine"`
	GoVersion     string      `json:"go_version"`
	Postgres      string      `json:"postgresql_version"`
	Elasticsearch string      `json:"elasticsearch_version"`
	Settings      Settings    `json:"settings"`
	Dataset       DatasetInfo `json:"dataset"`

	Measurements []Measurement     `json:"measurements"`
	TrigramIndex *IndexBuild       `json:"pg_trgm_index,omitempty"`
	SyncLag      *SyncLag          `json:"sync_lag,omitempty"`
	Reindex      *Throughput       `json:"reindex,omitempty"`
	Export       *ExportThroughput `json:"export,omitempty"`
	Memory       *Memory           `json:"peak_memory,omitempty"`
	Browser      *BrowserFigures   `json:"browser,omitempty"`
	Snapshots    *SnapshotImport   `json:"project_snapshots,omitempty"`
	Concurrency  []ConcurrencyRun  `json:"concurrency,omitempty"`
	Sizing       *Sizing           `json:"sizing,omitempty"`
	Targets      []Target          `json:"targets"`
	Seconds      float64           `json:"seconds"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs        int    `json:"cpus"`
	CPUModel    string `json:"cpu_model,omitempty"`
	MemoryBytes int64  `json:"memory_bytes,omitempty"`
	OS          string `json:"os"`
}

// Settings are the knobs of the run.
type Settings struct {
	Requests       int     `json:"requests_per_side"`
	Seconds        float64 `json:"seconds_per_measurement"`
	Warmup         int     `json:"warmup_rounds"`
	LagRate        int     `json:"lag_updates_per_second"`
	LagSeconds     float64 `json:"lag_seconds"`
	IndexPrefix    string  `json:"index_prefix"`
	ServedByBinary string  `json:"binary"`
}

// DatasetInfo is the seeded data and how this run got it.
type DatasetInfo struct {
	Assets       int     `json:"assets"`
	Seed         int64   `json:"seed"`
	Tenants      int     `json:"tenants"`
	Groups       int     `json:"groups"`
	Orgs         int     `json:"orgs"`
	TenantID     string  `json:"tenant_id"`
	TenantAssets int64   `json:"tenant_assets"`
	Seeded       bool    `json:"seeded_now"`
	SeedSeconds  float64 `json:"seed_seconds,omitempty"`
	Indexed      bool    `json:"indexed_now"`
	IndexSeconds float64 `json:"index_seconds,omitempty"`
}

// Measurement is one question asked several ways, side by side.
type Measurement struct {
	Name    string  `json:"name"`
	Request string  `json:"request"`
	Sides   []Stats `json:"sides"`
	// Ratios compare the first side (the API) with each other side.
	Ratios []Ratio `json:"ratios,omitempty"`
	// SameAnswer: the sides returned the same result, checked once
	// outside the timing.
	SameAnswer *bool  `json:"same_answer,omitempty"`
	Note       string `json:"note,omitempty"`
}

// Ratio is the first side's latency over another side's.
type Ratio struct {
	Of   string  `json:"of"`
	To   string  `json:"to"`
	P50  float64 `json:"p50"`
	Mean float64 `json:"mean"`
	P99  float64 `json:"p99"`
}

// IndexBuild is the cost of an index built for a measurement.
type IndexBuild struct {
	Seconds float64 `json:"seconds"`
	Bytes   int64   `json:"bytes"`
}

// SyncLag is the time from an update's commit to its visibility.
type SyncLag struct {
	Updates    int     `json:"updates"`
	TargetRate int     `json:"target_updates_per_second"`
	Rate       float64 `json:"updates_per_second"`
	Seconds    float64 `json:"seconds"`
	Visible    int     `json:"visible"`
	NotVisible int     `json:"not_visible_in_time"`
	Poll       string  `json:"poll_interval"`
	Stats      Stats   `json:"lag"`
	// Acknowledged is the worker's part: commit to the outbox row's
	// removal, which follows Elasticsearch's acknowledgement.
	Acknowledged Stats `json:"acknowledged"`
}

// Throughput compares sync.Reindex with raw _bulk of the same documents.
type Throughput struct {
	Docs          int64   `json:"docs"`
	Workers       int     `json:"concurrent_requests"`
	FlushBytes    int     `json:"request_bytes"`
	EncodeSeconds float64 `json:"raw_encode_seconds_untimed"`
	// RawRuns are the raw loads before and after the reindex; RawSeconds
	// is their mean.
	RawRuns          []float64 `json:"raw_runs_seconds"`
	RawSeconds       float64   `json:"raw_seconds"`
	RawDocsPerSecond float64   `json:"raw_docs_per_second"`
	// RawCPU and ReindexCPU are the processor time each load took.
	RawCPU               []CPU   `json:"raw_cpu_seconds"`
	ReindexCPU           CPU     `json:"reindex_cpu_seconds"`
	ReindexDocs          int64   `json:"reindex_docs"`
	ReindexSeconds       float64 `json:"reindex_seconds"`
	ReindexDocsPerSecond float64 `json:"reindex_docs_per_second"`
	Ratio                float64 `json:"reindex_to_raw"`
}

// Memory is the peak resident set (VmHWM) of the two processes.
type Memory struct {
	APIBytes    int64 `json:"api_bytes"`
	WorkerBytes int64 `json:"worker_bytes"`
}

// Target is one goal of the issue, met or not.
type Target struct {
	Name string `json:"name"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}

func newReport(cfg Config, start time.Time) *Report {
	return &Report{
		Date: start.UTC().Truncate(time.Second), Command: cfg.Command, Machine: machine(), GoVersion: runtime.Version(),
		Settings: Settings{
			Requests: cfg.Requests, Seconds: cfg.Duration.Seconds(), Warmup: warmupRounds,
			LagRate: cfg.LagRate, LagSeconds: cfg.LagDuration.Seconds(), IndexPrefix: cfg.Index.Alias(), ServedByBinary: cfg.Binary,
		},
	}
}

// add appends a measurement with its ratios.
func (r *Report) add(m Measurement) {
	if len(m.Sides) > 1 {
		a := m.Sides[0]
		for _, s := range m.Sides[1:] {
			m.Ratios = append(m.Ratios, Ratio{Of: a.Side, To: s.Side, P50: ratio(a.P50, s.P50), Mean: ratio(a.Mean, s.Mean), P99: ratio(a.P99, s.P99)})
		}
	}
	r.Measurements = append(r.Measurements, m)
}

// measurement finds a measurement by the start of its name.
func (r *Report) measurement(prefix string) *Measurement {
	for i := range r.Measurements {
		if strings.HasPrefix(r.Measurements[i].Name, prefix) {
			return &r.Measurements[i]
		}
	}
	return nil
}

// checkTargets compares the results with the targets, after the
// targets steps added themselves (export); it runs once, at the end.
func (r *Report) checkTargets() {
	if m := r.measurement("bulk PATCH"); m != nil && len(m.Sides) > 0 {
		p99 := m.Sides[0].P99
		r.Targets = append(r.Targets, Target{Name: "bulk PATCH of 100 assets, p99 (API)", Want: "< 100 ms",
			Got: fmt.Sprintf("%.1f ms", p99), Met: p99 > 0 && p99 < 100})
	}
	if l := r.SyncLag; l != nil {
		p99 := l.Stats.P99
		r.Targets = append(r.Targets, Target{Name: fmt.Sprintf("sync lag at %d updates/s, p99", l.TargetRate), Want: "< 1.5 s",
			Got: fmt.Sprintf("%.2f s (%d of %d visible)", p99/1000, l.Visible, l.Updates), Met: p99 > 0 && p99 < 1500 && l.NotVisible == 0})
	}
	if t := r.Reindex; t != nil {
		r.Targets = append(r.Targets,
			Target{Name: "reindex throughput", Want: ">= 15,000 docs/s", Got: fmt.Sprintf("%s docs/s", thousands(t.ReindexDocsPerSecond)), Met: t.ReindexDocsPerSecond >= 15000},
			Target{Name: "reindex / raw _bulk", Want: ">= 0.80x", Got: fmt.Sprintf("%.2fx", t.Ratio), Met: t.Ratio >= 0.8})
	}
	if m := r.measurement("list:"); m != nil && len(m.Ratios) > 0 {
		x := m.Ratios[0].P50
		r.Targets = append(r.Targets, Target{Name: "list API / direct Elasticsearch, p50", Want: "<= 1.20x (else profile)",
			Got: fmt.Sprintf("%.2fx", x), Met: x > 0 && x <= 1.2})
	}
	if b := r.Browser; b != nil {
		r.Targets = append(r.Targets, b.targets()...)
	}
	r.Targets = append(r.Targets, r.concurrencyTargets()...)
	for _, m := range r.Measurements {
		if m.SameAnswer != nil && !*m.SameAnswer {
			r.Targets = append(r.Targets, Target{Name: m.Name + ": same answer on every side", Want: "yes", Got: "no"})
		}
	}
}

// Markdown renders the report: a heading with the context, the latency
// table, throughput and memory, and the targets.
func (r *Report) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Benchmark, %s\n\n", r.Date.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "- command: `%s` (%.0f s)\n", r.Command, r.Seconds)
	m := r.Machine
	fmt.Fprintf(&b, "- machine: %d CPUs (%s), %s memory, %s; %s; PostgreSQL %s; Elasticsearch %s\n",
		m.CPUs, orDash(m.CPUModel), bytesText(m.MemoryBytes), m.OS, r.GoVersion, orDash(r.Postgres), orDash(r.Elasticsearch))
	d := r.Dataset
	fmt.Fprintf(&b, "- data: %s assets (seed %d; %d tenants, %d groups, %d orgs), read in the largest tenant (%s assets)",
		thousands(float64(d.Assets)), d.Seed, d.Tenants, d.Groups, d.Orgs, thousands(float64(d.TenantAssets)))
	switch {
	case d.Seeded:
		fmt.Fprintf(&b, "; seeded in %.0f s, indexed in %.0f s\n", d.SeedSeconds, d.IndexSeconds)
	case d.Indexed:
		fmt.Fprintf(&b, "; reused, indexed in %.0f s\n", d.IndexSeconds)
	default:
		b.WriteString("; database and index reused\n")
	}
	s := r.Settings
	fmt.Fprintf(&b, "- method: the sides of each row group are interleaved request by request (up to %d each or %.0f s, after %d warm-up rounds), "+
		"but for the PostgreSQL baselines of q== and group values, which take seconds and are timed after the others, on their own budget; "+
		"on loopback, one request at a time; req/s is 1 / mean latency; ratio = the API's latency / that side's (p50)\n\n",
		s.Requests, s.Seconds, s.Warmup)

	t := newTable("measurement", "side", "n", "p50 ms", "p95 ms", "p99 ms", "req/s", "ratio").alignRight(2, 3, 4, 5, 6, 7)
	for _, m := range r.Measurements {
		for i, st := range m.Sides {
			name := ""
			if i == 0 {
				name = m.Name
				if m.SameAnswer != nil && !*m.SameAnswer {
					name += " (answers differ!)"
				}
			}
			ratioCell := ""
			if i > 0 && i-1 < len(m.Ratios) {
				ratioCell = fmt.Sprintf("%.2fx", m.Ratios[i-1].P50)
			}
			n := strconv.Itoa(st.N)
			if st.Errors > 0 {
				n += fmt.Sprintf(" (%d failed)", st.Errors)
			}
			t.add(name, st.Side, n, msText(st.P50), msText(st.P95), msText(st.P99), rateText(st.PerSecond), ratioCell)
		}
	}
	if l := r.SyncLag; l != nil {
		st := l.Stats
		t.add(fmt.Sprintf("sync lag: %.0f updates/s for %.0f s, polled every %s", l.Rate, l.Seconds, l.Poll), st.Side,
			fmt.Sprintf("%d of %d", l.Visible, l.Updates), msText(st.P50), msText(st.P95), msText(st.P99), "", "")
		a := l.Acknowledged
		t.add("", a.Side, strconv.Itoa(a.N), msText(a.P50), msText(a.P95), msText(a.P99), "", "")
	}
	b.WriteString(t.markdown())
	b.WriteString("\n")

	o := newTable("what", "result").alignRight(1)
	if x := r.Reindex; x != nil {
		runs := make([]string, len(x.RawRuns))
		for i, s := range x.RawRuns {
			runs[i] = fmt.Sprintf("%.1f", s)
		}
		o.add(fmt.Sprintf("raw _bulk of %s pre-encoded docs (%d concurrent ~%d MiB requests), before and after the reindex",
			thousands(float64(x.Docs)), x.Workers, x.FlushBytes>>20),
			fmt.Sprintf("%s docs/s (mean of %s s)", thousands(x.RawDocsPerSecond), strings.Join(runs, " and ")))
		o.add("sync.Reindex of the same docs from PostgreSQL (incl. refresh, alias swap)",
			fmt.Sprintf("%s docs/s (%.1f s)", thousands(x.ReindexDocsPerSecond), x.ReindexSeconds))
		o.add("reindex / raw _bulk", fmt.Sprintf("%.2fx", x.Ratio))
		cpu := func(c CPU) string {
			return fmt.Sprintf("%.0f / %.0f / %.0f", c.Elasticsearch, c.Postgres, c.Bench)
		}
		for i, c := range x.RawCPU {
			o.add(fmt.Sprintf("CPU s (Elasticsearch / PostgreSQL / bench process), raw _bulk %d", i+1), cpu(c))
		}
		o.add("CPU s (Elasticsearch / PostgreSQL / bench process), sync.Reindex", cpu(x.ReindexCPU))
	}
	if x := r.Export; x != nil {
		x.addRows(o)
	}
	if x := r.Browser; x != nil {
		x.addRows(o)
	}
	if x := r.Snapshots; x != nil {
		x.addRows(o)
	}
	r.concurrencyRows(o)
	if ti := r.TrigramIndex; ti != nil {
		o.add("pg_trgm GIN index for q (built for the occasion)", fmt.Sprintf("%.1f s, %s", ti.Seconds, bytesText(ti.Bytes)))
	}
	if mem := r.Memory; mem != nil {
		o.add("peak RSS of the API process (serve)", bytesText(mem.APIBytes))
		o.add("peak RSS of the sync worker process (sync)", bytesText(mem.WorkerBytes))
	}
	if len(o.rows) > 0 {
		b.WriteString(o.markdown())
		b.WriteString("\n")
	}
	if len(r.Targets) > 0 {
		tt := newTable("target", "want", "got", "met")
		for _, x := range r.Targets {
			tt.add(x.Name, x.Want, x.Got, map[bool]string{true: "yes", false: "**no**"}[x.Met])
		}
		b.WriteString(tt.markdown())
		b.WriteString("\n")
	}
	var notes []string
	for _, m := range r.Measurements {
		if m.Note != "" {
			notes = append(notes, fmt.Sprintf("- %s: %s", m.Name, m.Note))
		}
	}
	if len(notes) > 0 {
		b.WriteString(strings.Join(notes, "\n"))
		b.WriteString("\n")
	}
	return b.String()
}

// Write stores the report as JSON and markdown under dir, named by its
// date, and returns the two paths.
func Write(dir string, r *Report) (jsonPath, mdPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("creating %s: %w", dir, err)
	}
	base := filepath.Join(dir, "bench-"+r.Date.Format("20060102T150405Z"))
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("encoding the report: %w", err)
	}
	if err := os.WriteFile(base+".json", append(b, '\n'), 0o644); err != nil {
		return "", "", fmt.Errorf("writing the report: %w", err)
	}
	if err := os.WriteFile(base+".md", []byte(r.Markdown()), 0o644); err != nil {
		return "", "", fmt.Errorf("writing the report: %w", err)
	}
	return base + ".json", base + ".md", nil
}

// machine reads the CPU count and model and the memory size.
func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
				if fs := strings.Fields(rest); len(fs) == 2 {
					kb, _ := strconv.ParseInt(fs[0], 10, 64)
					m.MemoryBytes = kb << 10
				}
				break
			}
		}
		f.Close()
	}
	return m
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// msText formats milliseconds with precision that fits their size.
func msText(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v < 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return thousands(v)
}

// rateText formats a rate, or "" when there is none.
func rateText(v float64) string {
	switch {
	case v == 0:
		return ""
	case v < 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return thousands(v)
}

// thousands rounds v and groups its digits by three: 1234567 -> 1,234,567.
func thousands(v float64) string {
	n := int64(v + 0.5)
	if v < 0 {
		n = int64(v - 0.5)
	}
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// bytesText formats a size in binary units.
func bytesText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i])
}
