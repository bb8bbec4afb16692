package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
)

// largeBody is a response the size of a list page.
var largeBody = bytes.Repeat([]byte(`{"type":"container_images","id":"aaaaaaaa-0000-4000-8000-000000000001"},`), 200<<10/72)

func largeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", mediaTypeJSONAPI)
		_, _ = w.Write(largeBody)
	})
}

func TestCompressOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	h, err := compress(largeHandler())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		accept, want string
	}{{"", ""}, {"identity", ""}, {"br", ""}, {"gzip", "gzip"}, {"br, gzip;q=0.5", "gzip"}, {"gzip;q=0", ""}} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if tc.accept != "" {
			r.Header.Set("Accept-Encoding", tc.accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if got := rec.Header().Get("Content-Encoding"); got != tc.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.want)
		}
		if tc.want == "" && !bytes.Equal(rec.Body.Bytes(), largeBody) {
			t.Errorf("Accept-Encoding %q: the body changed", tc.accept)
		}
	}
}

// BenchmarkUncompressedClient serves a large response to a client that does
// not ask for gzip, with and without the middleware: what compression
// costs those clients.
func BenchmarkUncompressedClient(b *testing.B) {
	wrapped, err := compress(largeHandler())
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"plain", largeHandler()}, {"with-gzip-middleware", wrapped}} {
		b.Run(bc.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			b.ReportAllocs()
			b.SetBytes(int64(len(largeBody)))
			for b.Loop() {
				bc.h.ServeHTTP(discardWriter{h: make(http.Header, 4)}, r)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the handler and not a recorder.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w discardWriter) WriteHeader(int)             {}
