package index

import (
	"fmt"
	"slices"
	"time"

	json "github.com/goccy/go-json"

	"github.com/openinventory/assets/store"
)

// The list, search results and export answer an asset's attributes as the
// API encodes them. Project stores that JSON in the document (attrs, an
// object Elasticsearch keeps but does not index), so those reads ask for it
// alone and splice it into the answer without decoding it.

// attrsMarker is an attribute every stored attrs object has: a sparse read
// asks for it too, so a hit without attrs is a document indexed before
// attrs existed, never one lacking the asked attributes.
const attrsMarker = "issues"

// AttributesJSON is the asset's contract attributes (store.AttributesOf),
// encoded exactly as the API encodes a resource's attributes.
// Instants are written in UTC, as the document's own fields are, whatever
// location the asset's times were read in.
func AttributesJSON(a *store.Asset) (json.RawMessage, error) {
	u := *a
	u.BuiltAt, u.LastScan = utcPtr(a.BuiltAt), utcPtr(a.LastScan)
	u.LastSeenAt, u.CreatedAt, u.UpdatedAt = a.LastSeenAt.UTC(), a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	b, err := json.Marshal(store.AttributesOf(&u))
	if err != nil {
		return nil, fmt.Errorf("encoding the attributes of asset %s: %w", a.ID, err)
	}
	return b, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// AttributeSelection makes a search answer AttributesHits: the stored
// attributes of each asset, or the sparse fieldset Fields of them (nil:
// all; empty: none).
type AttributeSelection struct {
	Fields []string
}

// AttributesHit is one asset of a page read with an AttributeSelection.
// Attributes is a JSON object: every attribute in the API's order, or the
// selected ones in name order, as the API's sparse fieldsets answer them.
type AttributesHit struct {
	ID         string
	Type       string
	Attributes json.RawMessage
}

// source is the _source filter of the selection: the type and the stored
// attributes, or the selected ones and the marker.
func (s *AttributeSelection) source() Query {
	if s.Fields == nil {
		return Query{"includes": []string{"type", "attrs"}}
	}
	inc := make([]string, 0, len(s.Fields)+2)
	inc = append(inc, "type", "attrs."+attrsMarker)
	for _, f := range s.Fields {
		inc = append(inc, "attrs."+f)
	}
	return Query{"includes": inc}
}

// shape is the answer's attributes of a stored (or computed) attrs object:
// as it is without a sparse fieldset, else the selected members sorted by
// name (the marker dropped unless selected).
func (s *AttributeSelection) shape(attrs json.RawMessage) (json.RawMessage, error) {
	if s.Fields == nil {
		return attrs, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(attrs, &m); err != nil {
		return nil, fmt.Errorf("decoding stored attributes: %w", err)
	}
	names := slices.Clone(s.Fields)
	slices.Sort(names)
	names = slices.Compact(names)
	out := make([]byte, 0, len(attrs))
	out = append(out, '{')
	for _, n := range names {
		v, ok := m[n]
		if !ok {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = appendString(out, n)
		out = append(out, ':')
		out = append(out, v...)
	}
	return append(out, '}'), nil
}

// attributesHits are the hits of assets decoded from whole documents (the
// path of documents indexed before attrs existed), shaped as sel asks.
func attributesHits(assets []*store.Asset, sel *AttributeSelection) ([]AttributesHit, error) {
	out := make([]AttributesHit, len(assets))
	for i, a := range assets {
		raw, err := AttributesJSON(a)
		if err == nil {
			raw, err = sel.shape(raw)
		}
		if err != nil {
			return nil, err
		}
		out[i] = AttributesHit{ID: a.ID, Type: a.Type, Attributes: raw}
	}
	return out, nil
}
