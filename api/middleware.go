package api

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status != 0 {
		// A later call would change nothing but a log line (fuego sets its
		// default status after a handler that already answered: a stream, a 202).
		return
	}
	if code >= http.StatusOK { // informational answers precede the real one
		w.status = code
		// fuego sets it on every operation; it tells a client only what to
		// attack.
		w.Header().Del("X-Powered-By")
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, http.ErrNotSupported
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// isScopeRoute reports whether a path is one of the JSON:API operations
// (as opposed to the OpenAPI document, health and metrics).
func isScopeRoute(path string) bool {
	for _, p := range []string{"/rest/tenants/", "/rest/groups/", "/rest/orgs/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// collectionMethods are the fixed segments after .../inventory/assets/ with
// the one method each serves. The {asset_id} routes match them too, with
// the other methods, and would answer 400 for a malformed asset id where
// the path exists and the method does not: 405.
var collectionMethods = map[string]string{"groups": http.MethodGet, "filters": http.MethodGet, "searches": http.MethodPost, "export": http.MethodGet}

// collectionMethod reports the method of /rest/S/{id}/inventory/assets/C for
// a collection C of collectionMethods.
func collectionMethod(path string) (string, bool) {
	parts := strings.Split(path, "/")
	if len(parts) != 7 || parts[4] != "inventory" || parts[5] != "assets" {
		return "", false
	}
	m, ok := collectionMethods[parts[6]]
	return m, ok
}

// wrap is the outermost handler: request id, version and media type
// checks, panic recovery, metrics and the request log.
func (s *Server) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rs := &requestState{id: requestID(r.Header.Get)}
		rs.logger = s.log.With("request_id", rs.id)
		ctx, cancel := context.WithTimeout(withState(r.Context(), rs), s.cfg.RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("snyk-request-id", rs.id)
		// Every answer is JSON for one caller: never sniffed, never cached.
		sw.Header().Set("X-Content-Type-Options", "nosniff")
		sw.Header().Set("Cache-Control", "no-store")
		// RSQL uses ';' for AND, and clients often leave it unencoded. Go's
		// query parser would drop such a pair silently (unfiltered results),
		// so ';' in a query is data here, as if sent as %3B.
		if strings.Contains(r.URL.RawQuery, ";") {
			r.URL.RawQuery = strings.ReplaceAll(r.URL.RawQuery, ";", "%3B")
		}

		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				rs.logger.ErrorContext(ctx, "panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeError(sw, r, &Error{Status: http.StatusInternalServerError, Detail: "An internal error occurred.", Cause: fmt.Errorf("panic: %v", p)})
				}
			}
			s.observe(r, rs, sw, time.Since(start))
		}()
		if !s.limit(sw, r) {
			return
		}

		if isScopeRoute(r.URL.Path) {
			if v := r.URL.Query().Get("version"); versionPattern.MatchString(v) {
				sw.Header().Set("snyk-version-requested", v)
			}
			sw.Header().Set("snyk-version-lifecycle-stage", versionStage)
			rs.version, rs.versionErr = resolveVersion(r)
			if rs.versionErr == nil {
				sw.Header().Set("snyk-version-served", rs.version.served)
			}
			if allow, ok := collectionMethod(r.URL.Path); ok && r.Method != allow && (r.Method != http.MethodHead || allow != http.MethodGet) {
				sw.Header().Set("Allow", allow)
				writeError(sw, r, &Error{Status: http.StatusMethodNotAllowed, Detail: "The method " + r.Method + " is not allowed here; use " + allow + "."})
				return
			}
			if !acceptable(r.Header.Get("Accept")) && !exportAcceptable(r) {
				writeError(sw, r, &Error{Status: http.StatusNotAcceptable, Detail: "This API answers application/vnd.api+json (or application/json); the Accept header allows neither."})
				return
			}
			sw.Header().Set("Content-Type", responseMediaType(r))
		}
		next.ServeHTTP(sw, r)
	})
}

// observe records the request in the metrics and the log.
func (s *Server) observe(r *http.Request, rs *requestState, sw *statusWriter, d time.Duration) {
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	route := r.Pattern
	if _, p, ok := strings.Cut(route, " "); ok {
		route = p
	}
	if route == "" || route == "/" {
		route = "unmatched"
	}
	method := methodLabel(r.Method)
	s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(route, method).Observe(d.Seconds())
	nameSpan(r, method, route)
	attrs := []any{
		"method", r.Method, "path", r.URL.Path, "route", route, "status", status,
		"duration_ms", float64(d.Microseconds()) / 1000, "bytes", sw.bytes, "remote", r.RemoteAddr,
	}
	if rs.err != nil && rs.err.Detail != "" {
		attrs = append(attrs, "error_detail", rs.err.Detail)
	}
	switch {
	case status >= 500:
		rs.logger.ErrorContext(r.Context(), "request", attrs...)
	case r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics":
		rs.logger.DebugContext(r.Context(), "request", attrs...)
	default:
		rs.logger.InfoContext(r.Context(), "request", attrs...)
	}
}

// notFoundHandler answers paths no route matches with a JSON:API 404, or a
// 405 naming the allowed methods when the path exists with other methods.
func (s *Server) notFoundHandler(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodPost} {
			if m == r.Method {
				continue
			}
			probe := r.Clone(r.Context())
			probe.Method = m
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allowed = append(allowed, m)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Detail: "The method " + r.Method + " is not allowed here; use " + strings.Join(allowed, " or ") + "."})
			return
		}
		writeError(w, r, notFound("There is no resource at this path."))
	})
}

// errorSerializer is fuego's ErrorSender.
func errorSerializer(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The client went away; nobody reads the answer.
		writeError(w, r, &Error{Status: 499, Title: "Client Closed Request", Detail: "The request was canceled.", Cause: err})
		return
	}
	writeError(w, r, err)
}
