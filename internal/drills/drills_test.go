package drills

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestFormatResult(t *testing.T) {
	pass := FormatResult(Result{Name: "kill-worker", Measured: "10 kills,\n 0 drifted", Pass: true, Duration: 61400 * time.Millisecond})
	if !strings.HasPrefix(pass, "kill-worker ") || !strings.Contains(pass, "10 kills, 0 drifted") ||
		!strings.HasSuffix(pass, "PASS (1m1s)") || strings.Contains(pass, "\n") {
		t.Errorf("pass line = %q", pass)
	}
	failed := FormatResult(Result{Name: "pg-restart", Measured: "200=3 500=2", Reason: "2 answers\nbroke it"})
	if !strings.HasSuffix(failed, "FAIL: 2 answers broke it") {
		t.Errorf("fail line = %q", failed)
	}
	// The verdicts line up when the measurements are short.
	a := FormatResult(Result{Name: "a", Measured: "x", Pass: true})
	b := FormatResult(Result{Name: "bbbb", Measured: "yyyy", Pass: true})
	if strings.Index(a, "PASS") != strings.Index(b, "PASS") {
		t.Errorf("verdicts not aligned:\n%s\n%s", a, b)
	}
}

func TestPacer(t *testing.T) {
	start := time.Unix(1000, 0)
	p := newPacer(start, 200, 1000)
	var mu sync.Mutex
	seen := map[int64]time.Time{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, due, ok := p.slot()
				if !ok {
					return
				}
				mu.Lock()
				if _, dup := seen[i]; dup {
					t.Errorf("slot %d handed out twice", i)
				}
				seen[i] = due
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 1000 {
		t.Fatalf("%d slots, want the limit 1000", len(seen))
	}
	for i, due := range seen {
		if want := start.Add(time.Duration(i) * 5 * time.Millisecond); !due.Equal(want) {
			t.Fatalf("slot %d due %v, want %v", i, due, want)
		}
	}
	if _, _, ok := p.slot(); ok {
		t.Error("a slot past the limit")
	}
}

func TestKillSchedule(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := 60 * time.Second
	s := killSchedule(rng, 10, d)
	if len(s) != 10 {
		t.Fatalf("%d kills, want 10", len(s))
	}
	slot := d / 10
	for i, at := range s {
		lo, hi := time.Duration(i)*slot+slot/5, time.Duration(i)*slot+slot*4/5
		if at < lo || at > hi {
			t.Errorf("kill %d at %v, outside [%v, %v]", i, at, lo, hi)
		}
	}
	if !slices.IsSorted(s) {
		t.Errorf("schedule not sorted: %v", s)
	}
	if killSchedule(rng, 0, d) != nil {
		t.Error("a schedule without kills")
	}
}

func TestCheckErrorDocument(t *testing.T) {
	const jsonapi = "application/vnd.api+json"
	doc := func(status, detail string) []byte {
		return []byte(`{"jsonapi":{"version":"1.0"},"errors":[{"id":"r1","status":"` + status + `","detail":"` + detail + `"}]}`)
	}
	for _, tc := range []struct {
		name    string
		status  int
		ct      string
		body    []byte
		wantErr string
	}{
		{"ok", 503, jsonapi, doc("503", "The database is unavailable; try again later."), ""},
		{"charset", 503, jsonapi + "; charset=utf-8", doc("503", "Try again."), ""},
		{"500", 500, jsonapi, doc("500", "An internal error occurred."), `status 500 (want 503), detail "An internal error occurred."`},
		{"plain text", 503, "text/plain", []byte("service unavailable"), "not a JSON:API error document"},
		{"json type", 503, "application/json", doc("503", "x"), "not application/vnd.api+json"},
		{"status member", 503, jsonapi, doc("500", "x"), `errors[0].status "500"`},
		{"internals", 503, jsonapi, doc("503", "dial tcp 127.0.0.1:5432: connect: connection refused"), "shows internals"},
		{"sqlstate", 503, jsonapi, doc("503", "FATAL (SQLSTATE 57P01)"), "shows internals"},
		{"no errors", 503, jsonapi, []byte(`{"jsonapi":{"version":"1.0"},"errors":[]}`), "not a JSON:API error document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkErrorDocument(tc.status, tc.ct, tc.body, http.StatusServiceUnavailable)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestTallyAndCounts(t *testing.T) {
	got := tally([]string{"b", "a", "b", "c", "b", "a", "d"})
	if want := "3x b | 2x a | 1x c"; got != want {
		t.Errorf("tally = %q, want %q", got, want)
	}
	if got, want := formatCounts(map[int]int{503: 4, 200: 10, 0: 1}), "no-answer=1 200=10 503=4"; got != want {
		t.Errorf("formatCounts = %q, want %q", got, want)
	}
}

func TestRecoveredSince(t *testing.T) {
	t0 := time.Unix(0, 0)
	at := func(s int, status int) outcome {
		return outcome{at: t0.Add(time.Duration(s) * time.Second), status: status}
	}
	outs := []outcome{at(1, 200), at(2, 503), at(3, 503), at(4, 200), at(5, 500), at(6, 200), at(7, 200)}
	if got := recoveredSince(outs, t0.Add(2*time.Second)); !got.Equal(t0.Add(6 * time.Second)) {
		t.Errorf("recovered at %v, want 6s", got.Sub(t0))
	}
	if got := recoveredSince(append(outs, at(8, 503)), t0); !got.IsZero() {
		t.Errorf("recovered at %v, want not yet", got.Sub(t0))
	}
}

func TestScopeRoutes(t *testing.T) {
	ids := objectIDs{asset: "a1", search: "s1", groupField: "g1", filter: "f1"}
	routes := scopeRoutes("org", "o1", ids)
	if len(routes) != 10 {
		t.Fatalf("%d routes, want the 10 operations", len(routes))
	}
	methods := map[string]int{}
	for _, r := range routes {
		methods[r.method]++
		if !strings.HasPrefix(r.path, "/rest/orgs/o1/inventory/assets") {
			t.Errorf("route %s is outside the scope", r)
		}
		if (r.method == http.MethodGet) != (r.body == nil) {
			t.Errorf("route %s: body %q", r, r.body)
		}
	}
	if methods[http.MethodGet] != 7 || methods[http.MethodPatch] != 2 || methods[http.MethodPost] != 1 {
		t.Errorf("methods = %v", methods)
	}
	for _, r := range objectRoutes("org", "o1", ids) {
		if !strings.Contains(r.path+string(r.body), "a1") && !strings.Contains(r.path, "s1") {
			t.Errorf("object route %s names no object", r)
		}
	}
}

func TestUpdateBody(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range int64(50) {
		b := string(updateBody("id-1", i, rng))
		if !strings.Contains(b, `"id":"id-1"`) || !strings.Contains(b, `"type":"container_images"`) {
			t.Fatalf("body %s", b)
		}
		if (i%10 == 0) != strings.Contains(b, `"class"`) {
			t.Errorf("update %d: class %v in %s", i, i%10 == 0, b)
		}
		// The update replaces labels and tags, so that no asset can reach a
		// limit through the load, whatever it held before.
		var doc struct {
			Data struct {
				Attributes struct {
					Labels []string          `json:"labels"`
					Tags   map[string]string `json:"tags"`
				} `json:"attributes"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(b), &doc); err != nil {
			t.Fatalf("update %d: %v in %s", i, err, b)
		}
		a := doc.Data.Attributes
		if n := len(a.Labels); n < 1 || n > 3 || len(a.Tags) != 1 {
			t.Errorf("update %d: %d labels, %d tags in %s", i, n, len(a.Tags), b)
		}
		for _, l := range a.Labels {
			if !slices.Contains(loadLabels, l) {
				t.Errorf("update %d: label %q not from the pool", i, l)
			}
		}
	}
}

func TestReadFuzzEvents(t *testing.T) {
	events := `{"Initialize":{"seed":1}}
{"ScenarioFinished":{"recorder":{"label":"GET /rest/tenants/{tenant_id}/inventory/assets","interactions":{"c1":{"request":{"method":"GET","uri":"http://127.0.0.1:1/rest/tenants/t/inventory/assets"},"response":{"status_code":200}},"c2":{"request":{"method":"GET","uri":"http://127.0.0.1:1/rest/tenants/t/inventory/assets?limit=5"},"response":{"status_code":500}}},"checks":{"c1":[{"name":"not_a_server_error","status":"success"}],"c2":[{"name":"not_a_server_error","status":"failure","failure_info":{"code_sample":"curl ...","failure":{"title":"Server error","message":"500"}}}]}}}}
{"ScenarioFinished":{"recorder":{"label":"Stateful tests","interactions":{"c3":{"request":{"method":"POST","uri":"u"},"response":{"status_code":302}}},"checks":{}}}}
{"NonFatalError":{"label":"POST /x","value":{"type":"FlakyFailure","message":"Inconsistent"}}}
`
	path := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, []byte(events), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := readFuzzEvents(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.requests != 3 || st.operations != 1 || st.statuses[500] != 1 || st.statuses[302] != 1 {
		t.Errorf("stats = %+v", st)
	}
	if len(st.failures) != 1 || !strings.Contains(st.failures[0], "not_a_server_error: GET") || !strings.Contains(st.failures[0], "-> 500") {
		t.Errorf("failures = %q", st.failures)
	}
	if len(st.errors) != 1 || !strings.Contains(st.errors[0], "FlakyFailure") {
		t.Errorf("errors = %q", st.errors)
	}
}

func TestSchemathesisConfig(t *testing.T) {
	tf := tenantFixture{id: "t1", groupID: "g1", orgID: "o1", orgAsset: "a1"}
	conf := schemathesisConfig(tf, "gf", "ff", map[string]string{"Tenant": "s1", "Group": "s2", "Org": "s3"})
	for _, want := range []string{
		"[parameters]\n", `"path.tenant_id" = "t1"`, `"path.asset_id" = "a1"`, `"path.filter_id" = "ff"`,
		`include-operation-id = "getAssetSearchResultsGroup"` + "\n" + `parameters = { "path.search_id" = "s2" }`,
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("config lacks %q:\n%s", want, conf)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{AdminDatabaseURL: "postgres://assets@127.0.0.1:55432/assets", ElasticsearchURL: "http://127.0.0.1:59200",
		Binary: "/bin/assets", WorkDir: "/tmp/w"}
	if err := c.defaults(); err != nil {
		t.Fatal(err)
	}
	if c.Database != "assets_drills" || c.IndexPrefix != "drills" || c.Rate != 200 || c.Kills != 10 || c.KillDuration != time.Minute {
		t.Errorf("defaults = %+v", c)
	}
	c.Only = []string{"kill-worker", "no-such-drill"}
	if err := c.defaults(); err == nil || !strings.Contains(err.Error(), "no-such-drill") {
		t.Errorf("unknown drill accepted: %v", err)
	}
	if len(Names()) != 13 || Names()[len(Names())-1] != "hostile-client" {
		t.Errorf("drills %v: want 13, hostile-client last (its searches fill the tenant's cap)", Names())
	}
}
