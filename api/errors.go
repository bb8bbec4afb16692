package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// Error is one problem the API reports as a JSON:API error object. Cause is
// the internal error behind it: logged, never shown to the client.
type Error struct {
	Status    int
	Title     string
	Detail    string
	Pointer   string // source.pointer: a JSON Pointer into the request body
	Parameter string // source.parameter: the query or path parameter at fault
	Header    string // source.header (JSON:API 1.1): the request header at fault
	Cause     error
	// RetryAfter, when set, is sent as Retry-After (whole seconds, rounded
	// up): when a refused request may succeed.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s: %s", e.Status, e.title(), e.Detail)
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// StatusCode lets fuego (and anything else) see the status.
func (e *Error) StatusCode() int { return e.Status }

func (e *Error) title() string {
	if e.Title != "" {
		return e.Title
	}
	return http.StatusText(e.Status)
}

// ErrorDocument is the JSON:API error document every 4xx and 5xx carries.
type ErrorDocument struct {
	JSONAPI JSONAPIVersion `json:"jsonapi"`
	Errors  []ErrorObject  `json:"errors"`
}

// ErrorObject is one member of errors[].
type ErrorObject struct {
	ID     string       `json:"id,omitempty" description:"Identifies this occurrence: the request id"`
	Status string       `json:"status" example:"400" description:"The HTTP status code, as a string"`
	Title  string       `json:"title,omitempty" example:"Bad Request"`
	Detail string       `json:"detail" description:"What went wrong in this request"`
	Source *ErrorSource `json:"source,omitempty"`
}

// ErrorSource points at the part of the request at fault.
type ErrorSource struct {
	Pointer   string `json:"pointer,omitempty" example:"/data/attributes/labels/add/0"`
	Parameter string `json:"parameter,omitempty" example:"filter"`
	Header    string `json:"header,omitempty" example:"Prefer"`
}

// JSONAPIVersion is the jsonapi member of a document.
type JSONAPIVersion struct {
	Version string `json:"version" example:"1.0"`
}

var jsonapi10 = JSONAPIVersion{Version: "1.0"}

func (e *Error) object(requestID string) ErrorObject {
	o := ErrorObject{ID: requestID, Status: fmt.Sprint(e.Status), Title: e.title(), Detail: e.Detail}
	if o.Detail == "" {
		o.Detail = o.Title
	}
	if e.Pointer != "" || e.Parameter != "" || e.Header != "" {
		o.Source = &ErrorSource{Pointer: e.Pointer, Parameter: e.Parameter, Header: e.Header}
	}
	return o
}

// Constructors for the common cases.

func badRequest(detail string) *Error {
	return &Error{Status: http.StatusBadRequest, Detail: detail}
}

func badParameter(param, format string, args ...any) *Error {
	return badInput(param, "", format, args...)
}

func badPointer(pointer, format string, args ...any) *Error {
	return badInput("", pointer, format, args...)
}

// badInput is a 400 at a query parameter or (for values read from a body) a
// JSON Pointer; parsers shared by both take the pair.
func badInput(param, pointer, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, args...), Parameter: param, Pointer: pointer}
}

func notFound(detail string) *Error {
	return &Error{Status: http.StatusNotFound, Detail: detail}
}

func unauthorized(detail string) *Error {
	return &Error{Status: http.StatusUnauthorized, Detail: detail}
}

func forbidden(detail string) *Error {
	return &Error{Status: http.StatusForbidden, Detail: detail}
}

// asError turns any error into an *Error: API errors pass through, request
// problems found by index become 400s, an unreachable Elasticsearch a 503,
// everything else a 500 whose detail says nothing of the internals.
func asError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if detail, ok := index.InvalidDetail(err); ok {
		return &Error{Status: http.StatusBadRequest, Detail: detail, Cause: err}
	}
	if e := searchAnswer(err); e != nil {
		return e
	}
	var re *index.ResponseError
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &Error{Status: http.StatusNotFound, Detail: "The resource was not found.", Cause: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{Status: http.StatusServiceUnavailable, Detail: "The request took too long; try again.", Cause: err}
	case errors.As(err, &re) && re.Status >= 500, isUnavailable(err):
		return &Error{Status: http.StatusServiceUnavailable, Detail: "The search service is unavailable; try again later.", Cause: err}
	case databaseUnavailable(err):
		return &Error{Status: http.StatusServiceUnavailable, Detail: "The database is unavailable; try again later.", Cause: err}
	}
	return &Error{Status: http.StatusInternalServerError, Detail: "An internal error occurred.", Cause: err}
}

// databaseUnavailable reports PostgreSQL being unreachable, shutting down or
// restarting: connection failures and the operator-intervention (57P) and
// connection-exception (08) classes.
func databaseUnavailable(err error) bool {
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, store.SQLStateClassServerShutdown) || strings.HasPrefix(pe.Code, store.SQLStateClassConnectionException)
	}
	return pgconn.Timeout(err) || pgconn.SafeToRetry(err)
}

// unavailableError marks failures to reach Elasticsearch (connection refused,
// timeouts), which the index client returns unwrapped from the transport.
type unavailableError struct{ err error }

func (e unavailableError) Error() string { return "search service unavailable: " + e.err.Error() }
func (e unavailableError) Unwrap() error { return e.err }

func isUnavailable(err error) bool {
	var u unavailableError
	return errors.As(err, &u)
}

// searchFailed classifies an error from an index read: request problems stay
// 400s, Elasticsearch answers stay as they are, anything else (the transport
// could not reach it) is unavailability.
func searchFailed(err error) error {
	var re *index.ResponseError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, index.ErrInvalidRequest), errors.As(err, &re), errors.Is(err, context.Canceled):
		return err
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return unavailableError{err: err}
}

// writeError sends err as a JSON:API error document and logs what the
// client does not see.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e := asError(err)
	rs := stateOf(r.Context())
	if rs != nil {
		rs.err = e
	}
	switch {
	case isSearchRejection(e.Cause):
		// Elasticsearch refused the query or is overloaded: worth a look,
		// but the service itself did not fail.
		logger(r.Context()).WarnContext(r.Context(), "search rejected", "status", e.Status, "error", err)
	case e.Status >= 500:
		logger(r.Context()).ErrorContext(r.Context(), "request failed", "status", e.Status, "error", err)
	case e.Cause != nil:
		logger(r.Context()).DebugContext(r.Context(), "request rejected", "status", e.Status, "error", err)
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Token realm="assets", Bearer realm="assets"`)
	}
	switch {
	case e.RetryAfter > 0:
		w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(e.RetryAfter.Seconds())), 10))
	case e.Status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "5")
	}
	doc := ErrorDocument{JSONAPI: jsonapi10, Errors: []ErrorObject{e.object(requestIDOf(r.Context()))}}
	body, mErr := json.Marshal(doc)
	if mErr != nil {
		slog.Default().Error("encoding error document", "error", mErr)
		body = []byte(`{"jsonapi":{"version":"1.0"},"errors":[{"status":"500","detail":"An internal error occurred."}]}`)
	}
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", responseMediaType(r))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}
