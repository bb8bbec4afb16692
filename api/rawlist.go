package api

import (
	"fmt"

	json "github.com/goccy/go-json"

	"github.com/openinventory/assets/index"
	"github.com/openinventory/assets/store"
)

// The list, search results and export answer each asset's attributes as
// the bytes Elasticsearch returned (index.AttributesHit): the document
// around them is written here, member by member in the order the
// AssetListDocument and AssetResource types encode, instead of decoding
// the attributes and encoding them again.

// selfLink writes an asset's links.self (assetSelf) without building it.
type selfLink struct {
	prefix, suffix string
}

func newSelfLink(acc access) selfLink {
	return selfLink{prefix: scopeURL(acc) + "/inventory/assets/", suffix: "?version=" + acc.version.served}
}

// appendResource appends one resource of a list: type, id, attributes and
// links.self, as AssetResource encodes.
func appendResource(b []byte, h index.AttributesHit, self selfLink) []byte {
	typ := h.Type
	if typ == "" {
		typ = store.AssetTypeContainerImage
	}
	b = append(b, `{"type":"`...)
	b = appendJSONText(b, typ)
	b = append(b, `","id":"`...)
	b = appendJSONText(b, h.ID)
	b = append(b, `","attributes":`...)
	b = append(b, h.Attributes...)
	b = append(b, `,"links":{"self":"`...)
	b = appendJSONText(b, self.prefix)
	b = appendJSONText(b, h.ID)
	b = appendJSONText(b, self.suffix)
	return append(b, `"}}`...)
}

// appendListDocument is the JSON of an AssetListDocument whose data are
// hits, ended by a newline as serialize's encoder ends a document.
func appendListDocument(b []byte, hits []index.AttributesHit, self selfLink, links PaginationLinks, meta *CountMeta) ([]byte, error) {
	b = append(b, `{"data":[`...)
	for i, h := range hits {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendResource(b, h, self)
	}
	l, err := json.MarshalNoEscape(links)
	if err != nil {
		return nil, fmt.Errorf("encoding the links of a page: %w", err)
	}
	b = append(append(b, `],"links":`...), l...)
	if meta != nil {
		m, err := json.MarshalNoEscape(meta)
		if err != nil {
			return nil, fmt.Errorf("encoding the meta of a page: %w", err)
		}
		b = append(append(b, `,"meta":`...), m...)
	}
	return append(b, "}\n"...), nil
}

// appendJSONText appends s as the inside of a JSON string, escaped as
// serialize's encoder escapes it (HTML characters kept). ids, types and
// URLs are plain ASCII almost always: that case is copied as it is.
func appendJSONText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, err := json.MarshalNoEscape(s)
			if err != nil || len(q) < 2 {
				return append(b, s...) // a string always encodes
			}
			return append(b, q[1:len(q)-1]...)
		}
	}
	return append(b, s...)
}
