package index

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// FilterValuesRequest asks for distinct values of one filter field, for
// autocomplete.
type FilterValuesRequest struct {
	Scope Scope
	Field string // filter field name; tags and image_labels by their bare name
	// Q is a case-insensitive substring: over the values, or for object
	// fields over the keys (KeysOnly), over one key's values (Key), or
	// over keys and values.
	Q        string
	KeysOnly bool
	Key      string
	Limit    int // DefaultLimit when zero
	// After / Before: the Cursor of the last / first value of the
	// neighbouring page. At most one.
	After, Before string
	// MaxPages bounds the aggregation pages (of filterValuesPageSize
	// values, one Elasticsearch request each) read to fill the page; a page
	// still short then is a request error that asks for a narrower q.
	// FilterValuesMaxPagesDefault when zero.
	MaxPages int
	// pageSize overrides filterValuesPageSize, so tests reach the bound
	// with few values.
	pageSize int
}

// FilterValuesMaxPagesDefault is the default FilterValuesRequest.MaxPages:
// ten requests, ten thousand values scanned for one page.
const FilterValuesMaxPagesDefault = 10

// filterValuesPageSize is the number of values one aggregation page holds.
const filterValuesPageSize = 1000

// QNarrows reports whether q applies to the values of f: it is a substring
// of text. Numbers and dates are refused rather than matched as the
// substrings of their rendering, which the index cannot narrow by and
// would scan every value for.
func QNarrows(f FilterField) bool { return f.kind == kindKeyword || f.kind == kindPair }

// FilterValue is one distinct value; Key is set for object fields.
type FilterValue struct {
	Key    string
	Value  string
	Cursor string
}

// FilterValuesResult is one page of filter values, sorted by value (for
// object fields by key, then value).
type FilterValuesResult struct {
	Values              []FilterValue
	HasBefore, HasAfter bool
}

// filterPlan is a checked FilterValuesRequest: the composite aggregation
// to scan and which of its keys are results.
type filterPlan struct {
	f        FilterField
	scan     composite
	backward bool
	// keep reports whether a rendered key is a result, and whether the
	// scan has left the key's range (object fields with Key).
	keep func(s string) (ok, done bool)
}

func (r *FilterValuesRequest) plan() (*filterPlan, error) {
	f, ok := defaultCatalogue.FilterByName(r.Field)
	if !ok {
		return nil, invalidf("unknown filter field %q", r.Field)
	}
	if f.kind == kindText {
		return nil, invalidf("filter field %q has no values", r.Field)
	}
	if r.Q != "" && !QNarrows(f) {
		return nil, invalidf("q applies to text fields; %s is not one, list its values without q", r.Field)
	}
	if f.kind != kindPair && (r.KeysOnly || r.Key != "") {
		return nil, invalidf("keys_only and key apply to object fields only")
	}
	if r.After != "" && r.Before != "" {
		return nil, invalidf("both after and before")
	}
	fs, err := r.Scope.filters()
	if err != nil {
		return nil, err
	}
	p := &filterPlan{f: f, backward: r.Before != ""}
	p.scan = composite{field: f.values, order: "asc", size: cmp.Or(r.pageSize, filterValuesPageSize)}
	if p.backward {
		p.scan.order = "desc"
	}
	fs = r.narrow(p, fs)
	p.scan.query = Query{"bool": Query{"filter": fs}}
	switch {
	case r.After != "" || p.backward:
		v, err := decodeValueCursor(r.After + r.Before)
		if err != nil {
			return nil, err
		}
		p.scan.start = Query{"v": v}
	case f.kind == kindPair && r.Key != "":
		// Start just below the key's first pair.
		p.scan.start = Query{"v": r.Key + "\x1e"}
	}
	return p, nil
}

// narrow sets p.keep (and for keys only the scanned field) and returns the
// filters with a wildcard query on Q that lets Elasticsearch skip most
// values that cannot match.
func (r *FilterValuesRequest) narrow(p *filterPlan, fs []any) []any {
	f := p.f
	q := strings.ToLower(r.Q)
	pat := "*" + escapeWildcard(q) + "*"
	wildcard := func(field, value string) {
		if q != "" {
			fs = append(fs, Query{"wildcard": Query{field: Query{"value": value, "case_insensitive": true}}})
		}
	}
	contains := func(s string) bool { return q == "" || strings.Contains(strings.ToLower(s), q) }
	switch {
	case f.kind == kindPair && r.KeysOnly:
		p.scan.field = f.keys
		wildcard(f.keys, pat)
		p.keep = func(k string) (bool, bool) { return contains(k), false }
	case f.kind == kindPair && r.Key != "":
		fs = append(fs, term(f.keys, r.Key))
		wildcard(f.lc, escapeWildcard(strings.ToLower(r.Key))+pairSep+pat)
		prefix := r.Key + pairSep
		p.keep = func(s string) (bool, bool) {
			if !strings.HasPrefix(s, prefix) {
				return false, (r.Before == "") == (s > prefix)
			}
			return contains(s[len(prefix):]), false
		}
	case f.kind == kindPair:
		wildcard(f.lc, pat)
		p.keep = func(s string) (bool, bool) {
			k, v := splitPair(s)
			return contains(k) || contains(v), false
		}
	default:
		if f.kind == kindKeyword {
			wildcard(f.lc, pat)
		}
		p.keep = func(v string) (bool, bool) { return contains(v), false }
	}
	return fs
}

// request is the first request FilterValues sends for r (see Diagnose).
func (r FilterValuesRequest) request(alias string) (Request, error) {
	p, err := r.plan()
	if err != nil {
		return Request{}, err
	}
	return p.scan.first(alias), nil
}

// render shows a composite key: dates as RFC 3339, numbers as integers.
func (p *filterPlan) render(key json.RawMessage) (string, error) {
	switch p.f.kind {
	case kindNumber, kindDate:
		n, err := strconv.ParseFloat(string(key), 64)
		if err != nil {
			return "", err
		}
		if p.f.kind == kindDate {
			return time.UnixMilli(int64(n)).UTC().Format(time.RFC3339Nano), nil
		}
		return strconv.FormatInt(int64(n), 10), nil
	}
	var s string
	err := json.Unmarshal(key, &s)
	return s, err
}

// read decodes one composite bucket: its value, whether it is a result,
// and whether the scan has left the requested range.
func (p *filterPlan) read(r *FilterValuesRequest, raw json.RawMessage) (fv FilterValue, ok, done bool, err error) {
	var bk struct {
		Key struct {
			V json.RawMessage `json:"v"`
		} `json:"key"`
	}
	if err := json.Unmarshal(raw, &bk); err != nil {
		return fv, false, false, err
	}
	s, err := p.render(bk.Key.V)
	if err != nil {
		return fv, false, false, err
	}
	if ok, done = p.keep(s); !ok || done {
		return fv, ok, done, nil
	}
	fv = FilterValue{Value: s, Cursor: string(bytes.TrimSpace(bk.Key.V))}
	switch {
	case p.f.kind == kindPair && r.KeysOnly:
		fv = FilterValue{Key: s, Cursor: fv.Cursor}
	case p.f.kind == kindPair:
		fv.Key, fv.Value = splitPair(s)
	}
	return fv, true, false, nil
}

// FilterValues returns distinct values of a filter field in scope. It pages
// a composite aggregation, narrowed by a wildcard query on Q, and keeps the
// values that contain Q.
func (c *Client) FilterValues(ctx context.Context, r FilterValuesRequest) (*FilterValuesResult, error) {
	p, err := r.plan()
	if err != nil {
		return nil, err
	}
	limit := limitOr(r.Limit)
	var got []FilterValue
	var readErr error // a bucket that does not decode
	maxPages := cmp.Or(max(r.MaxPages, 0), FilterValuesMaxPagesDefault)
	err = c.each(ctx, &p.scan, maxPages, func(raw json.RawMessage) (bool, error) {
		var fv FilterValue
		var ok, done bool
		if fv, ok, done, readErr = p.read(&r, raw); readErr != nil || done {
			return true, nil
		}
		if ok {
			got = append(got, fv)
		}
		return len(got) > limit, nil
	})
	switch {
	case readErr != nil:
		return nil, fmt.Errorf("reading values of %s: %w", r.Field, readErr)
	case errors.Is(err, errPagesLeft):
		return nil, invalidf("%d values of %s were scanned without filling the page, the most one request may scan; "+
			"give a longer q (or a key, for tags and image_labels) that matches more of them", maxPages*p.scan.size, r.Field)
	case err != nil && isStatus(err, http.StatusBadRequest) && (r.After != "" || r.Before != ""):
		return nil, invalidf("filter values cursor does not belong to this field")
	case err != nil:
		return nil, fmt.Errorf("reading values of %s in %s: %w", r.Field, c.alias, err)
	}
	more := len(got) > limit
	if more {
		got = got[:limit]
	}
	out := &FilterValuesResult{Values: got}
	if p.backward {
		slices.Reverse(out.Values)
		out.HasBefore, out.HasAfter = more, true
	} else {
		out.HasBefore, out.HasAfter = r.After != "", more
	}
	return out, nil
}

// decodeValueCursor reads a FilterValue.Cursor: one JSON string or number,
// re-encoded by the caller, never spliced into the request.
func decodeValueCursor(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, invalidf("filter values cursor is malformed")
	}
	switch v.(type) {
	case string, json.Number:
		return v, nil
	}
	return nil, invalidf("filter values cursor is malformed")
}
