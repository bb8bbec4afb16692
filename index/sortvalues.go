package index

import (
	"encoding/json"
	"strconv"
	"strings"
)

// CheckSortValues checks search_after values taken from a client's cursor
// against the sort they claim to continue: one value per Elasticsearch sort
// field, the id, and after a point-in-time search the _shard_doc tie-breaker
// Elasticsearch adds, each of the type that field sorts by (an integer for
// dates, numbers and _shard_doc, a string or null for keywords, a string
// for the id). Values that pass cannot make Elasticsearch fail the search,
// so a stale or forged cursor is a request error, never a failed search.
// Decode the values with json.Decoder.UseNumber.
func CheckSortValues(sort []SortField, values []any) error {
	fields, err := esSortFields(sort)
	if err != nil {
		return err
	}
	if len(values) == len(fields)+2 {
		if !sortValueFits("long", values[len(values)-1]) {
			return invalidf("the cursor's last sort value is not a shard position")
		}
		values = values[:len(values)-1]
	}
	if len(values) != len(fields)+1 {
		return invalidf("the cursor has %d sort values, the sort needs %d", len(values), len(fields)+1)
	}
	for i, f := range fields {
		if !sortValueFits(mappedType(f), values[i]) {
			return invalidf("the cursor's sort value %d does not fit the field %s", i+1, f)
		}
	}
	if id, ok := values[len(fields)].(string); !ok || id == "" {
		return invalidf("the cursor's last sort value is not an id")
	}
	return nil
}

// esSortFields are the Elasticsearch fields of a sort, before the id.
func esSortFields(sort []SortField) ([]string, error) {
	var fields []string
	for _, s := range sort {
		def, ok := defaultCatalogue.SortByName(s.Name)
		if !ok {
			return nil, invalidf("unknown sort field %q", s.Name)
		}
		fields = append(fields, def.esFields...)
	}
	return fields, nil
}

// searchAfter is values as a search without a point in time takes them:
// without the _shard_doc tie-breaker of a point-in-time page, whose point
// in time is gone.
func searchAfter(sort []SortField, values []any, pit bool) []any {
	fields, err := esSortFields(sort)
	if pit || err != nil || len(values) != len(fields)+2 {
		return values
	}
	return values[:len(values)-1]
}

// sortValueFits reports whether v is a sort value Elasticsearch returns for
// a field of mapping type typ: numbers and dates sort as longs (a missing
// value as the largest or smallest long), keywords as strings, or null
// where the value is missing.
func sortValueFits(typ string, v any) bool {
	switch typ {
	case "date", "date_nanos", "long", "integer", "short", "byte":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := strconv.ParseInt(string(n), 10, 64)
		return err == nil
	case "keyword":
		_, isString := v.(string)
		return v == nil || isString
	}
	return false
}

// mappedType is the mapping type of a (dotted) field of the asset index;
// a field the mapping lacks sorts as unmapped_type keyword (see esSort).
func mappedType(field string) string {
	props, _ := indexBody()["mappings"].(map[string]any)["properties"].(map[string]any)
	parts := strings.Split(field, ".")
	for i, p := range parts {
		m, ok := props[p].(map[string]any)
		if !ok {
			return "keyword"
		}
		if i == len(parts)-1 {
			t, _ := m["type"].(string)
			return t
		}
		props, _ = m["properties"].(map[string]any)
	}
	return "keyword"
}
