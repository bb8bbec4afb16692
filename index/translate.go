package index

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/openinventory/assets/rsql"
)

// Query is one Elasticsearch query DSL object. Maps marshal with sorted
// keys, so a query's JSON is deterministic.
type Query = map[string]any

// Translate turns a filter AST into an Elasticsearch bool query; see the
// package documentation for the matching rules. It checks selectors and
// values itself (an AST that skipped rsql.Validate gets an error wrapping
// ErrInvalidRequest, never a panic). The scope filter is not part of it.
func Translate(n rsql.Node) (Query, error) {
	return defaultCatalogue.translate(n)
}

// qFields are searched by q: labels, tag keys and values, registry,
// repository, name, digests and image tags (their lowercase sub-fields).
var qFields = []string{
	"labels.lc", "tags.lc", "registry.lc", "repository.lc", "name.lc", "config_digest.lc",
	"distribution_digests.manifest_digest.lc", "distribution_digests.index_digest.lc", "image_tags.lc",
}

func (c *Catalogue) translate(n rsql.Node) (Query, error) {
	switch n := n.(type) {
	case *rsql.Comparison:
		if n == nil {
			break
		}
		q, err := c.comparison(n)
		if err != nil {
			return nil, &InvalidRequestError{Detail: fmt.Sprintf("%s (at %d): %v", n.Selector, n.Pos, err), Err: err}
		}
		return q, nil
	case *rsql.Logical:
		if n == nil || len(n.Children) == 0 {
			break
		}
		qs := make([]any, len(n.Children))
		for i, child := range n.Children {
			q, err := c.translate(child)
			if err != nil {
				return nil, err
			}
			qs[i] = q
		}
		switch n.Op {
		case rsql.And:
			return and(qs...), nil
		case rsql.Or:
			return or(qs...), nil
		}
		return nil, invalidf("unknown logical operator %q", n.Op)
	}
	return nil, invalidf("empty filter")
}

// errNoSuchSelector is wrapped with the selector by translate.
var errNoSuchSelector = errors.New("unknown selector")

func (c *Catalogue) comparison(cmp *rsql.Comparison) (Query, error) {
	f, key, ok := c.resolve(cmp.Selector)
	if !ok {
		return nil, errNoSuchSelector
	}
	args := cmp.Args
	if len(args) == 0 || !cmp.Op.MultiValue() && len(args) != 1 {
		return nil, fmt.Errorf("operator %s takes %s", cmp.Op, map[bool]string{true: "one or more values", false: "one value"}[cmp.Op.MultiValue()])
	}
	var t target
	switch f.kind {
	case kindText:
		if cmp.Op != rsql.OpEqual {
			return nil, fmt.Errorf("only == is allowed")
		}
		return qQuery(args[0]), nil
	case kindKeyword, kindPair:
		t = strTarget{f: f, key: key}
	case kindNumber:
		t = typedTarget{field: f.exact, parse: parseNumber}
	case kindDate:
		t = typedTarget{field: f.exact, parse: parseDate}
	}
	switch cmp.Op {
	case rsql.OpEqual:
		return t.eq(args[0])
	case rsql.OpNotEqual:
		q, err := t.eq(args[0])
		return not(q), err
	case rsql.OpIn:
		return t.in(args)
	case rsql.OpOut:
		q, err := t.in(args)
		return not(q), err
	case rsql.OpLess, rsql.OpLessEqual, rsql.OpGreater, rsql.OpGreaterEqual:
		return t.rng(cmp.Op, args[0])
	}
	return nil, fmt.Errorf("operator %s is not supported", cmp.Op)
}

// target builds the comparisons of one kind of field. eq handles the empty
// value (missing or empty) and, for strings, wildcards.
type target interface {
	eq(v string) (Query, error)
	in(vs []string) (Query, error)
	rng(op rsql.Operator, v string) (Query, error)
}

var rangeOps = map[rsql.Operator]string{
	rsql.OpLess: "lt", rsql.OpLessEqual: "lte", rsql.OpGreater: "gt", rsql.OpGreaterEqual: "gte",
}

// strTarget is a keyword field, or one key of an object field (key != "").
type strTarget struct {
	f   *FilterField
	key string
}

func (t strTarget) pair() bool { return t.f.kind == kindPair }

// value is the indexed keyword of v: v itself, or key\x1fv.
func (t strTarget) value(v string) string {
	if t.pair() {
		return t.key + pairSep + v
	}
	return v
}

// present matches documents that have the field (or the key).
func (t strTarget) present() Query {
	if t.pair() {
		return term(t.f.keys, t.key)
	}
	return exists(t.f.exact)
}

// missingOrEmpty is what =="" means: no value, or an empty one. The empty
// string is a value of its own (==* matches it); ” also covers the
// missing, as it does for numbers and dates.
func (t strTarget) missingOrEmpty() Query {
	return or(not(t.present()), term(t.f.exact, t.value("")))
}

func (t strTarget) eq(v string) (Query, error) {
	switch {
	case v == "":
		return t.missingOrEmpty(), nil
	case strings.Contains(v, "*"):
		return t.pattern(v), nil
	}
	return term(t.f.exact, t.value(v)), nil
}

func (t strTarget) in(vs []string) (Query, error) {
	vals := make([]any, 0, len(vs))
	empty := false
	for _, v := range vs {
		if v == "" {
			empty = true
			continue
		}
		vals = append(vals, t.value(v))
	}
	var q Query
	if len(vals) > 0 {
		q = Query{"terms": Query{t.f.exact: vals}}
	}
	switch {
	case !empty:
		return q, nil
	case q == nil:
		return t.missingOrEmpty(), nil
	}
	return or(t.missingOrEmpty(), q), nil
}

func (t strTarget) rng(op rsql.Operator, v string) (Query, error) {
	if !t.pair() {
		return Query{"range": Query{t.f.exact: Query{rangeOps[op]: v}}}, nil
	}
	// key\x1f... keywords of one key sort between key\x1f and key\x20.
	lo, hi := t.key+pairSep, t.key+"\x20"
	var r Query
	switch op {
	case rsql.OpLess:
		r = Query{"gte": lo, "lt": lo + v}
	case rsql.OpLessEqual:
		r = Query{"gte": lo, "lte": lo + v}
	case rsql.OpGreater:
		r = Query{"gt": lo + v, "lt": hi}
	default:
		r = Query{"gte": lo + v, "lt": hi}
	}
	return Query{"range": Query{t.f.exact: r}}, nil
}

// pattern is a value with the user's * wildcards: case-insensitive, with
// every other character literal. "x*" becomes a prefix query, "*" alone
// means the field is present.
func (t strTarget) pattern(v string) Query {
	parts := strings.Split(strings.ToLower(v), "*")
	// Collapse runs of * (empty middle parts).
	kept := parts[:1]
	for i := 1; i < len(parts)-1; i++ {
		if parts[i] != "" {
			kept = append(kept, parts[i])
		}
	}
	parts = append(kept, parts[len(parts)-1])
	var q Query
	switch {
	case len(parts) == 2 && parts[0] == "" && parts[1] == "":
		return t.present()
	case len(parts) == 2 && parts[1] == "":
		prefix := parts[0]
		if t.pair() {
			prefix = strings.ToLower(t.key) + pairSep + prefix
		}
		q = Query{"prefix": Query{t.f.lc: Query{"value": prefix, "case_insensitive": true}}}
	default:
		var b strings.Builder
		if t.pair() {
			b.WriteString(escapeWildcard(strings.ToLower(t.key)))
			b.WriteString(pairSep)
		}
		for i, p := range parts {
			if i > 0 {
				b.WriteByte('*')
			}
			b.WriteString(escapeWildcard(p))
		}
		q = Query{"wildcard": Query{t.f.lc: Query{"value": b.String(), "case_insensitive": true}}}
	}
	if t.pair() {
		// The lc pairs lowercase the key too; the exact key keeps it exact.
		return and(t.present(), q)
	}
	return q
}

// escapeWildcard makes s literal in a wildcard pattern.
func escapeWildcard(s string) string {
	if !strings.ContainsAny(s, `*?\`) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if r == '*' || r == '?' || r == '\\' {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// qQuery is the case-insensitive substring search over qFields; wildcards in
// the term are literal. It runs on the q_grams index (see qgrams.go); only
// documents too large for grams are searched by a wildcard, over q_overflow.
func qQuery(v string) Query {
	if v == "" {
		return Query{"match_all": Query{}}
	}
	lc := strings.ToLower(v)
	return or(qGramQuery(lc), qOverflowQuery(lc))
}

// typedTarget is a number or date field: values are parsed, never patterns.
type typedTarget struct {
	field string
	parse func(string) (any, error)
}

func (t typedTarget) eq(v string) (Query, error) {
	if v == "" {
		return not(exists(t.field)), nil
	}
	x, err := t.parse(v)
	if err != nil {
		return nil, err
	}
	return term(t.field, x), nil
}

func (t typedTarget) in(vs []string) (Query, error) {
	vals := make([]any, 0, len(vs))
	empty := false
	for _, v := range vs {
		if v == "" {
			empty = true
			continue
		}
		x, err := t.parse(v)
		if err != nil {
			return nil, err
		}
		vals = append(vals, x)
	}
	var q Query
	if len(vals) > 0 {
		q = Query{"terms": Query{t.field: vals}}
	}
	switch {
	case !empty:
		return q, nil
	case q == nil:
		return not(exists(t.field)), nil
	}
	return or(not(exists(t.field)), q), nil
}

func (t typedTarget) rng(op rsql.Operator, v string) (Query, error) {
	x, err := t.parse(v)
	if err != nil {
		return nil, err
	}
	return Query{"range": Query{t.field: Query{rangeOps[op]: x}}}, nil
}

// parseNumber accepts what rsql does (42, -7, 3.25) and returns a JSON
// number in canonical form.
func parseNumber(s string) (any, error) {
	body := strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
	intPart, frac, hasDot := strings.Cut(body, ".")
	if !allDigits(intPart) || hasDot && !allDigits(frac) {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	if i, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
		return json.Number(strconv.FormatInt(i, 10)), nil
	}
	f, err := strconv.ParseFloat(strings.TrimPrefix(s, "+"), 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return json.Number(strconv.FormatFloat(f, 'f', -1, 64)), nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// instantLayout writes all nine fractional digits: Elasticsearch reads a
// bound with fewer as covering the digits left out (gt 10:00:00Z would be
// after 10:00:00.999999999), and a value is the one instant it names.
const instantLayout = "2006-01-02T15:04:05.000000000Z07:00"

// parseDate accepts an RFC 3339 date-time or a date (that day's midnight
// UTC, an instant like any other) and returns it as a UTC instant with
// nanoseconds.
func parseDate(s string) (any, error) {
	t, err := rsql.ParseTimestamp(s)
	if err != nil {
		return nil, err
	}
	return t.UTC().Format(instantLayout), nil
}

func term(field string, v any) Query { return Query{"term": Query{field: v}} }

func exists(field string) Query { return Query{"exists": Query{"field": field}} }

func and(qs ...any) Query {
	if len(qs) == 1 {
		return qs[0].(Query)
	}
	return Query{"bool": Query{"filter": qs}}
}

func or(qs ...any) Query {
	if len(qs) == 1 {
		return qs[0].(Query)
	}
	return Query{"bool": Query{"should": qs, "minimum_should_match": 1}}
}

// not negates q, unwrapping a lone must_not instead of nesting two.
func not(q Query) Query {
	if q == nil {
		return nil
	}
	if b, ok := q["bool"].(Query); ok && len(q) == 1 && len(b) == 1 {
		if mn, ok := b["must_not"].([]any); ok && len(mn) == 1 {
			return mn[0].(Query)
		}
	}
	return Query{"bool": Query{"must_not": []any{q}}}
}
