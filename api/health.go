package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// healthz says the process is up; it checks nothing else, so an
// orchestrator does not restart the API when a dependency is down.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", mediaTypeJSON)
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// readyz says whether the API can serve: PostgreSQL answers a ping and the
// Elasticsearch cluster is not red. 503 otherwise, naming what failed.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	checks := map[string]string{"postgresql": "ok", "elasticsearch": "ok"}
	status := http.StatusOK
	if err := s.pool.Ping(ctx); err != nil {
		checks["postgresql"] = "unavailable"
		status = http.StatusServiceUnavailable
		logger(ctx).Warn("readiness: PostgreSQL", "error", err)
	}
	if err := s.index.Healthy(ctx); err != nil {
		checks["elasticsearch"] = "unavailable"
		status = http.StatusServiceUnavailable
		logger(ctx).Warn("readiness: Elasticsearch", "error", err)
	}
	body := map[string]any{"status": map[bool]string{true: "ready", false: "unavailable"}[status == http.StatusOK], "checks": checks}
	w.Header().Set("Content-Type", mediaTypeJSON)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
