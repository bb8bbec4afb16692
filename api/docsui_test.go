package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestDocsUIServedFromBinary checks that the reference page the routes
// mount at /rest/docs/ loads its viewer from the binary: no absolute URL in
// the page, and every script and style it names is served.
func TestDocsUIServedFromBinary(t *testing.T) {
	t.Parallel()
	f := newFuego()
	h := f.OpenAPI.Config.UIHandler("/rest/openapi.json")
	get := func(path string) (int, string, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Result().Body)
		return rec.Code, rec.Header().Get("Content-Type"), string(body)
	}
	code, ctype, page := get("/rest/docs/")
	if code != http.StatusOK || !strings.HasPrefix(ctype, "text/html") {
		t.Fatalf("GET /rest/docs/ = %d %q", code, ctype)
	}
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(page) {
		t.Errorf("the page loads something from another host:\n%s", page)
	}
	if !strings.Contains(page, `data-spec="/rest/openapi.json"`) {
		t.Errorf("the page does not name the spec URL:\n%s", page)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("the page names %d files, want the bundle, the style and the initializer", len(refs))
	}
	for _, m := range append(refs, []string{"", "LICENSE"}) {
		code, _, body := get("/rest/docs/" + m[1])
		if code != http.StatusOK || len(body) == 0 {
			t.Errorf("GET /rest/docs/%s = %d (%d bytes)", m[1], code, len(body))
		}
	}
	if code, _, _ := get("/rest/docs/missing.js"); code != http.StatusNotFound {
		t.Errorf("GET /rest/docs/missing.js = %d, want 404", code)
	}
}
