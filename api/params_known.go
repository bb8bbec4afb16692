package api

import (
	"net/http"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// knownParams are the query parameters each operation declares in the
// OpenAPI document, by mux pattern ("GET /rest/..."). The check reads the
// document the routes generate, so the two cannot drift.
type knownParams map[string]paramSet

// paramSet is one operation's parameters: exact names, and the bracketed
// families (such as "fields[") of which it declares a member. A family is
// left to its handler, whose error says which members exist.
type paramSet struct {
	names    map[string]bool
	families map[string]bool
}

// newKnownParams collects the query parameters of every operation of doc.
func newKnownParams(doc *openapi3.T) knownParams {
	known := knownParams{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			set := paramSet{names: map[string]bool{}, families: map[string]bool{}}
			for _, p := range op.Parameters {
				if p.Value == nil || p.Value.In != openapi3.ParameterInQuery {
					continue
				}
				set.names[p.Value.Name] = true
				if family, _, ok := strings.Cut(p.Value.Name, "["); ok {
					set.families[family+"["] = true
				}
			}
			known[strings.ToUpper(method)+" "+path] = set
		}
	}
	return known
}

// unknown returns the first (in sorted order, so the answer is stable)
// query parameter of r the set does not know, or "".
func (ps paramSet) unknown(r *http.Request) (string, bool) {
	var bad []string
	for name := range r.URL.Query() {
		if ps.names[name] {
			continue
		}
		if family, _, ok := strings.Cut(name, "["); ok && ps.families[family+"["] {
			continue
		}
		bad = append(bad, name)
	}
	if len(bad) == 0 {
		return "", false
	}
	sort.Strings(bad)
	return bad[0], true
}

// checkParams answers 400 to a request with a query parameter its
// operation does not declare: a typo such as fitler= would otherwise be
// ignored and return everything. It routes first (mux.Handler is a lookup
// only) to know the operation; paths that are no operation pass through.
func checkParams(known knownParams, mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.RawQuery != "" {
			_, pattern := mux.Handler(r)
			if set, ok := known[pattern]; ok {
				if name, bad := set.unknown(r); bad {
					writeError(w, r, badParameter(truncate(name, 64),
						"The query parameter %q is not one this operation knows; check its spelling.", truncate(name, 64)))
					return
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}
