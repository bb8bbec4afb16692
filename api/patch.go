package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/openinventory/assets/store"
)

// Limits of the update schemas of the contract.
const (
	maxBulk        = 100
	maxLabelsPatch = store.MaxLabels
	maxTagsPatch   = store.MaxTags
)

// Classes are store.ClassNames: display names A.. for ranks 1..maxClassRank.
const maxClassRank = len(store.ClassNames) - 1

func classNames() []string { return store.ClassNames[1:] }

// classRanks are the ranks as text, for messages.
func classRanks() []string {
	ranks := make([]string, maxClassRank)
	for i := range ranks {
		ranks[i] = strconv.Itoa(i + 1)
	}
	return ranks
}

// tagValuePattern is the contract's pattern for tag values in updates: unlike
// imports, an update cannot set an empty value.
var tagValuePattern = regexp.MustCompile(`^[a-zA-Z0-9_/:?#@&=+%~-]{1,40}$`)

// The request bodies are walked as generic JSON rather than decoded into
// structs, so that every problem is reported with the JSON Pointer of the
// member at fault (e.g. /data/attributes/labels/add/0).

// decodeJSON parses a request body into generic values (numbers kept as
// json.Number), refusing trailing data.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, malformed(err, dec.InputOffset())
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, badPointer("", "The request body has data after the JSON document (at byte %d).", dec.InputOffset())
	}
	return v, nil
}

func malformed(err error, offset int64) *Error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		offset = se.Offset
	}
	if errors.Is(err, io.EOF) {
		return &Error{Status: 400, Detail: "The request body is empty; it must be a JSON:API document.", Pointer: ""}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Status: 400, Detail: "The request body is not valid JSON: it ends unexpectedly.", Cause: err}
	}
	return &Error{Status: 400, Detail: fmt.Sprintf("The request body is not valid JSON (at byte %d).", offset), Cause: err}
}

// ptr appends a member name or index to a JSON Pointer (RFC 6901).
func ptr(base string, token any) string {
	var s string
	switch t := token.(type) {
	case int:
		s = strconv.Itoa(t)
	case string:
		s = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return base + "/" + s
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// object checks that v is a JSON object whose members are all allowed.
func object(v any, at, what string, allowed ...string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badPointer(at, "%s must be an object.", what)
	}
	for _, k := range sortedKeys(m) {
		if !slices.Contains(allowed, k) {
			return nil, badPointer(ptr(at, k), "%q is not a member of %s; allowed: %s.", truncate(k, 40), what, strings.Join(allowed, ", "))
		}
	}
	return m, nil
}

// documentData reads a request document, an object whose only member may
// be data, and returns data (ok false when it is missing).
func documentData(body []byte) (data any, ok bool, err error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, false, err
	}
	doc, err := object(v, "", "the document", "data")
	if err != nil {
		return nil, false, err
	}
	data, ok = doc["data"]
	return data, ok, nil
}

// parsePatchDocument reads the body of PATCH one asset; pathID is the
// asset_id of the path, which data.id must repeat. A document naming
// another asset is a 400: the contract lists no 409 for this operation.
func parsePatchDocument(body []byte, pathID string) (store.Patch, error) {
	data, ok, err := documentData(body)
	if err != nil {
		return store.Patch{}, err
	}
	if !ok {
		return store.Patch{}, badPointer("/data", "The document needs a data member with the asset to update.")
	}
	p, err := parseResource(data, "/data")
	if err == nil && p.ID != pathID {
		err = &Error{Status: http.StatusBadRequest, Pointer: "/data/id", Detail: fmt.Sprintf("id %s does not match the asset_id %s of the path.", p.ID, pathID)}
	}
	return p, err
}

// parseBulkDocument reads the body of the bulk PATCH: 1..100 assets, each
// named once.
func parseBulkDocument(body []byte) ([]store.Patch, error) {
	raw, ok, err := documentData(body)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, badPointer("/data", "The document needs a data member with the assets to update.")
	}
	items, ok := raw.([]any)
	if !ok {
		return nil, badPointer("/data", "data must be an array of assets to update.")
	}
	if len(items) == 0 || len(items) > maxBulk {
		return nil, badPointer("/data", "data must list between 1 and %d assets; it lists %d.", maxBulk, len(items))
	}
	patches := make([]store.Patch, len(items))
	seen := make(map[string]int, len(items))
	for i, item := range items {
		p, err := parseResource(item, ptr("/data", i))
		if err != nil {
			return nil, err
		}
		if j, dup := seen[p.ID]; dup {
			return nil, badPointer(ptr(ptr("/data", i), "id"), "The asset %s is already updated by /data/%d; name each asset once.", p.ID, j)
		}
		seen[p.ID] = i
		patches[i] = p
	}
	return patches, nil
}

// parseResource reads one resource update object at pointer at.
func parseResource(v any, at string) (store.Patch, error) {
	res, err := object(v, at, "an asset update", "type", "id", "attributes")
	if err != nil {
		return store.Patch{}, err
	}
	typ, ok := res["type"]
	if !ok {
		return store.Patch{}, badPointer(ptr(at, "type"), "type is required.")
	}
	if s, _ := typ.(string); s != store.AssetTypeContainerImage {
		return store.Patch{}, badPointer(ptr(at, "type"), "type must be %s.", store.AssetTypeContainerImage)
	}
	rawID, ok := res["id"]
	if !ok {
		return store.Patch{}, badPointer(ptr(at, "id"), "id is required.")
	}
	id, _ := rawID.(string)
	uid, ok := parseUUID(id)
	if !ok {
		return store.Patch{}, badPointer(ptr(at, "id"), "id must be a UUID.")
	}
	p := store.Patch{ID: uid}
	rawAttrs, ok := res["attributes"]
	if !ok {
		return store.Patch{}, badPointer(ptr(at, "attributes"), "attributes are required: give class, labels or tags.")
	}
	attrsAt := ptr(at, "attributes")
	attrs, err := object(rawAttrs, attrsAt, "the attributes of an update", "class", "labels", "tags")
	if err != nil {
		return store.Patch{}, err
	}
	if len(attrs) == 0 {
		return store.Patch{}, badPointer(attrsAt, "The update is empty: give at least one of class, labels or tags.")
	}
	if c, ok := attrs["class"]; ok {
		if p.ClassRank, p.ClassLocked, err = parseClass(c, ptr(attrsAt, "class")); err != nil {
			return store.Patch{}, err
		}
	}
	if l, ok := attrs["labels"]; ok {
		if p.Labels, err = parseLabels(l, ptr(attrsAt, "labels")); err != nil {
			return store.Patch{}, err
		}
	}
	if t, ok := attrs["tags"]; ok {
		if p.Tags, err = parseTags(t, ptr(attrsAt, "tags")); err != nil {
			return store.Patch{}, err
		}
	}
	return p, nil
}

func parseClass(v any, at string) (*int16, *bool, error) {
	m, err := object(v, at, "class", "display_name", "rank", "locked")
	if err != nil {
		return nil, nil, err
	}
	var name string
	var rank int16
	if dn, ok := m["display_name"]; ok {
		s, _ := dn.(string)
		if !slices.Contains(classNames(), s) {
			return nil, nil, badPointer(ptr(at, "display_name"), "display_name must be one of %s.", strings.Join(classNames(), ", "))
		}
		name = s
	}
	if rv, ok := m["rank"]; ok {
		n, _ := rv.(json.Number)
		r, err := strconv.ParseInt(string(n), 10, 16)
		if err != nil || r < 1 || r > int64(maxClassRank) {
			return nil, nil, badPointer(ptr(at, "rank"), "rank must be one of %s.", strings.Join(classRanks(), ", "))
		}
		rank = int16(r)
	}
	var locked *bool
	if lv, ok := m["locked"]; ok {
		b, isBool := lv.(bool)
		if !isBool {
			return nil, nil, badPointer(ptr(at, "locked"), "locked must be true or false.")
		}
		locked = &b
	}
	if name == "" && rank == 0 {
		return nil, nil, badPointer(at, "class needs display_name or rank.")
	}
	r, err := store.ClassRank(name, rank)
	if err != nil {
		return nil, nil, badPointer(at, "class: display_name %s and rank %d name different classes.", name, rank)
	}
	return &r, locked, nil
}

// labelList reads an array of labels at pointer at.
func labelList(v any, at, what string) ([]string, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, badPointer(at, "%s must be an array of labels.", what)
	}
	if len(items) > maxLabelsPatch {
		return nil, badPointer(at, "%s lists %d labels; at most %d are allowed.", what, len(items), maxLabelsPatch)
	}
	out := make([]string, len(items))
	for i, it := range items {
		s, _ := it.(string)
		if !store.LabelPattern.MatchString(s) {
			return nil, badPointer(ptr(at, i), "A label must be 1-40 characters of letters, digits and _/:?#@&=+%%~-.")
		}
		out[i] = s
	}
	return out, nil
}

func parseLabels(v any, at string) (*store.LabelsPatch, error) {
	switch v.(type) {
	case []any:
		l, err := labelList(v, at, "labels")
		if err != nil {
			return nil, err
		}
		return &store.LabelsPatch{Replace: l}, nil
	case map[string]any:
	default:
		return nil, badPointer(at, "labels must be an array (to replace them) or an object with add and/or remove.")
	}
	m, err := object(v, at, "labels", "add", "remove")
	if err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, badPointer(at, "labels needs add or remove (or an array to replace them).")
	}
	p := &store.LabelsPatch{}
	if a, ok := m["add"]; ok {
		if p.Add, err = labelList(a, ptr(at, "add"), "labels.add"); err != nil {
			return nil, err
		}
	}
	if r, ok := m["remove"]; ok {
		if p.Remove, err = labelList(r, ptr(at, "remove"), "labels.remove"); err != nil {
			return nil, err
		}
	}
	for i, l := range p.Remove {
		if slices.Contains(p.Add, l) {
			return nil, badPointer(ptr(ptr(at, "remove"), i), "The label %q is both added and removed.", l)
		}
	}
	return p, nil
}

// tagMap reads an object of tags at pointer at.
func tagMap(m map[string]any, at, what string) (map[string]string, error) {
	if len(m) > maxTagsPatch {
		return nil, badPointer(at, "%s has %d tags; at most %d are allowed.", what, len(m), maxTagsPatch)
	}
	out := make(map[string]string, len(m))
	for _, k := range sortedKeys(m) {
		if !store.TagKeyPattern.MatchString(k) {
			return nil, badPointer(ptr(at, k), "A tag key must be 1-30 characters of letters, digits, _ and -.")
		}
		s, ok := m[k].(string)
		if !ok || !tagValuePattern.MatchString(s) {
			return nil, badPointer(ptr(at, k), "A tag value must be a string of 1-40 characters of letters, digits and _/:?#@&=+%%~-.")
		}
		out[k] = s
	}
	return out, nil
}

// isTagsUpdate tells {add, remove} apart from a replacement that happens to
// use the keys "add" or "remove": an update has no other members and at
// least one non-string value.
func isTagsUpdate(m map[string]any) bool {
	nonString := false
	for k, v := range m {
		if k != "add" && k != "remove" {
			return false
		}
		if _, ok := v.(string); !ok {
			nonString = true
		}
	}
	return nonString
}

func parseTags(v any, at string) (*store.TagsPatch, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, badPointer(at, "tags must be an object: of tags (to replace them) or with add and/or remove.")
	}
	if !isTagsUpdate(m) {
		tags, err := tagMap(m, at, "tags")
		if err != nil {
			return nil, err
		}
		return &store.TagsPatch{Replace: tags}, nil
	}
	p := &store.TagsPatch{}
	if a, ok := m["add"]; ok {
		am, isObj := a.(map[string]any)
		if !isObj {
			return nil, badPointer(ptr(at, "add"), "tags.add must be an object of tags.")
		}
		var err error
		if p.Add, err = tagMap(am, ptr(at, "add"), "tags.add"); err != nil {
			return nil, err
		}
	}
	if r, ok := m["remove"]; ok {
		items, isArr := r.([]any)
		if !isArr {
			return nil, badPointer(ptr(at, "remove"), "tags.remove must be an array of tag keys.")
		}
		if len(items) > maxTagsPatch {
			return nil, badPointer(ptr(at, "remove"), "tags.remove lists %d keys; at most %d are allowed.", len(items), maxTagsPatch)
		}
		for i, it := range items {
			s, _ := it.(string)
			if !store.TagKeyPattern.MatchString(s) {
				return nil, badPointer(ptr(ptr(at, "remove"), i), "A tag key must be 1-30 characters of letters, digits, _ and -.")
			}
			if _, both := p.Add[s]; both {
				return nil, badPointer(ptr(ptr(at, "remove"), i), "The tag key %q is both added and removed.", s)
			}
			p.Remove = append(p.Remove, s)
		}
	}
	return p, nil
}
