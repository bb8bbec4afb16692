package explorer

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestHandlerServesOnlyEmbeddedFiles checks the page needs nothing from
// another host: every file the page names is served from the binary, no
// file names an absolute URL, and the policy header forbids other origins.
func TestHandlerServesOnlyEmbeddedFiles(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.Handle("GET "+Prefix, Handler())
	get := func(path string) (*http.Response, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Result().Body)
		return rec.Result(), string(body)
	}
	res, page := get(Prefix)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET %s = %d %s", Prefix, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if got := res.Header.Get("Content-Security-Policy"); got != ContentSecurityPolicy {
		t.Errorf("Content-Security-Policy = %q", got)
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) != 3 {
		t.Errorf("the page names %d files, want style.css, rsql.js and app.js", len(refs))
	}
	for _, m := range refs {
		if r, body := get(Prefix + m[1]); r.StatusCode != http.StatusOK || body == "" {
			t.Errorf("GET %s%s = %d", Prefix, m[1], r.StatusCode)
		}
	}
	absolute := regexp.MustCompile(`(?i)\b(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, path)
		if m := absolute.Find(b); m != nil {
			t.Errorf("%s names another host: %s", path, m)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := get(Prefix + "missing.js"); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET missing.js = %d, want 404", r.StatusCode)
	}
}
