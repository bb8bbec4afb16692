package drills

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// PublishedContractEnv names the published contract (the OpenAPI document
// the API is built against) for the published-contract drill. The file is
// not part of this repository, so there is no default: without it the
// drill is reported as not run, never as passed.
const PublishedContractEnv = "ASSETS_PUBLISHED_CONTRACT"

// publishedContractMissing says how to give the published contract when
// the configuration names none.
func publishedContractMissing(c Config) string {
	if c.PublishedContract != "" {
		return ""
	}
	return "give the published OpenAPI document with --published-contract FILE or " + PublishedContractEnv + "=FILE"
}

// publishedContract runs schemathesis driven by the published contract
// rather than the server's own document: against the served operations,
// with real ids, no answer may be a 5xx, carry a status the contract does
// not document for its operation, or break the contract's schemas.
func publishedContract(ctx context.Context, h *harness) Result {
	r := Result{}
	spec, err := filepath.Abs(h.cfg.PublishedContract)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	ops, err := publishedOperations(spec)
	if err != nil {
		return r.passIf(false, fmt.Sprintf("the published contract: %v (give its path with --published-contract)", err))
	}
	// The listed departures (departures.go) go into a copy; the rest of
	// the document is fuzzed as published.
	adjusted := filepath.Join(h.cfg.WorkDir, "published-contract.json")
	if err := withDepartures(spec, adjusted); err != nil {
		return r.passIf(false, err.Error())
	}
	res := fuzz(ctx, h, fuzzTarget{
		name: "published-contract", spec: adjusted,
		// The document's paths are relative to its server's /rest.
		url:    h.api + "/rest",
		checks: "not_a_server_error,status_code_conformance,response_schema_conformance",
	})
	res.Measured = fmt.Sprintf("all %d published operations, %d listed departures; %s", len(ops), len(departures), res.Measured)
	return res
}

// publishedOperations reads the contract at path and lists its operations
// as "METHOD /path", failing clearly when the file is missing or is no
// OpenAPI document.
func publishedOperations(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", path, err)
	}
	if doc.OpenAPI == "" || len(doc.Paths) == 0 {
		return nil, fmt.Errorf("%s is no OpenAPI document with paths", path)
	}
	var ops []string
	for p, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "patch", "delete", "head", "options", "trace":
				ops = append(ops, strings.ToUpper(method)+" "+p)
			}
		}
	}
	slices.Sort(ops)
	return ops, nil
}
