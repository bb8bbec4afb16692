package api

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// cursorPrefix versions the cursor format, so a later format can tell old
// cursors apart.
const cursorPrefix = "v1."

// CursorKeyMinBytes is the shortest cursor signing key accepted: HMAC-SHA256
// is as strong as its key up to the 32 bytes of the hash.
const CursorKeyMinBytes = 32

// cursor is the position of one item in a sorted result: the item's sort
// values and its id (the tie-breaker), and a hash of the query it belongs
// to, so that a cursor replayed against another query is refused rather
// than silently paging somewhere else.
type cursor struct {
	Sort  []any  `json:"s"`
	ID    string `json:"i"`
	Query string `json:"q"`
}

// queryHash identifies a query by the parts that decide the order and the
// membership of its results.
func queryHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// cursorKey signs cursors with HMAC-SHA256, so the values a cursor carries
// back to Elasticsearch are ones this service (or a replica sharing the
// key) wrote. The signature goes first, inside the base64, so the
// documented form of a cursor stays one base64url run.
type cursorKey []byte

// newCursorKey checks a configured key, or makes a random one for this
// process alone when none is configured.
func newCursorKey(key []byte) (cursorKey, error) {
	if len(key) == 0 {
		key = make([]byte, CursorKeyMinBytes)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generating a cursor key: %w", err)
		}
	}
	if len(key) < CursorKeyMinBytes {
		return nil, fmt.Errorf("the cursor key has %d bytes; it needs at least %d", len(key), CursorKeyMinBytes)
	}
	return cursorKey(bytes.Clone(key)), nil
}

func (k cursorKey) mac(payload []byte) []byte {
	h := hmac.New(sha256.New, k)
	h.Write(payload)
	return h.Sum(nil)
}

func (k cursorKey) encode(c cursor) string {
	if len(k) == 0 {
		panic("encoding a cursor: " + errNoCursorKey.Error())
	}
	b, err := json.Marshal(c)
	if err != nil {
		// Sort values come from JSON, so they always encode.
		panic("encoding a cursor: " + err.Error())
	}
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(append(k.mac(b), b...))
}

// decode reads a cursor given in param, checking its signature and that it
// belongs to the query with hash want.
func (k cursorKey) decode(param, s, want string) (cursor, error) {
	bad := func(why string) (cursor, error) {
		return cursor{}, badParameter(param, "The cursor %s; use the links of a previous page of this same query.", why)
	}
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return bad("is not valid")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest, "="))
	if err != nil || len(raw) <= sha256.Size {
		return bad("is not valid")
	}
	sig, payload := raw[:sha256.Size], raw[sha256.Size:]
	if !hmac.Equal(sig, k.mac(payload)) {
		return bad("is not valid or has expired")
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber() // sort values may be longs beyond float64 precision
	dec.DisallowUnknownFields()
	var c cursor
	if err := dec.Decode(&c); err != nil || c.ID == "" || c.Query == "" {
		return bad("is not valid")
	}
	if c.Query != want {
		return bad("belongs to another query (different filter, sort or scope)")
	}
	return c, nil
}

type cursorKeyCtx struct{}

// bind gives the handlers behind it the server's cursor key, so
// every paged operation signs and checks with it.
func (k cursorKey) bind(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), cursorKeyCtx{}, k)))
	})
}

// errNoCursorKey is a handler run without bind: a wiring bug, not the
// client's fault.
var errNoCursorKey = errors.New("no cursor key in the request context")

func cursorKeyOf(ctx context.Context) (cursorKey, error) {
	k, ok := ctx.Value(cursorKeyCtx{}).(cursorKey)
	if !ok {
		return nil, errNoCursorKey
	}
	return k, nil
}

// page is one request of a paged operation: the cursor it was given
// (checked against the hash of its query), from which the index request
// starts, and the request URL its links are built from. Lists, search
// results, group and filter values and the field lists all page with it.
type page struct {
	r             *http.Request
	key           cursorKey
	hash          string
	after, before *cursor
}

// parsePage reads starting_after / ending_before of r for the query with
// hash.
func parsePage(r *http.Request, hash string) (page, error) {
	// Without a key (a handler called outside the server) no cursor can be
	// checked; links then panic in encode rather than sign with no key.
	key, keyErr := cursorKeyOf(r.Context())
	p := page{r: r, key: key, hash: hash}
	q := r.URL.Query()
	// An empty cursor is no cursor, as for the other text parameters:
	// clients filling a URL template send starting_after=&ending_before=.
	if q.Get("starting_after") != "" && q.Get("ending_before") != "" {
		return p, badParameter("ending_before", "Give starting_after or ending_before, not both.")
	}
	for _, param := range []string{"starting_after", "ending_before"} {
		if q.Get(param) == "" {
			continue
		}
		if keyErr != nil {
			return p, keyErr
		}
		c, err := key.decode(param, q.Get(param), hash)
		if err != nil {
			return p, err
		}
		if param == "starting_after" {
			p.after = &c
		} else {
			p.before = &c
		}
	}
	return p, nil
}

// ids returns the item ids of the cursors: where a page of values or
// names starts after or ends before ("" for none).
func (p page) ids() (after, before string) {
	if p.after != nil {
		after = p.after.ID
	}
	if p.before != nil {
		before = p.before.ID
	}
	return after, before
}

// sortValues returns the sort values of the cursors, for search_after and
// its reverse.
func (p page) sortValues() (after, before []any) {
	if p.after != nil {
		after = p.after.Sort
	}
	if p.before != nil {
		before = p.before.Sort
	}
	return after, before
}

// links builds self, first, next and prev for a page of n items. edge
// returns the cursor of the first item (last false) or the last one
// (last true); next follows the last item when there are more after it,
// prev precedes the first when there are more before it.
func (p page) links(n int, hasAfter, hasBefore bool, edge func(last bool) cursor) PaginationLinks {
	var next, prev string
	if n > 0 {
		if hasAfter {
			c := edge(true)
			c.Query = p.hash
			next = p.key.encode(c)
		}
		if hasBefore {
			c := edge(false)
			c.Query = p.hash
			prev = p.key.encode(c)
		}
	}
	return pageLinks(p.r, next, prev)
}

// idEdges is the edge function of a page whose cursors carry only an id.
func idEdges[T any](items []T, id func(T) string) func(last bool) cursor {
	return func(last bool) cursor {
		if last {
			return cursor{ID: id(items[len(items)-1])}
		}
		return cursor{ID: id(items[0])}
	}
}

// pageLinks builds self, first, next and prev from the request URL: the
// same parameters with the cursor replaced.
func pageLinks(r *http.Request, next, prev string) PaginationLinks {
	q := r.URL.Query()
	path := publicBaseOf(r.Context()) + r.URL.Path // absolute, see publicBase
	links := PaginationLinks{Self: path}
	if enc := q.Encode(); enc != "" {
		links.Self += "?" + enc
	}
	q.Del("starting_after")
	q.Del("ending_before")
	links.First = path
	if enc := q.Encode(); enc != "" {
		links.First += "?" + enc
	}
	with := func(param, c string) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set(param, c)
		return path + "?" + q2.Encode()
	}
	if next != "" {
		links.Next = with("starting_after", next)
	}
	if prev != "" {
		links.Prev = with("ending_before", prev)
	}
	return links
}
