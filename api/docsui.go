package api

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
)

// docsUIFiles is the API reference page: Swagger UI (swagger-ui-dist
// 5.35.0, Apache-2.0, its LICENSE and NOTICE beside it) vendored into the
// binary, so /rest/docs/ works on a network without internet, where
// fuego's default page would load its viewer from a public CDN.
//
//go:embed docsui
var docsUIFiles embed.FS

// docsUI is fuego's UIHandler: it is mounted at SwaggerURL + "/" and
// answers the page itself for the folder and index.html, and the vendored
// files under it.
func docsUI(specURL string) http.Handler {
	sub, err := fs.Sub(docsUIFiles, "docsui")
	if err != nil {
		panic(fmt.Sprintf("docs UI files: %v", err)) // the embed pattern guarantees the folder
	}
	page := renderDocsPage(sub, specURL)
	files := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if name == "" || name == "index.html" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(page)
			return
		}
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r2)
	})
}

// renderDocsPage fills the spec URL into the page once, at start-up.
func renderDocsPage(files fs.FS, specURL string) []byte {
	t, err := template.ParseFS(files, "index.html")
	if err != nil {
		panic(fmt.Sprintf("docs UI page: %v", err))
	}
	var b bytes.Buffer
	if err := t.Execute(&b, specURL); err != nil {
		panic(fmt.Sprintf("docs UI page: %v", err))
	}
	return b.Bytes()
}
