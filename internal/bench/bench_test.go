package bench

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func durations(ms ...int) []time.Duration {
	out := make([]time.Duration, len(ms))
	for i, m := range ms {
		out[i] = time.Duration(m) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	for _, tc := range []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", durations(7), 50, 7 * time.Millisecond},
		{"one p99", durations(7), 99, 7 * time.Millisecond},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p95 of 1..100", hundred, 95, 95 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p100 of 1..100", hundred, 100, 100 * time.Millisecond},
		{"p50 of four", durations(1, 2, 3, 4), 50, 2 * time.Millisecond},
		{"p99 of four is the max", durations(1, 2, 3, 4), 99, 4 * time.Millisecond},
		{"tiny p is the min", durations(1, 2, 3, 4), 0.1, 1 * time.Millisecond},
	} {
		if got := percentile(tc.samples, tc.p); got != tc.want {
			t.Errorf("%s: percentile(%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	s := summarize("API", durations(4, 1, 3, 2)) // unsorted on purpose
	if s.Side != "API" || s.N != 4 {
		t.Fatalf("side %q n %d", s.Side, s.N)
	}
	if s.P50 != 2 || s.P99 != 4 || s.Max != 4 || s.Mean != 2.5 {
		t.Errorf("p50 %v p99 %v max %v mean %v, want 2 4 4 2.5", s.P50, s.P99, s.Max, s.Mean)
	}
	// Four requests in 10 ms back to back: 400 per second.
	if s.PerSecond < 399.9 || s.PerSecond > 400.1 {
		t.Errorf("per second %v, want 400", s.PerSecond)
	}
	if z := summarize("none", nil); z.N != 0 || z.P50 != 0 || z.PerSecond != 0 {
		t.Errorf("empty summary %+v", z)
	}
}

func TestTableMarkdown(t *testing.T) {
	tb := newTable("what", "n", "note").alignRight(1)
	tb.add("list", "12", "a|b")
	tb.add("group values: tags", "3")
	want := strings.Join([]string{
		"| what               |   n | note |",
		"| ------------------ | --: | ---- |",
		"| list               |  12 | a\\|b |",
		"| group values: tags |   3 |      |",
		"",
	}, "\n")
	if got := tb.markdown(); got != want {
		t.Errorf("markdown:\n%s\nwant:\n%s", got, want)
	}
}

func TestNumberFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{thousands(0), "0"},
		{thousands(999.4), "999"},
		{thousands(1000), "1,000"},
		{thousands(1234567.8), "1,234,568"},
		{thousands(-45678), "-45,678"},
		{msText(0), "-"},
		{msText(3.14159), "3.14"},
		{msText(42.25), "42.2"},
		{msText(1234.5), "1,235"},
		{rateText(0), ""},
		{rateText(2.25), "2.2"},
		{rateText(18234.2), "18,234"},
		{bytesText(512), "512 B"},
		{bytesText(1536), "1.5 KiB"},
		{bytesText(300 << 20), "300.0 MiB"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestReportMarkdown(t *testing.T) {
	r := &Report{Date: time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC), Command: "assets bench", Machine: Machine{CPUs: 2, OS: "linux/amd64"}}
	same := true
	r.add(Measurement{Name: "list: x", Sides: []Stats{
		{Side: "API", N: 10, P50: 6, P95: 8, P99: 9, Mean: 6, PerSecond: 166},
		{Side: "Elasticsearch", N: 10, P50: 5, P95: 7, P99: 8, Mean: 5, PerSecond: 200},
	}, SameAnswer: &same})
	r.add(Measurement{Name: "bulk PATCH: 100", Sides: []Stats{{Side: "API", N: 5, P50: 40, P99: 120}}})
	r.checkTargets()
	if len(r.Measurements[0].Ratios) != 1 || r.Measurements[0].Ratios[0].P50 != 1.2 {
		t.Fatalf("ratios %+v, want one of 1.2", r.Measurements[0].Ratios)
	}
	// Compare with runs of spaces collapsed: the columns are padded.
	md := strings.Join(strings.Fields(r.Markdown()), " ")
	for _, want := range []string{
		"| list: x | API | 10 | 6.00 | 8.00 | 9.00 | 166 | |",
		"| | Elasticsearch | 10 | 5.00 | 7.00 | 8.00 | 200 | 1.20x |",
		"| bulk PATCH of 100 assets, p99 (API) | < 100 ms | 120.0 ms | **no** |",
		"| list API / direct Elasticsearch, p50 | <= 1.20x (else profile) | 1.20x | yes |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

func TestBulkPatchBody(t *testing.T) {
	b, err := bulkPatchBody([]string{"a", "b"}, "bench-patch")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"data":[{"type":"container_images","id":"a","attributes":{"labels":{"add":["bench-patch"]}}},` +
		`{"type":"container_images","id":"b","attributes":{"labels":{"add":["bench-patch"]}}}]}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
}

func TestAppendBulkAction(t *testing.T) {
	got := string(appendBulkAction(nil, "bench-x", "9b3b", 7))
	want := `{"index":{"_index":"bench-x","_id":"9b3b","version":7,"version_type":"external"}}` + "\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var v map[string]map[string]any
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Errorf("not JSON: %v", err)
	}
}

func TestLikePattern(t *testing.T) {
	if got := likePattern(`ng_x%\`); got != `%ng\_x\%\\%` {
		t.Errorf("likePattern = %q", got)
	}
}

func TestParseSort(t *testing.T) {
	got := parseSort("-risk_score, name")
	if len(got) != 2 || got[0].Name != "risk_score" || !got[0].Desc || got[1].Name != "name" || got[1].Desc {
		t.Errorf("parseSort = %+v", got)
	}
}

func TestPlanNodes(t *testing.T) {
	lines := []string{
		"Nested Loop Left Join  (cost=1.00..2.00 rows=101 width=8)",
		"  ->  Limit  (cost=1.00..2.00 rows=101 width=8)",
		"        ->  Bitmap Heap Scan on assets a  (cost=1.00..2.00 rows=9 width=8)",
		"              Recheck Cond: (x)",
		"        Workers Planned: 2",
		"JIT:",
		"  Functions: 7",
	}
	want := "Nested Loop Left Join > Limit > Bitmap Heap Scan on assets a"
	if got := planNodes(lines); got != want {
		t.Errorf("planNodes = %q, want %q", got, want)
	}
}

func TestStatTicks(t *testing.T) {
	// pid (comm with spaces) state ppid ... utime=14th stime=15th field.
	stat := "4242 (postgres: a b) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 56 0 0 20 0 1 0 5 0 0"
	if got := statTicks(stat); got != 1290 {
		t.Errorf("statTicks = %d, want 1290", got)
	}
	if got := statTicks("garbage"); got != 0 {
		t.Errorf("statTicks(garbage) = %d", got)
	}
}
