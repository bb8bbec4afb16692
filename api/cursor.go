package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// cursorPrefix versions the cursor format, so a later format can tell old
// cursors apart.
const cursorPrefix = "v1."

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

func encodeCursor(c cursor) string {
	b, err := json.Marshal(c)
	if err != nil {
		// Sort values come from JSON, so they always encode.
		panic("encoding a cursor: " + err.Error())
	}
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor given in param, checking that it belongs to
// the query with hash want.
func decodeCursor(param, s, want string) (cursor, error) {
	bad := func(why string) (cursor, error) {
		return cursor{}, badParameter(param, "The cursor %s; use the links of a previous page of this same query.", why)
	}
	rest, ok := strings.CutPrefix(s, cursorPrefix)
	if !ok {
		return bad("is not valid")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest, "="))
	if err != nil {
		return bad("is not valid")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
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

// page is one request of a paged operation: the cursor it was given
// (checked against the hash of its query), from which the index request
// starts, and the request URL its links are built from. Lists, search
// results, group and filter values and the field lists all page with it.
type page struct {
	r             *http.Request
	hash          string
	after, before *cursor
}

// parsePage reads starting_after / ending_before of r for the query with
// hash.
func parsePage(r *http.Request, hash string) (page, error) {
	p := page{r: r, hash: hash}
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
		c, err := decodeCursor(param, q.Get(param), hash)
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
			next = encodeCursor(c)
		}
		if hasBefore {
			c := edge(false)
			c.Query = p.hash
			prev = encodeCursor(c)
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
	links := PaginationLinks{Self: r.URL.Path}
	if enc := q.Encode(); enc != "" {
		links.Self += "?" + enc
	}
	q.Del("starting_after")
	q.Del("ending_before")
	links.First = r.URL.Path
	if enc := q.Encode(); enc != "" {
		links.First += "?" + enc
	}
	with := func(param, c string) string {
		q2 := url.Values{}
		for k, v := range q {
			q2[k] = v
		}
		q2.Set(param, c)
		return r.URL.Path + "?" + q2.Encode()
	}
	if next != "" {
		links.Next = with("starting_after", next)
	}
	if prev != "" {
		links.Prev = with("ending_before", prev)
	}
	return links
}
