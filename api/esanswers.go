package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// SearchBusyRetryAfterDefault is the Retry-After of a 503 sent because
// Elasticsearch refused a search for load (429: rejected execution, circuit
// breaking): long enough for its queues to drain.
const SearchBusyRetryAfterDefault = 5 * time.Second

// SearchShardsMovedRetryAfterDefault is the Retry-After of a 503 sent
// because every shard copy a search reached went away mid-search (a node
// leaving the cluster: Elasticsearch answers 404 search_phase_execution /
// search_context_missing): the copies elsewhere answer a retry.
const SearchShardsMovedRetryAfterDefault = time.Second

// maxSearchReason bounds how much of Elasticsearch's reason a 400 shows.
const maxSearchReason = 120

// searchAnswer maps the answers of Elasticsearch and the stored-search caps
// that are not failures of this service: a query Elasticsearch rejects
// (400) is the request's fault, one it has no capacity for (429) is a
// 503 to retry, and a search cap reached is a 429. Anything else is nil.
func searchAnswer(err error) *Error {
	var le *store.SearchLimitError
	if errors.As(err, &le) {
		return &Error{Status: http.StatusTooManyRequests, Cause: err, RetryAfter: max(le.RetryAfter, time.Second),
			Detail: fmt.Sprintf("The %s already has %d live searches, the most allowed; retry when the oldest expires, or page an existing one.", le.Of, le.Limit)}
	}
	var re *index.ResponseError
	if !errors.As(err, &re) {
		return nil
	}
	switch re.Status {
	case http.StatusBadRequest:
		return &Error{Status: http.StatusBadRequest, Cause: err,
			Detail: "The search service could not run this query: " + shortReason(re) + "."}
	case http.StatusTooManyRequests:
		return &Error{Status: http.StatusServiceUnavailable, Cause: err, RetryAfter: SearchBusyRetryAfterDefault,
			Detail: "The search service is busy; try again later."}
	case http.StatusNotFound:
		// A stored search's expired point in time is told apart before
		// this (isMissingPIT); here the search contexts of a leaving node
		// were lost, which a retry on the remaining copies does not meet.
		if re.Type == "search_phase_execution_exception" || re.Type == "search_context_missing_exception" {
			return &Error{Status: http.StatusServiceUnavailable, Cause: err, RetryAfter: SearchShardsMovedRetryAfterDefault,
				Detail: "The search service lost this search while a node left the cluster; try again."}
		}
	}
	return nil
}

// isSearchRejection reports an Elasticsearch 400 or 429.
func isSearchRejection(err error) bool {
	var re *index.ResponseError
	return errors.As(err, &re) && (re.Status == http.StatusBadRequest || re.Status == http.StatusTooManyRequests)
}

// shortReason is the root cause of an Elasticsearch error (the index
// client appends it in parentheses), without its type, trimmed to a line.
func shortReason(re *index.ResponseError) string {
	reason := re.Reason
	if i := strings.Index(reason, " ("); i >= 0 && strings.HasSuffix(reason, ")") {
		reason = reason[i+2 : len(reason)-1]
		if _, after, ok := strings.Cut(reason, ": "); ok {
			reason = after
		}
	}
	if i := strings.IndexByte(reason, '\n'); i >= 0 {
		reason = reason[:i]
	}
	reason = strings.TrimRight(strings.TrimSpace(reason), ".")
	if reason == "" {
		return "rejected"
	}
	r := []rune(reason)
	if len(r) > maxSearchReason {
		return string(r[:maxSearchReason]) + "..."
	}
	return reason
}
