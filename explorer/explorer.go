// Package explorer is the faceted explorer page `assets serve` mounts at
// Prefix: hand-written HTML, CSS and JavaScript embedded in the binary (no
// build step, no CDN), which talk to the API of the same origin with the
// token the user pastes. It works on a network without internet.
package explorer

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
)

// Prefix is where the explorer is mounted.
const Prefix = "/explorer/"

// ContentSecurityPolicy keeps the page to its own origin: a script or
// style from anywhere else, or a request to another host, is refused by
// the browser, so the page cannot depend on the internet by accident.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

//go:embed static
var static embed.FS

// Handler serves the explorer's files under Prefix.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(fmt.Sprintf("explorer files: %v", err)) // the embed pattern guarantees the folder
	}
	files := http.StripPrefix(Prefix, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		// Embedded files carry no modification time to revalidate by; they
		// are small, so an upgraded binary is simply seen at the next load.
		h.Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	})
}
