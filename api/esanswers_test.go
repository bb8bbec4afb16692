package api

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/openinventory/assets/index"
)

// TestSearchAnswerMapsElasticsearchStatuses: what Elasticsearch answers a
// search becomes the status a client can act on; a search that lost its
// shards to a leaving node (seen in the rolling-restart drill as a 500) is a
// 503 to retry, and an unknown 404 stays an internal error.
func TestSearchAnswerMapsElasticsearchStatuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status     int
		typ        string
		want       int
		retryAfter time.Duration
	}{
		{http.StatusBadRequest, "search_phase_execution_exception", http.StatusBadRequest, 0},
		{http.StatusTooManyRequests, "es_rejected_execution_exception", http.StatusServiceUnavailable, SearchBusyRetryAfterDefault},
		{http.StatusNotFound, "search_phase_execution_exception", http.StatusServiceUnavailable, SearchShardsMovedRetryAfterDefault},
		{http.StatusNotFound, "search_context_missing_exception", http.StatusServiceUnavailable, SearchShardsMovedRetryAfterDefault},
		{http.StatusNotFound, "index_not_found_exception", http.StatusInternalServerError, 0},
		{http.StatusServiceUnavailable, "search_phase_execution_exception", http.StatusServiceUnavailable, 0},
	} {
		err := fmt.Errorf("searching: %w", &index.ResponseError{Status: tc.status, Type: tc.typ, Reason: "all shards failed"})
		e := asError(err)
		if e.Status != tc.want || e.RetryAfter != tc.retryAfter {
			t.Errorf("Elasticsearch %d %s: got %d (Retry-After %v), want %d (%v)", tc.status, tc.typ, e.Status, e.RetryAfter, tc.want, tc.retryAfter)
		}
	}
}
