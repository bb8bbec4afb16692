package explorer_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openinventory/assets/explorer"
	"github.com/openinventory/assets/rsql"
)

// TestRSQLHelpers runs the page's pure helpers (static/rsql.js) in Chromium,
// table-driven; every filter they compose must parse with the Go parser
// the API uses.
func TestRSQLHelpers(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("GET "+explorer.Prefix, explorer.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv.URL)
	b.run(t, "loading the page", chromedp.Navigate(srv.URL+explorer.Prefix), chromedp.WaitReady("body"))

	for _, tc := range []struct {
		name, js, want string
		parses         bool // want is a filter the API's parser accepts
	}{
		{"quote escapes", `RSQL.quote('a"b\\c')`, `"a\"b\\c"`, false},
		{"group is OR", `RSQL.groupClause("registry", ["docker.io", "gcr.io"])`, `registry=in=("docker.io","gcr.io")`, true},
		{"tags by key", `RSQL.groupClause("tags", ["env:prod", "team:a", "env:dev"])`,
			`(tags.env=in=("prod","dev"),tags.team=in=("a"))`, true},
		{"tag value with colon", `RSQL.groupClause("tags", ["url:a:b"])`, `tags.url=in=("a:b")`, true},
		{"groups are AND, filter first", `RSQL.compose("risk_score=ge=5,class==A", "", {registry: ["x"], class: ["B"]}).text`,
			`(risk_score=ge=5,class==A);class=in=("B");registry=in=("x")`, true},
		{"offset of the wrapped filter", `String(RSQL.compose("a==b", "", {class: ["B"]}).offset)`, "1", false},
		{"filter alone is not wrapped", `RSQL.compose(" a==b ", "", {}).text + "|" + RSQL.compose("a==b", "", {}).offset`, "a==b|0", false},
		{"q is quoted", `RSQL.compose("", "nginx 1.2", {}).text`, `q=="nginx 1.2"`, true},
		{"skip leaves a group out", `RSQL.compose("", "", {registry: ["x"], class: ["B"]}, "registry").text`, `class=in=("B")`, true},
		{"nothing", `RSQL.compose("", " ", {}).text`, ``, false},
		{"position in the box", `String(RSQL.errorPosition("The filter is not valid at position 9: bad.", "ab==x;c", 1))`, "7", false},
		{"position counts bytes", `String(RSQL.errorPosition("at position 6: x", "é==x;y", 0))`, "5", false},
		{"no position", `String(RSQL.errorPosition("Bad token", "a", 0))`, "-1", false},
		{"caret", `RSQL.caret("a==", 3)`, "a==\n   ^", false},
		{"typing a field", `JSON.stringify(RSQL.currentToken("a==b;reg", 8))`, `{"kind":"field","prefix":"reg","start":5}`, false},
		{"typing a value", `JSON.stringify(RSQL.currentToken("(registry==do", 13))`,
			`{"kind":"value","field":"registry","prefix":"do","start":11}`, false},
		{"typing a tag value", `JSON.stringify(RSQL.currentToken("tags.env=in=('pr", 16))`,
			`{"kind":"value","field":"tags.env","prefix":"pr","start":13}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := eval[string](t, b, tc.js); got != tc.want {
				t.Errorf("%s = %s, want %s", tc.js, got, tc.want)
			}
			if tc.parses {
				if _, err := rsql.Parse(tc.want); err != nil {
					t.Errorf("the API's parser refuses %s: %v", tc.want, err)
				}
			}
		})
	}
}
