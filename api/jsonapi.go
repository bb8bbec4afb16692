package api

import (
	"bytes"
	"fmt"
	json "github.com/goccy/go-json"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/openinventory/assets/store"
)

// The JSON:API documents of the contract. Field order and optional members
// follow its schemas.

// AssetResource is one asset: type, id, attributes and links.self.
type AssetResource struct {
	Type       string           `json:"type" example:"container_images"`
	ID         string           `json:"id" example:"9b3bcb4f-4b25-4f5e-a4c2-0e8c6b2b8f1d"`
	Attributes *AssetAttributes `json:"attributes,omitempty"`
	Links      *SelfLinks       `json:"links,omitempty"`
}

// AssetAttributes are the contract's container image attributes, or the
// sparse subset a fields[container_images] parameter asked for.
type AssetAttributes struct {
	store.Attributes
	fields []string // nil: all
}

// MarshalJSON drops the attributes not asked for.
func (a AssetAttributes) MarshalJSON() ([]byte, error) {
	full, err := json.Marshal(a.Attributes)
	if err != nil || a.fields == nil {
		return full, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(full, &m); err != nil {
		return nil, err
	}
	for k := range m {
		if !slices.Contains(a.fields, k) {
			delete(m, k)
		}
	}
	return json.Marshal(m)
}

// SelfLinks is a links object with only self.
type SelfLinks struct {
	Self string `json:"self"`
}

// PaginationLinks are the links of a paged list.
type PaginationLinks struct {
	Self  string `json:"self,omitempty"`
	First string `json:"first,omitempty"`
	Next  string `json:"next,omitempty"`
	Prev  string `json:"prev,omitempty"`
}

// AssetDocument is the answer of GET and PATCH one asset.
type AssetDocument struct {
	Data    AssetResource   `json:"data"`
	JSONAPI *JSONAPIVersion `json:"jsonapi,omitempty"`
	Links   *SelfLinks      `json:"links,omitempty"`
}

// AssetListDocument is a page of assets.
type AssetListDocument struct {
	Data  []AssetResource `json:"data"`
	Links PaginationLinks `json:"links"`
	Meta  *CountMeta      `json:"meta,omitempty"`
	// raw, when set, is the whole document already encoded
	// (appendListDocument): serialize sends it as it is.
	raw []byte
}

// CountMeta is the meta of a list when meta_count asked for it.
type CountMeta struct {
	Count int64 `json:"count"`
}

// SearchCreatedDocument is the body of the 302 that answers POST searches.
type SearchCreatedDocument struct {
	JSONAPI JSONAPIVersion `json:"jsonapi"`
}

// assetFields are the attribute names fields[container_images] may list:
// every member of store.Attributes' JSON.
func assetFields() []string {
	return []string{
		"architecture", "author", "built_at", "class", "config", "config_digest", "created_at",
		"distribution_digests", "history", "image_tags", "inferred_base_images", "issues", "labels",
		"last_scan", "last_seen_at", "name", "os", "os_features", "os_version", "registry", "repository",
		"risk_score", "root_fs", "scan_engines", "size_bytes", "tags", "teams", "test_surfaces",
		"total_image_tags", "updated_at", "variant",
	}
}

// parseFields reads fields[container_images]; nil means all attributes.
func parseFields(r *http.Request, known []string) ([]string, error) {
	q := r.URL.Query()
	for k := range q {
		if strings.HasPrefix(k, "fields[") && k != "fields[container_images]" {
			return nil, badParameter(k, "Sparse fieldsets are only available for the type container_images.")
		}
	}
	if !q.Has("fields[container_images]") {
		return nil, nil
	}
	fields := []string{}
	for _, f := range listItems(q["fields[container_images]"]...) {
		if !slices.Contains(known, f) {
			return nil, badParameter("fields[container_images]", "%q is not an attribute of container_images; use any of %s.", truncate(f, 40), strings.Join(known, ", "))
		}
		fields = append(fields, f)
	}
	return fields, nil
}

// assetResource renders an asset with its self link.
func assetResource(a *store.Asset, self string, fields []string) AssetResource {
	attrs := &AssetAttributes{Attributes: store.AttributesOf(a), fields: fields}
	if attrs.Tags == nil {
		attrs.Tags = map[string]string{} // documented as an object, never null
	}
	typ := a.Type
	if typ == "" {
		typ = store.AssetTypeContainerImage
	}
	return AssetResource{Type: typ, ID: a.ID, Attributes: attrs, Links: &SelfLinks{Self: self}}
}

// serialize is fuego's Sender: documents go out as JSON in the negotiated
// media type, the OpenAPI description as plain JSON.
func serialize(w http.ResponseWriter, r *http.Request, ans any) error {
	ct := responseMediaType(r)
	switch a := ans.(type) {
	case openapi3.T, *openapi3.T:
		ct = mediaTypeJSON
	case *AssetListDocument:
		if a.raw != nil {
			w.Header().Set("Content-Type", ct)
			_, err := w.Write(a.raw)
			return err
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ans); err != nil {
		return fmt.Errorf("encoding the response: %w", err)
	}
	w.Header().Set("Content-Type", ct)
	_, err := w.Write(buf.Bytes())
	return err
}
