package explorer_test

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ScreenshotEnv names the variable that makes the test write the
// screenshot the README shows; unset, normal runs leave the tree clean.
const ScreenshotEnv = "ASSETS_WRITE_SCREENSHOT"

// TestExplorerInChromium drives the explorer in a real Chromium against a
// real API server, checking what it shows against the API's own answers.
// The steps share one server and one tab, in order: each starts from the
// view the one before left.
func TestExplorerInChromium(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	b := newBrowser(t, s.url)
	start := s.url + "/explorer/#kind=tenants&id=" + tenant
	b.run(t, "opening the explorer", chromedp.Navigate(start), chromedp.WaitVisible("#error"))
	if got := text(t, b, "#error"); !strings.Contains(got, "token") {
		t.Errorf("before signing in the page shows %q, want a hint to paste a token", got)
	}
	b.drawn(t, "signing in", chromedp.SendKeys("#token", s.token), chromedp.Click("#signin-btn"))

	steps := []struct {
		name string
		run  func(t *testing.T, s *server, b *browser)
	}{
		{"signed in", checkSignedIn},
		{"more values and columns", checkMoreAndColumns},
		{"facets", checkFacets},
		{"back button", checkBack},
		{"bad filter", checkBadFilter},
		{"autocomplete", checkAutocomplete},
		{"paging", checkPaging},
		{"edit one asset", checkEdit},
		{"bulk label", checkBulkLabel},
		{"reload shared URL", checkReload},
		{"keyboard and narrow window", checkKeyboardAndNarrow},
		{"filter change timing", checkTiming},
		{"screenshot", writeScreenshot},
		{"docs page offline", checkDocsPage},
	}
	for _, st := range steps {
		if !t.Run(st.name, func(t *testing.T) { st.run(t, s, b) }) {
			break // later steps build on the view this one left
		}
	}
	if f := b.foreignRequests(); len(f) > 0 {
		t.Errorf("the pages asked other hosts: %v", f)
	}
}

// ---- reading the page ----

func text(t *testing.T, b *browser, sel string) string {
	t.Helper()
	return eval[string](t, b, `(document.querySelector(`+strconv.Quote(sel)+`) || {}).textContent || ""`)
}

func shownTotal(t *testing.T, b *browser) int {
	t.Helper()
	if msg := eval[string](t, b, `(e => e.hidden ? "" : e.textContent)(document.getElementById("error"))`); msg != "" {
		t.Fatalf("the page shows the error %q (URL %s)", msg, eval[string](t, b, "location.hash"))
	}
	n, err := strconv.Atoi(eval[string](t, b, `document.getElementById("total").dataset.count || ""`))
	if err != nil {
		t.Fatalf("the page shows no total: %v", err)
	}
	return n
}

func shownRows(t *testing.T, b *browser) []string {
	t.Helper()
	return eval[[]string](t, b, `Array.from(document.querySelectorAll("#table tbody tr")).map(r => r.dataset.id)`)
}

// shownCounts are the counts a group's sidebar box shows, by value.
func shownCounts(t *testing.T, b *browser, group string) map[string]int64 {
	t.Helper()
	pairs := eval[[][2]string](t, b, `Array.from(document.querySelectorAll('fieldset[data-group="`+group+
		`"] label[data-value]')).map(l => [l.dataset.value, l.querySelector(".count").textContent])`)
	out := map[string]int64{}
	for _, p := range pairs {
		n, err := strconv.ParseInt(p[1], 10, 64)
		if err != nil {
			t.Fatalf("the count of %s is %q", p[0], p[1])
		}
		out[p[0]] = n
	}
	return out
}

func facetBox(group, value string) string {
	return `fieldset[data-group="` + group + `"] input[data-value="` + value + `"]`
}

func hashOf(t *testing.T, b *browser) url.Values {
	t.Helper()
	v, err := url.ParseQuery(strings.TrimPrefix(eval[string](t, b, "location.hash"), "#"))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// ---- asking the API ----

func apiCount(t *testing.T, s *server, filter string) int {
	t.Helper()
	doc := s.get(t, tenantBase(), url.Values{"filter": {filter}, "meta_count": {"only"}})
	return int(doc["meta"].(map[string]any)["count"].(float64))
}

func apiIDs(t *testing.T, s *server, params url.Values) ([]string, string) {
	t.Helper()
	doc := s.get(t, tenantBase(), params)
	var ids []string
	for _, d := range doc["data"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	next, _ := doc["links"].(map[string]any)["next"].(string)
	return ids, next
}

func groupID(t *testing.T, s *server, name string) string {
	t.Helper()
	for _, g := range s.get(t, tenantBase()+"/groups", nil)["data"].([]any) {
		if g := g.(map[string]any); g["attributes"].(map[string]any)["name"] == name {
			return g["id"].(string)
		}
	}
	t.Fatalf("no group %s", name)
	return ""
}

func apiGroupCounts(t *testing.T, s *server, group, filter string) map[string]int64 {
	t.Helper()
	doc := s.get(t, tenantBase()+"/groups/"+groupID(t, s, group)+"/values", url.Values{"filter": {filter}, "meta_fields": {"count"}, "limit": {"10"}})
	out := map[string]int64{}
	for _, v := range doc["data"].([]any) {
		v := v.(map[string]any)
		out[v["attributes"].(map[string]any)["value"].(string)] = int64(v["meta"].(map[string]any)["count"].(float64))
	}
	return out
}

func sameCounts(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	if len(want) == 0 || !mapsEqual(got, want) {
		t.Errorf("%s: the page shows %v, the API answers %v", what, got, want)
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// ---- the steps ----

func checkSignedIn(t *testing.T, s *server, b *browser) {
	if got, want := shownTotal(t, b), apiCount(t, s, ""); got != want || want != assetCount {
		t.Errorf("total = %d, API %d, want %d", got, want, assetCount)
	}
	want, _ := apiIDs(t, s, url.Values{"limit": {"20"}})
	if got := shownRows(t, b); !slices.Equal(got, want) {
		t.Errorf("rows = %v, API %v", got, want)
	}
	sameCounts(t, "class counts", shownCounts(t, b, "class"), apiGroupCounts(t, s, "class", ""))
}

// checkMoreAndColumns pages a group's values by cursor and picks a column.
func checkMoreAndColumns(t *testing.T, s *server, b *browser) {
	box := `fieldset[data-group="repository"]`
	b.run(t, "more repositories", chromedp.Click(box+" button.more"))
	b.waitFor(t, "the second page of values", `document.querySelectorAll('`+box+` label[data-value]').length === 20`)
	got := eval[[]string](t, b, `Array.from(document.querySelectorAll('`+box+` label[data-value]')).map(l => l.dataset.value)`)
	var want []string
	doc := s.get(t, tenantBase()+"/groups/"+groupID(t, s, "repository")+"/values", url.Values{"limit": {"20"}})
	for _, v := range doc["data"].([]any) {
		want = append(want, v.(map[string]any)["attributes"].(map[string]any)["value"].(string))
	}
	if !slices.Equal(got, want) {
		t.Errorf("two pages of repositories = %v, the API's first 20 %v", got, want)
	}

	b.run(t, "opening the column list", chromedp.Click("#columns summary"))
	b.drawn(t, "adding the os column", chromedp.Click(`#column-list input[value="os"]`))
	if cols := hashOf(t, b).Get("cols"); !strings.Contains(cols, "os") {
		t.Errorf("the URL keeps columns %q", cols)
	}
	if n := eval[int](t, b, `document.querySelectorAll("#table th[data-col=os]").length`); n != 1 {
		t.Errorf("%d os headers", n)
	}
	b.drawn(t, "removing it", chromedp.Click(`#column-list input[value="os"]`), chromedp.Click("#columns summary"))
}

func checkFacets(t *testing.T, s *server, b *browser) {
	b.drawn(t, "choosing registry docker.io", chromedp.Click(facetBox("registry", "docker.io")))
	if got := hashOf(t, b)["facet"]; !slices.Equal(got, []string{"registry=docker.io"}) {
		t.Errorf("the URL keeps facets %v", got)
	}
	one := `registry=in=("docker.io")`
	if got, want := shownTotal(t, b), apiCount(t, s, one); got != want || want == 0 || want == assetCount {
		t.Errorf("total with docker.io = %d, API %d", got, want)
	}
	sameCounts(t, "class counts under docker.io", shownCounts(t, b, "class"), apiGroupCounts(t, s, "class", one))
	// Disjunctive: the registry box still counts every registry.
	sameCounts(t, "registry counts under docker.io", shownCounts(t, b, "registry"), apiGroupCounts(t, s, "registry", ""))

	b.drawn(t, "adding gcr.io (OR)", chromedp.Click(facetBox("registry", "gcr.io")))
	two := `registry=in=("docker.io","gcr.io")`
	if got, want := shownTotal(t, b), apiCount(t, s, two); got != want || want != 60 {
		t.Errorf("total with docker.io or gcr.io = %d, API %d, want 60", got, want)
	}
	b.drawn(t, "choosing class A (AND)", chromedp.Click(facetBox("class", "A")))
	both := `class=in=("A");` + two
	if got, want := shownTotal(t, b), apiCount(t, s, both); got != want || want == 0 || want >= 60 {
		t.Errorf("total with class A and the registries = %d, API %d", got, want)
	}
	sameCounts(t, "registry counts under class A", shownCounts(t, b, "registry"), apiGroupCounts(t, s, "registry", `class=in=("A")`))
	sameCounts(t, "class counts under the registries", shownCounts(t, b, "class"), apiGroupCounts(t, s, "class", two))
	cells := eval[[]string](t, b, `Array.from(document.querySelectorAll("#table tbody td[data-col=class]")).map(c => c.textContent)`)
	for _, c := range cells {
		if c != "A" {
			t.Errorf("a row of class %q is shown under class A", c)
		}
	}
}

func checkBack(t *testing.T, s *server, b *browser) {
	b.drawn(t, "going back", chromedp.NavigateBack())
	if eval[bool](t, b, `document.querySelector('`+facetBox("class", "A")+`').checked`) {
		t.Errorf("after back, class A is still chosen")
	}
	if got, want := shownTotal(t, b), apiCount(t, s, `registry=in=("docker.io","gcr.io")`); got != want {
		t.Errorf("after back, total = %d, want %d", got, want)
	}
}

func checkBadFilter(t *testing.T, s *server, b *browser) {
	b.drawn(t, "clearing the view", chromedp.Evaluate[chromedp.Void](`location.hash = "kind=tenants&id=`+tenant+`"`))
	bad := "registry==docker.io;risk_score=gt=abc"
	b.drawn(t, "typing a bad filter", chromedp.SendKeys("#filter", bad), chromedp.Click("#search button[type=submit]"))
	shown := text(t, b, "#filter-error")
	lines := strings.Split(shown, "\n")
	if len(lines) < 3 || lines[0] != bad {
		t.Fatalf("under the filter: %q, want the filter, a caret line and the API's detail", shown)
	}
	detail := lines[2]
	var pos int
	if i := strings.Index(detail, "at position "); i < 0 {
		t.Fatalf("the detail %q names no position", detail)
	} else {
		pos, _ = strconv.Atoi(strings.FieldsFunc(detail[i+len("at position "):], func(r rune) bool { return r < '0' || r > '9' })[0])
	}
	if caret := strings.Index(lines[1], "^"); caret != pos || pos < strings.Index(bad, ";") {
		t.Errorf("the caret is at %d, the API names position %d (in %q)", caret, pos, bad)
	}
	if n := len(shownRows(t, b)); n != 0 {
		t.Errorf("with a bad filter the table shows %d rows", n)
	}
}

func checkAutocomplete(t *testing.T, s *server, b *browser) {
	b.run(t, "typing a field prefix", chromedp.Evaluate[chromedp.Void](`document.getElementById("filter").value = ""`), chromedp.Focus("#filter"), chromedp.SendKeys("#filter", "regi"))
	b.waitFor(t, "field suggestions", `!document.getElementById("suggest").hidden`)
	if got := eval[[]string](t, b, `Array.from(document.querySelectorAll("#suggest li")).map(l => l.textContent)`); !slices.Contains(got, "registry") {
		t.Errorf("suggestions for regi = %v", got)
	}
	b.run(t, "choosing it", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter), chromedp.SendKeys("#filter", "==gc"))
	b.waitFor(t, "value suggestions", `Array.from(document.querySelectorAll("#suggest li")).some(l => l.textContent === "gcr.io")`)
	b.run(t, "choosing the value", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
	if got := eval[string](t, b, `document.getElementById("filter").value`); got != "registry==gcr.io" {
		t.Errorf("after autocomplete the filter is %q", got)
	}
	b.drawn(t, "applying it", chromedp.Click("#search button[type=submit]"))
	if got, want := shownTotal(t, b), apiCount(t, s, "registry==gcr.io"); got != want || want != 30 {
		t.Errorf("total = %d, API %d (URL %s)", got, want, eval[string](t, b, "location.hash"))
	}
	if !eval[bool](t, b, `document.getElementById("filter-error").hidden`) {
		t.Errorf("a valid filter still shows an error")
	}
}

func checkPaging(t *testing.T, s *server, b *browser) {
	b.drawn(t, "clearing the view", chromedp.Evaluate[chromedp.Void](`location.hash = "kind=tenants&id=`+tenant+`"`))
	b.drawn(t, "sorting by name", chromedp.Click(`th[data-col=name] button`))
	page1, next := apiIDs(t, s, url.Values{"limit": {"20"}, "sort": {"name"}})
	if got := shownRows(t, b); !slices.Equal(got, page1) {
		t.Fatalf("sorted by name: rows %v, API %v", got, page1)
	}
	nu, err := url.Parse(next)
	if err != nil || next == "" {
		t.Fatalf("the API gives no next link: %q", next)
	}
	page2, _ := apiIDs(t, s, nu.Query())
	b.drawn(t, "next page", chromedp.Click("#next"))
	if got := shownRows(t, b); !slices.Equal(got, page2) {
		t.Errorf("page 2 = %v, API %v", got, page2)
	}
	b.drawn(t, "previous page", chromedp.Click("#prev"))
	if got := shownRows(t, b); !slices.Equal(got, page1) {
		t.Errorf("back on page 1 = %v, want %v", got, page1)
	}
	b.drawn(t, "browser back", chromedp.NavigateBack())
	if got := shownRows(t, b); !slices.Equal(got, page2) {
		t.Errorf("browser back shows %v, want page 2 %v", got, page2)
	}
}

func labelsOf(t *testing.T, b *browser, id string) string {
	t.Helper()
	return text(t, b, `#table tr[data-id="`+id+`"] td[data-col=labels]`)
}

func checkEdit(t *testing.T, s *server, b *browser) {
	id := shownRows(t, b)[0]
	b.run(t, "opening the first row", chromedp.Click(`#table tr[data-id="`+id+`"] button.open-asset`), chromedp.WaitVisible("#asset"))
	b.waitFor(t, "the asset's labels", `document.getElementById("asset-labels").value !== ""`)
	b.run(t, "editing its labels", chromedp.SendKeys("#asset-labels", ", edited"), chromedp.Click("#asset-save"))
	b.waitFor(t, "the table showing the edit", `(document.querySelector('#table tr[data-id="`+id+`"] td[data-col=labels]') || {}).textContent?.includes("edited")`)
	doc := s.get(t, tenantBase()+"/"+id, nil)
	labels, _ := json.Marshal(doc["data"].(map[string]any)["attributes"].(map[string]any)["labels"])
	if !strings.Contains(string(labels), `"edited"`) {
		t.Errorf("the API has labels %s", labels)
	}
}

func checkBulkLabel(t *testing.T, s *server, b *browser) {
	rows := shownRows(t, b)
	picked := rows[1:3]
	for _, id := range picked {
		b.run(t, "selecting "+id, chromedp.Click(`#table tr[data-id="`+id+`"] input.pick`))
	}
	b.run(t, "labelling the selection", chromedp.SendKeys("#bulk-label", "bulk1"), chromedp.Click("#bulk button[type=submit]"))
	for _, id := range picked {
		b.waitFor(t, "the bulk label on "+id, `(document.querySelector('#table tr[data-id="`+id+`"] td[data-col=labels]') || {}).textContent?.includes("bulk1")`)
	}
	if strings.Contains(labelsOf(t, b, rows[3]), "bulk1") {
		t.Errorf("an unselected row got the label")
	}
	s.synced(t)
	if got := apiCount(t, s, "labels==bulk1"); got != len(picked) {
		t.Errorf("the API finds %d assets labelled bulk1, want %d", got, len(picked))
	}
	if got := s.patchPrefers(); !slices.Equal(got, []string{"wait-for=searchable", "wait-for=searchable"}) {
		t.Errorf("the edit and the bulk edit sent Prefer %q, want wait-for=searchable each", got)
	}
}

func checkReload(t *testing.T, s *server, b *browser) {
	b.drawn(t, "a view to share", chromedp.Evaluate[chromedp.Void](`location.hash = "kind=tenants&id=`+tenant+
		`&filter=risk_score%3Dge%3D100&facet=registry%3Dquay.io&facet=tags%3Denv%3Aprod&sort=-risk_score"`))
	rows, total := shownRows(t, b), shownTotal(t, b)
	if want := apiCount(t, s, `(risk_score=ge=100);registry=in=("quay.io");tags.env=in=("prod")`); total != want || want == 0 {
		t.Fatalf("the shared view shows %d, API %d", total, want)
	}
	href := eval[string](t, b, "location.href")
	// A reload starts the page's counter again.
	b.run(t, "reloading", chromedp.Reload())
	b.waitFor(t, "the reloaded view", "window.explorerRenders >= 1")
	if got := shownRows(t, b); !slices.Equal(got, rows) || shownTotal(t, b) != total {
		t.Errorf("after reload rows %v, want %v", got, rows)
	}
	if got := eval[string](t, b, "location.href"); got != href {
		t.Errorf("after reload the URL is %s, want %s", got, href)
	}
	if got := eval[string](t, b, `document.getElementById("filter").value`); got != "risk_score=ge=100" {
		t.Errorf("after reload the filter box has %q", got)
	}
	for _, box := range []string{facetBox("registry", "quay.io"), facetBox("tags", "env:prod")} {
		if !eval[bool](t, b, `document.querySelector('`+box+`').checked`) {
			t.Errorf("after reload %s is not checked", box)
		}
	}
}

func checkKeyboardAndNarrow(t *testing.T, s *server, b *browser) {
	b.run(t, "focusing the page", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur()`))
	reached := map[string]bool{}
	for range 200 {
		b.run(t, "pressing Tab", chromedp.KeyEvent(kb.Tab))
		reached[eval[string](t, b, `(e => e.id || e.className || e.dataset.value || e.dataset.sort || e.tagName)(document.activeElement)`)] = true
	}
	for _, want := range []string{"token", "scope-id", "q", "filter", "env:prod", "risk_score", "open-asset", "pick", "bulk-label"} {
		if !reached[want] {
			t.Errorf("Tab never reaches %s (reached %v)", want, keys(reached))
		}
	}
	b.run(t, "a narrow window", chromedp.EmulateViewport(400, 800))
	defer b.run(t, "a wide window again", chromedp.EmulateViewport(1280, 900))
	if w := eval[int](t, b, "document.documentElement.scrollWidth"); w > 400 {
		t.Errorf("at 400 px the page is %d px wide", w)
	}
	if !eval[bool](t, b, `document.getElementById("facets").getBoundingClientRect().bottom <= document.getElementById("results").getBoundingClientRect().top`) {
		t.Errorf("at 400 px the facets do not stack above the results")
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// checkTiming toggles a facet 30 times and reads, for each change, the
// milliseconds the page measured from the change to a drawn table and
// facet sidebar.
func checkTiming(t *testing.T, s *server, b *browser) {
	b.drawn(t, "clearing the view", chromedp.Evaluate[chromedp.Void](`location.hash = "kind=tenants&id=`+tenant+`"`))
	before := eval[int](t, b, "window.explorerTimings.length")
	const changes = 30
	for i := range changes {
		b.drawn(t, "change "+strconv.Itoa(i), chromedp.Click(facetBox("class", classes[i%2])))
	}
	ms := eval[[]float64](t, b, "window.explorerTimings.slice("+strconv.Itoa(before)+")")
	if len(ms) != changes {
		t.Fatalf("%d timings recorded for %d changes", len(ms), changes)
	}
	slices.Sort(ms)
	p50, p99 := ms[len(ms)/2], ms[(len(ms)*99+99)/100-1]
	t.Logf("filter change to a drawn table and facets over %d changes: p50 %.1f ms, p99 %.1f ms", changes, p50, p99)
	if p50 <= 0 || p99 > float64((10*time.Second).Milliseconds()) {
		t.Errorf("timings out of range: p50 %.1f ms, p99 %.1f ms", p50, p99)
	}
}

func writeScreenshot(t *testing.T, s *server, b *browser) {
	b.drawn(t, "a view to show", chromedp.Evaluate[chromedp.Void](`location.hash = "kind=tenants&id=`+tenant+
		`&facet=registry%3Ddocker.io&facet=registry%3Dgcr.io&sort=-risk_score"`))
	b.run(t, "a wide window", chromedp.EmulateViewport(1280, 900))
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100) /* 100: PNG, below it JPEG */)
	if err != nil || len(png) < 1000 || string(png[1:4]) != "PNG" {
		t.Fatalf("screenshot: %v (%d bytes)", err, len(png))
	}
	if os.Getenv(ScreenshotEnv) != "1" {
		return
	}
	path := filepath.Join("..", "docs", "explorer.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("writing %s: %v", path, err)
	}
	t.Logf("wrote %s", path)
}

func checkDocsPage(t *testing.T, s *server, b *browser) {
	b.run(t, "opening the API reference", chromedp.Navigate(s.url+"/rest/docs/"),
		chromedp.WaitVisible(".swagger-ui .info .title"))
	if got := text(t, b, ".swagger-ui .info .title"); !strings.Contains(got, "Asset inventory API") {
		t.Errorf("the reference page shows the title %q", got)
	}
	b.waitFor(t, "the operations", `document.querySelectorAll(".swagger-ui .opblock").length > 10`)
}
