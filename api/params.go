package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// Query parameters shared by the list, search and facet operations.

// Page sizes: limit is minLimit..maxLimit, defaultLimit when not given.
const (
	minLimit     = 10
	maxLimit     = 100
	defaultLimit = 10
)

// parseLimit reads the limit query parameter.
func parseLimit(q url.Values) (int, error) {
	if !q.Has("limit") {
		return defaultLimit, nil
	}
	return parseLimitText(q.Get("limit"), "limit", "")
}

// parseLimitText checks a limit given in param or at a body pointer.
func parseLimitText(s, param, pointer string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < minLimit || n > maxLimit {
		return 0, badInput(param, pointer, "limit must be an integer from %d to %d.", minLimit, maxLimit)
	}
	return n, nil
}

// parseUUID reads a UUID in its canonical 36-character form (any case).
func parseUUID(s string) (string, bool) {
	u, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return "", false
	}
	return u.String(), true
}

// pathUUID reads a UUID path parameter: scope ids, asset_id and the field
// ids of the facet routes.
func pathUUID(r *http.Request, param string) (string, error) {
	id, ok := parseUUID(r.PathValue(param))
	if !ok {
		return "", badParameter(param, "The %s must be a UUID.", param)
	}
	return id, nil
}

// parseFilter parses and validates an RSQL filter; empty means none. The
// error names where (param is "filter", or a body pointer) and the
// position in the filter.
func parseFilter(s, param, pointer string) (rsql.Node, error) {
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

// filterCostDetail explains rsql.Cost to a client whose filter is over the
// budget: what it cost, the limit, and what to change.
func filterCostDetail(cost, limit int) string {
	return fmt.Sprintf("The filter costs %d, more than the limit of %d. A comparison costs %d per value; "+
		"a * wildcard value %d; a q term %d, or %d when it has %d characters or fewer. "+
		"Use fewer q terms and wildcards, longer q terms, or shorter =in= lists.",
		cost, limit, rsql.CostValue, rsql.CostWildcard, rsql.CostText, rsql.CostShortText, rsql.ShortTextRunes)
}

// checkFilterCost refuses a parsed filter whose cost is over limit, before
// Elasticsearch is asked to run it; param and pointer say where it was.
func checkFilterCost(n rsql.Node, limit int, param, pointer string) error {
	if n == nil {
		return nil
	}
	if cost := rsql.Cost(n, index.NewCatalogue()); cost > limit {
		return badInput(param, pointer, "%s", filterCostDetail(cost, limit))
	}
	return nil
}

// parseSort reads a comma list of fields, each optionally prefixed with -
// for descending; names are the fields allowed.
func parseSort(s, param, pointer string, names []string) ([]index.SortField, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []index.SortField
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		f := index.SortField{Name: strings.TrimPrefix(part, "-"), Desc: strings.HasPrefix(part, "-")}
		if f.Name == "" || !slices.Contains(names, f.Name) {
			return nil, badInput(param, pointer, "%q is not a sort field; use any of %s (prefix - for descending).", truncate(part, 40), strings.Join(names, ", "))
		}
		if slices.ContainsFunc(out, func(o index.SortField) bool { return o.Name == f.Name }) {
			return nil, badInput(param, pointer, "The sort field %s is given twice.", f.Name)
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

// assetSortNames lists the sort fields of assets, from the catalogue.
func assetSortNames() []string {
	var names []string
	for _, d := range index.NewCatalogue().Sorts() {
		names = append(names, d.Name)
	}
	return names
}

// metaCountModes are the values of meta_count, in documented order.
var metaCountModes = []struct {
	name string
	mode index.CountMode
}{{"with", index.CountWith}, {"only", index.CountOnly}}

// parseMetaCount reads a meta_count that was given: with or only (an empty
// one is refused like any other value, as the documented enum says).
func parseMetaCount(v, param, pointer string) (index.CountMode, error) {
	for _, m := range metaCountModes {
		if m.name == v {
			return m.mode, nil
		}
	}
	return 0, badInput(param, pointer, "meta_count must be with or only.")
}

func metaCountNames() []string {
	names := make([]string, len(metaCountModes))
	for i, m := range metaCountModes {
		names[i] = m.name
	}
	return names
}

// listItems splits the values of a comma-separated (and maybe repeated)
// parameter into their items, trimmed, leaving out empty ones.
func listItems(values ...string) []string {
	var out []string
	for _, v := range values {
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				out = append(out, item)
			}
		}
	}
	return out
}

// parseAssetTypes reads asset_types: a comma list of known asset types.
func parseAssetTypes(q url.Values) ([]string, error) {
	if !q.Has("asset_types") {
		return nil, nil
	}
	var out []string
	for _, t := range listItems(q.Get("asset_types")) {
		if t != store.AssetTypeContainerImage {
			return nil, badParameter("asset_types", "%q is not an asset type; the only one is %s.", truncate(t, 40), store.AssetTypeContainerImage)
		}
		out = append(out, t)
	}
	return out, nil
}

// parseBool reads a documented boolean: only its two spellings, where
// strconv.ParseBool would also take 1, t, F and the like.
func parseBool(q url.Values, param string) (bool, error) {
	switch q.Get(param) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badParameter(param, "%s must be true or false.", param)
}

// positiveOr is v, or def when v is zero or negative: how Config fields
// that bound work fall back to their documented defaults.
func positiveOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
