package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// specOf builds the OpenAPI description (no services needed) and its JSON
// as served.
func specOf(t *testing.T) (*openapi3.T, map[string]any, string) {
	t.Helper()
	f, err := (&Server{}).routes()
	if err != nil {
		t.Fatal(err)
	}
	doc := f.OpenAPI.Description()
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return doc, m, string(raw)
}

// at walks decoded JSON by a JSON Pointer without the leading slash.
func at(v any, pointer string) any {
	for _, p := range strings.Split(pointer, "/") {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// specConstraints are the members the description must have: JSON
// Pointer (without the leading slash) -> the member's JSON.
var specConstraints = map[string]string{
	"openapi": `"3.1.0"`,

	"components/schemas/AssetBulkPatchRequest/additionalProperties":     `false`,
	"components/schemas/AssetBulkPatchRequest/required":                 `["data"]`,
	"components/schemas/AssetBulkPatchRequest/properties/data/minItems": `1`,
	"components/schemas/AssetBulkPatchRequest/properties/data/maxItems": `100`,
	"components/schemas/AssetBulkPatchRequest/properties/data/items":    `{"$ref":"#/components/schemas/AssetPatchData"}`,
	"components/schemas/AssetPatchRequest/additionalProperties":         `false`,
	"components/schemas/AssetPatchRequest/properties/data":              `{"$ref":"#/components/schemas/AssetPatchData"}`,
	"components/schemas/AssetPatchData/additionalProperties":            `false`,
	"components/schemas/AssetPatchData/required":                        `["type","id","attributes"]`,
	"components/schemas/AssetPatchData/properties/type/enum":            `["container_images"]`,
	"components/schemas/AssetPatchData/properties/id/format":            `"uuid"`,
	"components/schemas/AssetPatchAttributes/additionalProperties":      `false`,
	"components/schemas/AssetPatchAttributes/minProperties":             `1`,

	"components/schemas/AssetPatchAttributes/properties/class/additionalProperties":            `false`,
	"components/schemas/AssetPatchAttributes/properties/class/properties/display_name/enum":    `["A","B","C","D"]`,
	"components/schemas/AssetPatchAttributes/properties/class/properties/rank/enum":            `[1,2,3,4]`,
	"components/schemas/AssetPatchAttributes/properties/class/properties/locked/type":          `"boolean"`,
	"components/schemas/AssetPatchAttributes/properties/class/anyOf/0":                         `{"not":{"required":["rank"]},"required":["display_name"]}`,
	"components/schemas/AssetPatchAttributes/properties/class/anyOf/1":                         `{"not":{"required":["display_name"]},"required":["rank"]}`,
	"components/schemas/AssetPatchAttributes/properties/class/anyOf/3/properties/rank/enum":    `[2]`,
	"components/schemas/AssetPatchAttributes/properties/labels/oneOf":                          `[{"$ref":"#/components/schemas/LabelsUpdate"},{"$ref":"#/components/schemas/LabelsReplace"}]`,
	"components/schemas/AssetPatchAttributes/properties/tags/oneOf":                            `[{"$ref":"#/components/schemas/TagsUpdate"},{"$ref":"#/components/schemas/TagsReplace"}]`,
	"components/schemas/AssetPatchAttributes/properties/class/anyOf/2/properties/display_name": `{"enum":["A"]}`,

	"components/schemas/LabelsReplace/type":                              `"array"`,
	"components/schemas/LabelsReplace/maxItems":                          `50`,
	"components/schemas/LabelsReplace/items/pattern":                     `"^[a-zA-Z0-9_/:?#@\u0026=+%~-]+$"`,
	"components/schemas/LabelsReplace/items/minLength":                   `1`,
	"components/schemas/LabelsReplace/items/maxLength":                   `40`,
	"components/schemas/LabelsUpdate/additionalProperties":               `false`,
	"components/schemas/LabelsUpdate/minProperties":                      `1`,
	"components/schemas/LabelsUpdate/properties/add/maxItems":            `50`,
	"components/schemas/LabelsUpdate/properties/remove/maxItems":         `50`,
	"components/schemas/TagsReplace/type":                                `"object"`,
	"components/schemas/TagsReplace/maxProperties":                       `100`,
	"components/schemas/TagsReplace/propertyNames":                       `{"maxLength":30,"minLength":1,"pattern":"^[a-zA-Z0-9_-]+$","type":"string"}`,
	"components/schemas/TagsReplace/additionalProperties/pattern":        `"^[a-zA-Z0-9_/:?#@\u0026=+%~-]+$"`,
	"components/schemas/TagsReplace/additionalProperties/minLength":      `1`,
	"components/schemas/TagsReplace/additionalProperties/maxLength":      `40`,
	"components/schemas/TagsUpdate/additionalProperties":                 `false`,
	"components/schemas/TagsUpdate/minProperties":                        `1`,
	"components/schemas/TagsUpdate/properties/add/maxProperties":         `100`,
	"components/schemas/TagsUpdate/properties/add/propertyNames/pattern": `"^[a-zA-Z0-9_-]+$"`,
	"components/schemas/TagsUpdate/properties/remove/maxItems":           `100`,
	"components/schemas/TagsUpdate/properties/remove/items/maxLength":    `30`,

	"components/schemas/CreateSearchRequest/additionalProperties":                                             `false`,
	"components/schemas/CreateSearchRequest/properties/data/additionalProperties":                             `false`,
	"components/schemas/CreateSearchRequest/properties/data/properties/type/enum":                             `["searches"]`,
	"components/schemas/CreateSearchRequest/properties/data/properties/attributes/additionalProperties":       `false`,
	"components/schemas/CreateSearchRequest/properties/data/properties/attributes/properties/limit/minimum":   `10`,
	"components/schemas/CreateSearchRequest/properties/data/properties/attributes/properties/limit/maximum":   `100`,
	"components/schemas/CreateSearchRequest/properties/data/properties/attributes/properties/meta_count/enum": `["with","only"]`,
	"components/schemas/GroupValuesDocument/properties/data/items/properties/meta":                            `{"$ref":"#/components/schemas/GroupValueMeta"}`,
	"components/schemas/GroupValueMeta/properties/risk_score/anyOf/1":                                         `{"enum":[null]}`,
	"paths/~1rest~1orgs~1{org_id}~1inventory~1assets~1searches/post/requestBody/required":                     `null`,
	"paths/~1rest~1orgs~1{org_id}~1inventory~1assets/patch/requestBody/required":                              `true`,
	"paths/~1rest~1orgs~1{org_id}~1inventory~1assets~1{asset_id}/patch/requestBody/required":                  `true`,
}

func TestOpenAPIDescription(t *testing.T) {
	doc, m, raw := specOf(t)
	if err := validateSpec(doc); err != nil {
		t.Errorf("kin-openapi: %v", err)
	}
	for _, bad := range []string{`"nullable"`, `x-fuego-`, `unknown-interface`} {
		if strings.Contains(raw, bad) {
			t.Errorf("the description has %s", bad)
		}
	}
	for path, want := range specConstraints {
		if got, _ := json.Marshal(at(m, path)); string(got) != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}

	success := map[string]string{"updateAssetsBulk": "204", "createAssetSearch": "302"}
	ops := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops++
			name := path + " " + method
			kind := op.OperationID
			for _, scope := range []string{"Tenant", "Group", "Org"} {
				kind = strings.TrimSuffix(kind, scope)
			}
			params := map[string]*openapi3.Schema{}
			for _, p := range op.Parameters {
				if p.Value.In == openapi3.ParameterInHeader && p.Value.Extensions[extensionMark] != true {
					t.Errorf("%s declares the header %s", name, p.Value.Name)
				}
				params[p.Value.Name] = p.Value.Schema.Value
			}
			if s := params["version"]; s == nil || s.Pattern != versionDocPattern || s.Format != "date" {
				t.Errorf("%s: version = %+v", name, s)
			}
			if s := params["limit"]; s != nil && (*s.Min != 10 || *s.Max != 100) {
				t.Errorf("%s: limit bounds %v..%v", name, *s.Min, *s.Max)
			}
			if s := params["meta_count"]; s != nil && fmt.Sprint(s.Enum) != "[with only]" {
				t.Errorf("%s: meta_count enum %v", name, s.Enum)
			}
			if s := params["aggregate[risk_score]"]; s != nil && fmt.Sprint(s.Enum) != "[max min first last sum]" {
				t.Errorf("%s: aggregate[risk_score] enum %v", name, s.Enum)
			}
			if s := params["starting_after"]; s != nil && s.Pattern != cursorPattern {
				t.Errorf("%s: starting_after pattern %q", name, s.Pattern)
			}
			for pname, s := range params {
				if s.Type.Is(openapi3.TypeString) && s.Pattern == "" && s.Enum == nil && !slices.Contains([]string{"filter", "q", "key"}, pname) &&
					s.Format != "uuid" {
					t.Errorf("%s: the parameter %s admits any string", name, pname)
				}
			}
			var codes []string
			for code, r := range op.Responses.Map() {
				if c, _ := strconv.Atoi(code); c < 400 {
					codes = append(codes, code)
				}
				if h := r.Value.Headers["snyk-request-id"]; h == nil || !h.Value.Required {
					t.Errorf("%s %s: no snyk-request-id header", name, code)
				}
			}
			want := success[kind]
			if want == "" {
				want = "200"
			}
			if r := op.Responses.Value("202"); r != nil && r.Value.Description != nil && strings.HasPrefix(*r.Value.Description, "Extension:") {
				codes = slices.DeleteFunc(codes, func(c string) bool { return c == "202" })
			}
			if !slices.Equal(codes, []string{want}) {
				t.Errorf("%s: success responses %v, want %s", name, codes, want)
			}
		}
	}
	if ops != 39 {
		t.Errorf("%d operations, want 39 (the contract's 36 and the export at three scopes)", ops)
	}
}

// TestOpenAPIBodiesMatchParsers checks the body schemas against the
// parsers: a body the schema admits is accepted (or, naming another asset,
// a 400 on /data/id), one it refuses is a 400, but for the rules JSON Schema cannot
// state, listed as such. Most of its length is the table of bodies.
func TestOpenAPIBodiesMatchParsers(t *testing.T) {
	doc, _, _ := specOf(t)
	single := doc.Components.Schemas["AssetPatchRequest"].Value
	bulk := doc.Components.Schemas["AssetBulkPatchRequest"].Value
	id := testAssetID(1)
	one := func(attrs string) string {
		return `{"data":{"type":"container_images","id":"` + id + `","attributes":` + attrs + `}}`
	}
	many := func(n int, attrs string) string {
		items := make([]string, n)
		for i := range items {
			items[i] = `{"type":"container_images","id":"` + testAssetID(i) + `","attributes":` + attrs + `}`
		}
		return `{"data":[` + strings.Join(items, ",") + `]}`
	}
	list := func(n int, item string) string { return strings.TrimSuffix(strings.Repeat(item+",", n), ",") }
	tags := func(n int) string {
		var b []string
		for i := range n {
			b = append(b, fmt.Sprintf(`"k%d":"v"`, i))
		}
		return "{" + strings.Join(b, ",") + "}"
	}
	const (
		valid       = iota // both accept
		invalid            // both refuse
		unstateable        // the schema admits it, the handler refuses: a rule JSON Schema cannot state
		conflict           // valid, but names another asset than the path: a 400 on /data/id
	)
	for _, tc := range []struct {
		body string
		bulk bool
		want int
	}{
		{one(`{"labels":["a","b/c:d?e#f@g&h=i+j%k~l-m_n"]}`), false, valid},
		{one(`{"labels":[]}`), false, valid},
		{one(`{"labels":{"add":["a"],"remove":["b"]}}`), false, valid},
		{one(`{"labels":{"add":[]}}`), false, valid},
		{one(`{"labels":[` + list(50, `"a"`) + `]}`), false, valid},
		{one(`{"tags":{"env":"prod","team_1":"a/b"}}`), false, valid},
		{one(`{"tags":{}}`), false, valid},
		{one(`{"tags":{"add":{"env":"x"},"remove":["team"]}}`), false, valid},
		{one(`{"tags":{"add":{}}}`), false, valid},
		{one(`{"tags":{"add":"x"}}`), false, valid},    // a tag named add
		{one(`{"tags":{"remove":"k"}}`), false, valid}, // a tag named remove
		{one(`{"tags":` + tags(100) + `}`), false, valid},
		{one(`{"class":{"display_name":"A"}}`), false, valid},
		{one(`{"class":{"rank":2,"locked":false}}`), false, valid},
		{one(`{"class":{"display_name":"C","rank":3,"locked":true}}`), false, valid},
		{one(`{"class":{"rank":4},"labels":["x"],"tags":{"add":{"a":"b"}}}`), false, valid},
		{`{"data":{"type":"container_images","id":"` + testAssetID(2) + `","attributes":{"labels":["a"]}}}`, false, conflict},

		{`{}`, false, invalid},
		{`[]`, false, invalid},
		{`{"data":null}`, false, invalid},
		{`{"data":{"type":"container_images","id":"` + id + `","attributes":{"labels":["a"]}},"meta":{}}`, false, invalid},
		{`{"data":{"type":"widgets","id":"` + id + `","attributes":{"labels":["a"]}}}`, false, invalid},
		{`{"data":{"id":"` + id + `","attributes":{"labels":["a"]}}}`, false, invalid},
		{`{"data":{"type":"container_images","id":"` + id + `"}}`, false, invalid},
		{one(`{}`), false, invalid},
		{one(`null`), false, invalid},
		{one(`{"registry":"x"}`), false, invalid},
		{one(`{"labels":null}`), false, invalid},
		{one(`{"labels":{}}`), false, invalid},
		{one(`{"labels":{"put":["a"]}}`), false, invalid},
		{one(`{"labels":"a"}`), false, invalid},
		{one(`{"labels":["has space"]}`), false, invalid},
		{one(`{"labels":[""]}`), false, invalid},
		{one(`{"labels":[null]}`), false, invalid},
		{one(`{"labels":["` + strings.Repeat("a", 41) + `"]}`), false, invalid},
		{one(`{"labels":[` + list(51, `"a"`) + `]}`), false, invalid},
		{one(`{"labels":{"add":[` + list(51, `"a"`) + `]}}`), false, invalid},
		{one(`{"labels":{"add":null}}`), false, invalid},
		{one(`{"tags":null}`), false, invalid},
		{one(`{"tags":["a"]}`), false, invalid},
		{one(`{"tags":{"env":""}}`), false, invalid},
		{one(`{"tags":{"env":5}}`), false, invalid},
		{one(`{"tags":{"env":null}}`), false, invalid},
		{one(`{"tags":{"env":"` + strings.Repeat("v", 41) + `"}}`), false, invalid},
		{one(`{"tags":{"add":{"k":"v"},"env":"x"}}`), false, invalid},
		{one(`{"tags":{"add":5}}`), false, invalid},
		{one(`{"tags":{"add":{},"remove":"k"}}`), false, invalid},
		{one(`{"tags":{"remove":[` + list(101, `"k"`) + `]}}`), false, invalid},
		{one(`{"tags":` + tags(101) + `}`), false, invalid},
		{one(`{"class":{}}`), false, invalid},
		{one(`{"class":null}`), false, invalid},
		{one(`{"class":{"locked":true}}`), false, invalid},
		{one(`{"class":{"display_name":"E"}}`), false, invalid},
		{one(`{"class":{"display_name":null}}`), false, invalid},
		{one(`{"class":{"rank":5}}`), false, invalid},
		{one(`{"class":{"rank":"1"}}`), false, invalid},
		{one(`{"class":{"rank":1,"display_name":"B"}}`), false, invalid},
		{one(`{"class":{"rank":1,"locked":"yes"}}`), false, invalid},
		{one(`{"class":{"display_name":"A","locked":null}}`), false, invalid},
		{one(`{"class":{"rank":1,"colour":"red"}}`), false, invalid},

		{one(`{"labels":{"add":["a","b"],"remove":["b"]}}`), false, unstateable},
		{one(`{"tags":{"add":{"env":"x"},"remove":["env"]}}`), false, unstateable},

		{many(1, `{"labels":["a"]}`), true, valid},
		{many(100, `{"tags":{"add":{"a":"b"}}}`), true, valid},
		{`{"data":[]}`, true, invalid},
		{`{"data":{}}`, true, invalid},
		{`{"data":null}`, true, invalid},
		{many(101, `{"labels":["a"]}`), true, invalid},
		{strings.TrimSuffix(many(1, `{"labels":["a"]}`), "}") + `,"extra":1}`, true, invalid},
		{many(1, `{}`), true, invalid},
		{strings.Replace(many(2, `{"labels":["a"]}`), testAssetID(1), testAssetID(0), 1), true, unstateable}, // one asset twice
	} {
		var v any
		if err := json.Unmarshal([]byte(tc.body), &v); err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		schema, err := single, error(nil)
		if tc.bulk {
			schema = bulk
			_, err = parseBulkDocument([]byte(tc.body))
		} else {
			_, err = parsePatchDocument([]byte(tc.body), id)
		}
		var perr *Error
		if err != nil && !errors.As(err, &perr) {
			t.Fatalf("%.200s: not an API error: %v", tc.body, err)
		}
		serr := schema.VisitJSON(v, openapi3.MultiErrors())
		var got int
		switch {
		case perr != nil && perr.Pointer == "/data/id" && strings.Contains(perr.Detail, "does not match") && serr == nil:
			got = conflict
		case perr == nil && serr == nil:
			got = valid
		case perr != nil && perr.Status == http.StatusBadRequest && serr != nil:
			got = invalid
		case perr != nil && perr.Status == http.StatusBadRequest && serr == nil:
			got = unstateable
		default:
			got = -1
		}
		if got != tc.want {
			t.Errorf("%.200s: handler %v, schema %v", tc.body, perr, serr)
		}
	}
}

// TestOpenAPITagKeys checks the propertyNames of tag objects (which
// kin-openapi does not apply) against the handler's rule.
func TestOpenAPITagKeys(t *testing.T) {
	s := tagKeySchema()
	re := regexp.MustCompile(s.Pattern)
	for _, k := range []string{"env", "a-b_c", "K9", strings.Repeat("k", 30), strings.Repeat("k", 31), "", "a b", "a/b", "é", "a.b"} {
		doc := re.MatchString(k) && uint64(len([]rune(k))) >= s.MinLength && uint64(len([]rune(k))) <= *s.MaxLength
		if handler := store.TagKeyPattern.MatchString(k); doc != handler {
			t.Errorf("tag key %q: documented %v, handler %v", k, doc, handler)
		}
	}
}

// TestOpenAPIQueryMatchesParsers checks the parameter patterns against the
// parsers on sample values.
func TestOpenAPIQueryMatchesParsers(t *testing.T) {
	matches := func(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
	t.Run("version", func(t *testing.T) {
		var samples []string
		for d := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() < 2027; d = d.AddDate(0, 0, 1) {
			samples = append(samples, d.Format(time.DateOnly))
		}
		samples = append(samples, "0000-01-01", "1999-12-31", "9999-12-31", "2028-02-29", "2029-02-29", "2024-02-30", "2025-13-01",
			"2025-00-10", "2025-1-01", "2025-01-01T00:00:00Z", "", "latest", "٢٠٢٥-٠١-٠١")
		for _, s := range samples {
			_, dateErr := time.Parse(time.DateOnly, s) // format "date"
			doc := matches(versionDocPattern, s) && dateErr == nil
			r := httptest.NewRequest(http.MethodGet, "/?version="+url.QueryEscape(s), nil)
			if _, err := resolveVersion(r); doc != (err == nil) {
				t.Errorf("version %q: documented %v, handler %v", s, doc, err)
			}
		}
	})
	t.Run("sort", func(t *testing.T) {
		pattern := listPattern(assetSortNames(), true, false)
		for _, s := range []string{"", "created_at", "-risk_score,name", "class,-updated_at,registry", "nope", "-", "created_at,",
			",name", "--name", "name;class", "Name"} {
			_, err := parseSort(s, "sort", "", assetSortNames())
			if doc := matches(pattern, s); doc != (err == nil) {
				t.Errorf("sort %q: documented %v, handler %v", s, doc, err)
			}
		}
		// Each field at most once: the pattern cannot say so.
		if _, err := parseSort("name,-name", "sort", "", assetSortNames()); err == nil || !matches(pattern, "name,-name") {
			t.Error("a repeated sort field")
		}
	})
	t.Run("lists", func(t *testing.T) {
		for _, s := range []string{"", "name", "name,class", ",", "name,,class,", "nope", "name,nope", "NAME"} {
			r := httptest.NewRequest(http.MethodGet, "/?"+url.Values{"fields[container_images]": {s}}.Encode(), nil)
			_, err := parseFields(r, assetFields())
			if doc := matches(listPattern(assetFields(), false, true), s); doc != (err == nil) {
				t.Errorf("fields %q: documented %v, handler %v", s, doc, err)
			}
		}
		for _, s := range []string{"", "count", "count,all", "count,,tags", "counts", "count,x"} {
			_, err := parseMetaFields(url.Values{"meta_fields": {s}})
			if doc := matches(listPattern(index.MetaFields(), false, true), s); doc != (err == nil) {
				t.Errorf("meta_fields %q: documented %v, handler %v", s, doc, err)
			}
		}
		for _, s := range []string{"", "container_images", "container_images,", "containers", "container_images,x"} {
			_, err := parseAssetTypes(url.Values{"asset_types": {s}})
			if doc := matches(listPattern([]string{"container_images"}, false, true), s); doc != (err == nil) {
				t.Errorf("asset_types %q: documented %v, handler %v", s, doc, err)
			}
		}
	})
	t.Run("cursors", func(t *testing.T) {
		c := testCursorKey.encode(cursor{ID: "x", Query: "h"})
		if !matches(cursorPattern, c) || !matches(cursorPattern, "") {
			t.Errorf("%q does not match the cursor pattern", c)
		}
		for _, s := range []string{"abc", "v1.", "v1.a b", "v2.abc", "v1.abc!"} {
			_, err := parsePage(httptest.NewRequest(http.MethodGet, "/?"+url.Values{"starting_after": {s}}.Encode(), nil), "h")
			if matches(cursorPattern, s) || err == nil {
				t.Errorf("cursor %q: documented %v, handler %v", s, matches(cursorPattern, s), err)
			}
		}
		// Empty cursors are no cursors.
		if _, err := parsePage(httptest.NewRequest(http.MethodGet, "/?starting_after=&ending_before=", nil), "h"); err != nil {
			t.Errorf("empty cursors: %v", err)
		}
	})
}

// TestDocumentedBehaviour checks the answers the description promises where
// they used to differ from it.
func TestDocumentedBehaviour(t *testing.T) {
	t.Parallel()
	e := newEnv(t, fewAssets())
	base := tenantPath(tenantA)
	e.get("tenantA.read", base+v+"&starting_after=&ending_before=").must(t, http.StatusOK)
	e.get("tenantA.read", base+v+"&meta_count=").wantError(t, http.StatusBadRequest, "parameter", "meta_count")
	groupField := mustGroupID(t, "registry")
	e.get("tenantA.read", base+"/groups/"+groupField+"/values"+v+"&aggregate[risk_score]=").wantError(t, http.StatusBadRequest, "parameter", "aggregate[risk_score]")
	e.get("tenantA.read", base+"/groups/"+groupField+"/values"+v+"&aggregate[risk_score]=sum&meta_fields=risk_score,issues").must(t, http.StatusOK)

	tags, _ := index.NewCatalogue().FilterByName("tags")
	tagsFilter := tags.ID
	e.get("tenantA.read", base+"/filters/"+tagsFilter+"/values"+v+"&keys_only=1").wantError(t, http.StatusBadRequest, "parameter", "keys_only")
	e.get("tenantA.read", base+"/filters/"+tagsFilter+"/values"+v+"&keys_only=true").must(t, http.StatusOK)
	e.get("tenantA.read", base+"/filters/"+tagsFilter+"/values"+v+"&q="+url.QueryEscape(strings.Repeat("é", 100))).must(t, http.StatusOK)
	e.get("tenantA.read", base+"/filters/"+tagsFilter+"/values"+v+"&q="+strings.Repeat("e", 101)).wantError(t, http.StatusBadRequest, "parameter", "q")

	// The search body is optional; an empty meta_count is not.
	res := e.do(req{method: http.MethodPost, path: base + "/searches" + v, token: "tenantA.read"}).must(t, http.StatusFound)
	if res.header.Get("Location") == "" || res.header.Get("snyk-version-served") == "" {
		t.Errorf("302 headers: %v", res.header)
	}
	e.do(req{method: http.MethodPost, path: base + "/searches" + v, token: "tenantA.read",
		body: `{"data":{"attributes":{"meta_count":""}}}`}).wantError(t, http.StatusBadRequest, "pointer", "/data/attributes/meta_count")

	// The fixed paths beside {asset_id} answer 405 to the other methods.
	for path, allow := range map[string]string{"/groups": "GET", "/filters": "GET", "/searches": "POST"} {
		for _, m := range []string{http.MethodGet, http.MethodPatch, http.MethodPost, http.MethodOptions, http.MethodDelete} {
			if m == allow {
				continue
			}
			res := e.do(req{method: m, path: base + path + v, token: "tenantA.edit"})
			res.wantError(t, http.StatusMethodNotAllowed, "", "")
			if res.header.Get("Allow") != allow {
				t.Errorf("%s %s: Allow %q, want %s", m, path, res.header.Get("Allow"), allow)
			}
		}
	}
	res = e.do(req{method: http.MethodOptions, path: base + v, token: "tenantA.edit"})
	if res.status != http.StatusMethodNotAllowed || res.header.Get("Allow") != "GET, PATCH" {
		t.Errorf("OPTIONS on the list: %d, Allow %q", res.status, res.header.Get("Allow"))
	}
}

// TestOpenAPIOperationText checks what a reader of the document sees: no
// operation opens with the name of a Go handler, the 302 of a search says
// what it means, and the filter parameter documents the grammar and every
// selector of the catalogue with its type.
func TestOpenAPIOperationText(t *testing.T) {
	t.Parallel()
	doc, _, _ := specOf(t)
	filters := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := path + " " + method
			if strings.Contains(op.Description, "Controller:") || strings.Contains(op.Description, "github.com/") {
				t.Errorf("%s: description %q names the handler", name, op.Description)
			}
			if !strings.HasPrefix(op.Description, "Required permission: `") {
				t.Errorf("%s: description %q", name, op.Description)
			}
			if strings.HasPrefix(op.OperationID, "createAssetSearch") {
				if d := *op.Responses.Value("302").Value.Description; d != searchFoundDescription || !strings.HasPrefix(d, "Found: ") {
					t.Errorf("%s: 302 description %q", name, d)
				}
			}
			for _, p := range op.Parameters {
				if p.Value.Name != "filter" {
					continue
				}
				filters++
				checkFilterDescription(t, name, p.Value.Description)
			}
		}
	}
	if filters != 9 {
		t.Errorf("%d filter parameters, want 9 (list, group values and export at three scopes)", filters)
	}
}

func checkFilterDescription(t *testing.T, name, d string) {
	t.Helper()
	for _, want := range []string{
		"`==`", "`!=`", "`=lt=` or `<`", "`=le=` or `<=`", "`=gt=` or `>`", "`=ge=` or `>=`", "`=in=(a,b)`", "`=out=(a,b)`",
		"`;` or ` and `", "`,` or ` or `", "parentheses", "`''`", "`*`", "quote",
		fmt.Sprintf("a cost of %d", rsql.CostMaxDefault), fmt.Sprintf("%d comparisons", rsql.MaxComparisons),
		fmt.Sprintf("at most %d bytes", rsql.MaxInputLength), fmt.Sprintf("nested %d deep", rsql.MaxDepth),
		fmt.Sprintf("%d values in one", rsql.MaxValues),
	} {
		if !strings.Contains(d, want) {
			t.Errorf("%s: the filter description lacks %s", name, want)
		}
	}
	for _, f := range index.NewCatalogue().Filters() {
		sel := f.Name
		if f.Object() {
			sel += ".KEY"
		}
		if want := "`" + sel + "` (" + string(f.FieldType); !strings.Contains(d, want) {
			t.Errorf("%s: the filter description lacks the selector %s", name, want)
		}
	}
}
