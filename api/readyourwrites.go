package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/openinventory/assets/store"
)

// Read-your-writes on request: a PATCH sent with `Prefer: wait-for=searchable`
// (RFC 7240 style, optionally with `wait=N` seconds) is answered once a
// search sees the committed versions, or with 202 when the bound passes.

// Defaults of the wait a writer may ask for.
const (
	// SearchableWaitDefault bounds the wait when the request gives no wait=N.
	SearchableWaitDefault = 5 * time.Second
	// SearchableWaitMaxDefault is the default Config.SearchableWaitMax: a
	// larger wait=N is cut to it, so a client cannot hold a connection and
	// its polling for longer.
	SearchableWaitMaxDefault = 30 * time.Second
)

// Names of the preference and of the headers of its answer.
const (
	preferSearchable   = "wait-for=searchable"
	headerSearchState  = "Search-Visibility" // pending on a 202: committed, not yet searchable
	searchStatePending = "pending"
)

// searchableWait is what a request's Prefer asked: asked is false when it
// did not ask to wait.
type searchableWait struct {
	asked bool
	bound time.Duration
}

// parseSearchableWait reads the Prefer headers. Preferences other than
// wait-for and wait are ignored, as RFC 7240 asks; a wait-for other than
// searchable, or a wait that is not whole seconds, is a 400 before
// anything is written.
func parseSearchableWait(r *http.Request, limit time.Duration) (searchableWait, error) {
	var w searchableWait
	var wait string
	for _, line := range r.Header.Values("Prefer") {
		for _, pref := range strings.Split(line, ",") {
			token, _, _ := strings.Cut(pref, ";")
			name, value, _ := strings.Cut(strings.TrimSpace(token), "=")
			value = strings.Trim(strings.TrimSpace(value), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "wait-for":
				if !strings.EqualFold(value, "searchable") {
					return w, preferError("wait-for=%s is not a preference of this service; use wait-for=searchable.", truncate(value, 40))
				}
				w.asked = true
			case "wait":
				wait = value
			}
		}
	}
	w.bound = min(SearchableWaitDefault, limit)
	if wait != "" && w.asked {
		n, err := strconv.Atoi(wait)
		if err != nil || n < 0 {
			return w, preferError("wait=%s must be whole seconds (at most %d).", truncate(wait, 40), int(limit.Seconds()))
		}
		w.bound = min(time.Duration(n)*time.Second, limit)
	}
	return w, nil
}

func preferError(format string, args ...any) *Error {
	e := badParameter("", format, args...)
	e.Header = "Prefer"
	return e
}

// Polling intervals of awaitSearchable: short at first (the worker wakes on
// NOTIFY and Elasticsearch refreshes every second), then steady.
const (
	searchablePollFirst = 10 * time.Millisecond
	searchablePollMax   = 200 * time.Millisecond
)

// awaitSearchable waits, up to the bound, until the sync worker wrote every
// version (its outbox rows are gone) and a search sees them. It reports
// whether they became searchable; a failure to ask is logged and counts
// as not yet searchable, since the write itself is committed.
func (s *Server) awaitSearchable(ctx context.Context, w searchableWait, versions map[string]int64) bool {
	ctx, cancel := context.WithTimeout(ctx, w.bound)
	defer cancel()
	pause := searchablePollFirst
	for {
		ok, err := s.searchable(ctx, versions)
		if ok {
			return true
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			s.log.WarnContext(ctx, "waiting for a write to become searchable", "err", err)
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(pause):
		}
		pause = min(2*pause, searchablePollMax)
	}
}

// searchable asks PostgreSQL first (cheap, and nothing can be searchable
// before the worker wrote it), then Elasticsearch.
func (s *Server) searchable(ctx context.Context, versions map[string]int64) (bool, error) {
	if len(versions) == 0 {
		return true, nil
	}
	pending, err := store.OutboxPending(ctx, s.pool, versions)
	if err != nil || pending {
		return false, err
	}
	return s.index.Searchable(ctx, versions)
}

// answerSearchable sets the headers of a write that asked to wait: the
// preference applied, or (202) committed but not yet searchable. It
// reports whether the answer is 202, which it has then sent the status of.
func answerSearchable(w http.ResponseWriter, r *http.Request, searchable bool) bool {
	if searchable {
		w.Header().Set("Preference-Applied", preferSearchable)
		return false
	}
	// The status goes out now, so the type the serializer sets later
	// would be too late.
	w.Header().Set("Content-Type", responseMediaType(r))
	w.Header().Set(headerSearchState, searchStatePending)
	w.WriteHeader(http.StatusAccepted)
	return true
}

// PendingMeta is the meta of a bulk update's 202: committed, not yet
// searchable (an extension of the contract).
type PendingMeta struct {
	Committed  bool `json:"committed"`
	Searchable bool `json:"searchable"`
}

// PendingDocument is the body of a bulk update's 202.
type PendingDocument struct {
	JSONAPI *JSONAPIVersion `json:"jsonapi,omitempty"`
	Meta    PendingMeta     `json:"meta"`
}

// awaitBulkSearchable waits for the assets of a committed bulk update; it
// returns the body of the 202 when they did not become searchable in time,
// nil when they did.
func (s *Server) awaitBulkSearchable(ctx context.Context, w http.ResponseWriter, r *http.Request, wait searchableWait, patches []store.Patch) *PendingDocument {
	ids := make([]string, len(patches))
	for i, p := range patches {
		ids[i] = p.ID
	}
	// Read after the commit: a later writer's version serves as well.
	versions, err := store.CommittedVersions(ctx, s.pool, ids)
	ok := err == nil && s.awaitSearchable(ctx, wait, versions)
	if err != nil {
		s.log.WarnContext(ctx, "reading the versions of a bulk update", "err", err)
	}
	if answerSearchable(w, r, ok) {
		return &PendingDocument{JSONAPI: &jsonapi10, Meta: PendingMeta{Committed: true}}
	}
	return nil
}

// documentSearchableWait adds the wait to the PATCH operations of doc: the
// Prefer header, the 202 and the headers of the answers, each marked as an
// extension of the contract.
func documentSearchableWait(doc *openapi3.T) {
	for _, item := range doc.Paths.Map() {
		op := item.Patch
		if op == nil || !strings.HasPrefix(op.OperationID, "updateAsset") {
			continue
		}
		// RFC 7240 preferences: visible ASCII, bounded like any header.
		schema := openapi3.NewStringSchema().WithPattern(`^[\x20-\x7e]{1,256}$`)
		p := openapi3.NewHeaderParameter("Prefer").WithSchema(schema).WithDescription(
			"Extension: `wait-for=searchable` answers only once a search sees the change (the sync worker wrote the " +
				"committed version to Elasticsearch and it was refreshed), with `Preference-Applied: wait-for=searchable`. " +
				"`wait=N` bounds the wait in seconds (default " + strconv.Itoa(int(SearchableWaitDefault.Seconds())) +
				", cut to the server's maximum, by default " + strconv.Itoa(int(SearchableWaitMaxDefault.Seconds())) + "). " +
				"When the bound passes the answer is 202: committed, not yet searchable. Other preferences are ignored.")
		p.Extensions = map[string]any{extensionMark: true}
		op.AddParameter(p)
		ok := op.Responses.Value(strconv.Itoa(http.StatusOK))
		if ok == nil {
			ok = op.Responses.Value(strconv.Itoa(http.StatusNoContent))
		}
		if ok != nil && ok.Value != nil {
			setHeader(ok.Value, "Preference-Applied", "wait-for=searchable, when the request asked for it (extension)", false)
		}
		op.AddResponse(http.StatusAccepted, acceptedResponse(op, ok))
	}
}

// acceptedResponse is the 202 of a wait that ran out: the asset for one
// asset's PATCH, meta.committed for the bulk one.
func acceptedResponse(op *openapi3.Operation, ok *openapi3.ResponseRef) *openapi3.Response {
	resp := openapi3.NewResponse().WithDescription("Extension: committed, but not yet searchable when the wait of " +
		"Prefer: wait-for=searchable ran out; a later read of the asset (GET) sees it, a search soon will.")
	if strings.HasPrefix(op.OperationID, "updateAssetsBulk") || ok == nil || ok.Value == nil || len(ok.Value.Content) == 0 {
		flag := openapi3.NewBoolSchema()
		meta := openapi3.NewObjectSchema().WithProperty("committed", flag).WithProperty("searchable", flag)
		meta.Required = []string{"committed", "searchable"}
		body := openapi3.NewObjectSchema().WithProperty("meta", meta)
		body.Required = []string{"meta"}
		resp.WithContent(openapi3.NewContentWithSchema(body, []string{mediaTypeJSONAPI}))
	} else {
		resp.Content = ok.Value.Content
	}
	setHeader(resp, headerSearchState, "pending: committed, not yet searchable (extension)", true)
	return resp
}

// setHeader declares a response header.
func setHeader(resp *openapi3.Response, name, description string, required bool) {
	if resp.Headers == nil {
		resp.Headers = openapi3.Headers{}
	}
	resp.Headers[name] = &openapi3.HeaderRef{Value: &openapi3.Header{Parameter: openapi3.Parameter{
		Description: description, Required: required, Schema: openapi3.NewStringSchema().NewRef(),
		Extensions: map[string]any{extensionMark: true},
	}}}
}
