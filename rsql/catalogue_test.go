package rsql

import "strings"

// testCatalogue is a small stand-in for the API's field catalogue: exact
// fields plus "prefix." families such as tags.env.
type testCatalogue struct {
	fields   map[string]Field
	prefixes map[string]Field
	custom   []Operator
}

func (c testCatalogue) Lookup(sel string) (Field, bool) {
	if f, ok := c.fields[sel]; ok {
		return f, true
	}
	if prefix, key, ok := strings.Cut(sel, "."); ok && key != "" {
		f, ok := c.prefixes[prefix]
		return f, ok
	}
	return Field{}, false
}

func (c testCatalogue) CustomOperators() []Operator { return c.custom }

func newTestCatalogue() testCatalogue {
	return testCatalogue{
		fields: map[string]Field{
			"name":         {Type: TypeString},
			"registry":     {Type: TypeString},
			"image_tag":    {Type: TypeString},
			"os":           {Type: TypeString},
			"architecture": {Type: TypeString},
			"labels":       {Type: TypeString},
			"digest":       {Type: TypeString, Operators: []Operator{OpEqual, OpNotEqual, OpIn}},
			"class":        {Type: TypeEnum, Enum: []string{"A", "B", "C"}},
			"risk_score":   {Type: TypeNumber},
			"created_at":   {Type: TypeTimestamp},
			"active":       {Type: TypeBoolean},
			"q":            {Type: TypeText},
			"geo":          {Type: TypeString, Operators: []Operator{OpEqual, "=near="}},
		},
		prefixes: map[string]Field{
			"tags":         {Type: TypeString},
			"image_labels": {Type: TypeString},
		},
		custom: []Operator{"=like=", "=near="},
	}
}
