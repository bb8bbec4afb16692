package index

import (
	"testing"

	"github.com/openinventory/assets/rsql"
)

func TestUUID5(t *testing.T) {
	dns := [16]byte{0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}
	if got, want := uuid5(dns, "www.example.com"), "2ed6657d-e927-568b-95e1-2665a8aea6a2"; got != want {
		t.Errorf("uuid5 = %s, want %s", got, want)
	}
}

func TestCatalogue(t *testing.T) {
	c := NewCatalogue()
	seen := map[string]bool{}
	for _, f := range c.Filters() {
		if seen[f.ID] {
			t.Errorf("duplicate id %s", f.ID)
		}
		seen[f.ID] = true
		if g, ok := c.FilterByID(f.ID); !ok || g.Name != f.Name {
			t.Errorf("FilterByID(%s)", f.ID)
		}
		switch f.Type {
		case "string", "boolean", "datetime", "array", "object":
		default:
			t.Errorf("%s: type %q is not a contract word", f.Name, f.Type)
		}
	}
	for _, g := range c.Groups() {
		if h, ok := c.GroupByID(g.ID); !ok || h.Name != g.Name {
			t.Errorf("GroupByID(%s)", g.ID)
		}
	}
	// Ids are stable: clients keep them.
	if f, _ := c.FilterByName("registry"); f.ID != uuid5(catalogueNamespace, "filter/registry") {
		t.Error("registry id changed")
	}
	for sel, want := range map[string]rsql.FieldType{
		"q": rsql.TypeText, "class": rsql.TypeEnum, "tags.env": rsql.TypeString, "image_labels.a.b": rsql.TypeString,
		"risk_score": rsql.TypeNumber, "built_at": rsql.TypeTimestamp,
	} {
		if f, ok := c.Lookup(sel); !ok || f.Type != want {
			t.Errorf("Lookup(%s) = %+v, %v", sel, f, ok)
		}
	}
	for _, sel := range []string{"tags", "tags.", "image_labels", "nope", "url"} {
		if _, ok := c.Lookup(sel); ok {
			t.Errorf("Lookup(%s) found", sel)
		}
	}
	n, _ := rsql.Parse("class==E")
	if rsql.Validate(n, c) == nil {
		t.Error("class==E validated")
	}
	n, _ = rsql.Parse("q!=x")
	if rsql.Validate(n, c) == nil {
		t.Error("q!=x validated")
	}
}
