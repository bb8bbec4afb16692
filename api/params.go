package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/rsql"
)

// Query parameters shared by the list, search and facet operations.

// parseLimit reads limit (10..100, default 10).
func parseLimit(q url.Values) (int, *Error) {
	if !q.Has("limit") {
		return 10, nil
	}
	n, err := strconv.Atoi(q.Get("limit"))
	if err != nil || n < 10 || n > 100 {
		return 0, badParameter("limit", "limit must be an integer from 10 to 100.")
	}
	return n, nil
}

// parseFilter parses and validates an RSQL filter; empty means none. The
// error names where (param is "filter", or a body pointer) and the
// position in the filter.
func parseFilter(s, param, pointer string) (rsql.Node, *Error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	node, err := rsql.Parse(s)
	if err == nil {
		err = rsql.Validate(node, index.NewCatalogue())
	}
	if err != nil {
		var re *rsql.Error
		detail := "The filter is not valid: " + err.Error()
		if errors.As(err, &re) {
			detail = fmt.Sprintf("The filter is not valid at position %d: %s.", re.Pos, strings.TrimSuffix(re.Msg, "."))
		}
		return nil, &Error{Status: http.StatusBadRequest, Detail: detail, Parameter: param, Pointer: pointer, Cause: err}
	}
	return node, nil
}

// parseSort reads a comma list of fields, each optionally prefixed with -
// for descending; known says which names are allowed.
func parseSort(s, param, pointer string, known func(string) bool, names []string) ([]index.SortField, *Error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []index.SortField
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		f := index.SortField{Name: strings.TrimPrefix(part, "-"), Desc: strings.HasPrefix(part, "-")}
		if f.Name == "" || !known(f.Name) {
			return nil, &Error{Status: http.StatusBadRequest, Parameter: param, Pointer: pointer,
				Detail: fmt.Sprintf("%q is not a sort field; use any of %s (prefix - for descending).", truncate(part, 40), strings.Join(names, ", "))}
		}
		if slices.ContainsFunc(out, func(o index.SortField) bool { return o.Name == f.Name }) {
			return nil, &Error{Status: http.StatusBadRequest, Parameter: param, Pointer: pointer, Detail: fmt.Sprintf("The sort field %s is given twice.", f.Name)}
		}
		out = append(out, f)
	}
	return out, nil
}

// sortString is the canonical text of a sort, for hashes and storage.
func sortString(sort []index.SortField) string {
	parts := make([]string, len(sort))
	for i, f := range sort {
		parts[i] = f.Name
		if f.Desc {
			parts[i] = "-" + f.Name
		}
	}
	return strings.Join(parts, ",")
}

// assetSortNames lists the sort fields of assets.
func assetSortNames() []string {
	var names []string
	for _, d := range index.NewCatalogue().Sorts() {
		names = append(names, d.Name)
	}
	return names
}

func isAssetSort(name string) bool {
	_, ok := index.NewCatalogue().SortByName(name)
	return ok
}

// parseMetaCount reads a meta_count that was given: with or only (an empty
// one is refused like any other value, as the documented enum says).
func parseMetaCount(v, param, pointer string) (index.CountMode, *Error) {
	switch v {
	case "with":
		return index.CountWith, nil
	case "only":
		return index.CountOnly, nil
	}
	return 0, &Error{Status: http.StatusBadRequest, Parameter: param, Pointer: pointer, Detail: "meta_count must be with or only."}
}

// page is the cursor parameters of a request.
type page struct {
	after, before *cursor
}

// parsePage reads starting_after / ending_before for the query with hash.
func parsePage(q url.Values, hash string) (page, *Error) {
	var p page
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

// parseAssetTypes reads asset_types: a comma list of known asset types.
func parseAssetTypes(q url.Values) ([]string, *Error) {
	if !q.Has("asset_types") {
		return nil, nil
	}
	var out []string
	for _, t := range strings.Split(q.Get("asset_types"), ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if t != "container_images" {
			return nil, badParameter("asset_types", "%q is not an asset type; the only one is container_images.", truncate(t, 40))
		}
		out = append(out, t)
	}
	return out, nil
}
