package drills

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// departure is one point where the server follows the published
// contract's prose, or its own limits, rather than the letter of its
// OpenAPI document. The published-contract drill applies each to a copy of
// the document before fuzzing, so that what remains is a real finding.
type departure struct {
	what  string
	apply func(doc map[string]any) error
}

// departures are the points the README lists under "Where this server
// departs from the published document".
var departures = []departure{
	{"group values meta built_at, last_seen_at and risk_score are null when no asset has a value (the prose says \"Null if ...\"; the schema lacks nullable)",
		func(doc map[string]any) error {
			props, err := dig(doc, "components", "schemas", "GroupValueMeta", "properties")
			if err != nil {
				return err
			}
			for _, name := range []string{"built_at", "last_seen_at", "risk_score"} {
				p, ok := props[name].(map[string]any)
				if !ok {
					return fmt.Errorf("GroupValueMeta has no property %s", name)
				}
				p["nullable"] = true
			}
			return nil
		}},
	{"search results answer 400 for a malformed parameter (version, sort, limit, cursor), as every other operation documents",
		documentStatus("getAssetSearchResults", "400", "#/components/responses/400")},
	{"search results answer 401 without a valid token",
		documentStatus("getAssetSearchResults", "401", "#/components/responses/401")},
	{"creating a search answers 401 without a valid token, 403 for a scope the token cannot see",
		func(doc map[string]any) error {
			if err := documentStatus("createAssetSearch", "401", "#/components/responses/401")(doc); err != nil {
				return err
			}
			return documentStatus("createAssetSearch", "403", "#/components/responses/403")(doc)
		}},
	{"every operation answers 429 with Retry-After past the rate limit, and creating a search past the live-search caps",
		func(doc map[string]any) error {
			responses, err := dig(doc, "components", "responses")
			if err != nil {
				return err
			}
			responses["429"] = map[string]any{
				"description": "Too many requests: retry after the time Retry-After names.",
				"content": map[string]any{"application/vnd.api+json": map[string]any{
					"schema": map[string]any{"$ref": "#/components/schemas/ErrorDocument"}}},
			}
			return documentStatus("", "429", "#/components/responses/429")(doc)
		}},
}

// documentStatus adds a response reference to every operation whose id
// starts with prefix ("" for all).
func documentStatus(prefix, status, ref string) func(doc map[string]any) error {
	return func(doc map[string]any) error {
		paths, ok := doc["paths"].(map[string]any)
		if !ok {
			return fmt.Errorf("no paths")
		}
		n := 0
		for _, item := range paths {
			ops, _ := item.(map[string]any)
			for _, o := range ops {
				op, _ := o.(map[string]any)
				id, _ := op["operationId"].(string)
				responses, ok := op["responses"].(map[string]any)
				if !ok || id == "" || !strings.HasPrefix(id, prefix) {
					continue
				}
				responses[status] = map[string]any{"$ref": ref}
				n++
			}
		}
		if n == 0 {
			return fmt.Errorf("no operation %s*", prefix)
		}
		return nil
	}
}

// dig walks nested objects by key.
func dig(doc map[string]any, keys ...string) (map[string]any, error) {
	cur := doc
	for _, k := range keys {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("no %s in the document", strings.Join(keys, "/"))
		}
		cur = next
	}
	return cur, nil
}

// withDepartures writes the contract at src, with every departure
// applied, to dst.
func withDepartures(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("reading %s: %w", src, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("decoding %s: %w", src, err)
	}
	for _, d := range departures {
		if err := d.apply(doc); err != nil {
			return fmt.Errorf("applying %q: %w", d.what, err)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, out, 0o644)
}
