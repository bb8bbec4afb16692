package index

import (
	"crypto/sha1"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/openinventory/assets/rsql"
	"github.com/openinventory/assets/store"
)

// fieldKind says how a filter field is stored and so how it is queried.
type fieldKind uint8

const (
	kindKeyword fieldKind = iota // keyword, maybe multi-valued
	kindPair                     // object with arbitrary keys: "key\x1fvalue" keywords plus a keys array
	kindNumber                   // integer
	kindDate                     // date
	kindText                     // the q pseudo-field
)

// FilterField is one RSQL selector of the catalogue. Object fields (tags,
// image_labels) are used as name.<key>.
type FilterField struct {
	ID         string // stable UUID v5 of the name
	Name       string
	Type       string // the contract's word: string, boolean, datetime, array or object
	FieldType  rsql.FieldType
	AssetTypes []string
	Operators  []rsql.Operator // empty: every operator rsql allows for FieldType
	Enum       []string

	kind fieldKind
	// exact is matched by term/terms/range/exists; lc is the
	// lowercase-normalised field wildcards search (the same as exact when
	// exact is normalised); values is what FilterValues aggregates (original
	// case); keys is the keys array of an object field.
	exact, lc, values, keys string
}

// Object reports whether the field takes a key (tags.env).
func (f FilterField) Object() bool { return f.kind == kindPair }

// SortDef is one field the list endpoints sort by.
type SortDef struct {
	Name       string
	AssetTypes []string
	esFields   []string // several for issues (by severity)
}

// GroupField is one field the groups endpoints facet on.
type GroupField struct {
	ID         string
	Name       string
	AssetTypes []string
	esField    string // aggregated keyword field, original case
	pair       bool   // values are key\x1fvalue pairs shown as key:value
}

// Catalogue is the read-only table of filter, sort and group fields. It
// implements rsql.Catalogue.
type Catalogue struct {
	filters []FilterField
	sorts   []SortDef
	groups  []GroupField
}

var _ rsql.Catalogue = (*Catalogue)(nil)

// catalogueNamespace is the fixed UUID v5 namespace of field ids; changing
// it changes every id clients may have stored.
var catalogueNamespace = [16]byte{0x6f, 0x0c, 0x2e, 0x51, 0x8a, 0x3d, 0x4b, 0x7e, 0x9c, 0x15, 0x2b, 0x64, 0xd7, 0x41, 0x0a, 0x93}

// uuid5 is RFC 9562 UUID version 5 (SHA-1 of namespace and name).
func uuid5(ns [16]byte, name string) string {
	h := sha1.New()
	h.Write(ns[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

var containerImages = []string{store.AssetTypeContainerImage}

// defaultCatalogue is built once and never modified; accessors return copies.
var defaultCatalogue = newCatalogue()

// NewCatalogue returns the field catalogue.
func NewCatalogue() *Catalogue { return defaultCatalogue }

func newCatalogue() *Catalogue {
	str := func(name, exact, lc, values string) FilterField {
		return FilterField{Name: name, Type: "string", FieldType: rsql.TypeString, kind: kindKeyword, exact: exact, lc: lc, values: values}
	}
	date := func(name string) FilterField {
		return FilterField{Name: name, Type: "datetime", FieldType: rsql.TypeTimestamp, kind: kindDate, exact: name, values: name}
	}
	pair := func(name, keys string) FilterField {
		return FilterField{Name: name, Type: "object", FieldType: rsql.TypeString, kind: kindPair, exact: name, lc: name + ".lc", values: name, keys: keys}
	}
	// text is a textKeyword field: exact as stored, lc for patterns.
	text := func(name, field string) FilterField { return str(name, field, field+".lc", field) }
	labels := text("labels", "labels")
	labels.Type = "array"
	typ := str("type", "type", "type", "type")
	typ.FieldType, typ.Enum = rsql.TypeEnum, []string{store.AssetTypeContainerImage}
	class := str("class", "class", "class", "class")
	class.FieldType, class.Enum = rsql.TypeEnum, classNames()
	filters := []FilterField{
		{Name: "q", Type: "string", FieldType: rsql.TypeText, Operators: []rsql.Operator{rsql.OpEqual}, kind: kindText},
		str("id", "id", "id", "id"),
		typ,
		class,
		date("created_at"),
		date("updated_at"),
		labels,
		pair("tags", "tag_keys"),
		text("registry", "registry"),
		text("repository", "repository"),
		text("name", "name"),
		text("config_digest", "config_digest"),
		text("manifest_digest", "distribution_digests.manifest_digest"),
		text("index_digest", "distribution_digests.index_digest"),
		text("image_tag", "image_tags"),
		pair("image_labels", "image_label_keys"),
		// The contract's type words have no "number"; a number is shown as string.
		{Name: "risk_score", Type: "string", FieldType: rsql.TypeNumber, kind: kindNumber, exact: "risk_score", values: "risk_score"},
		date("built_at"),
		date("last_seen_at"),
	}
	for i := range filters {
		filters[i].ID = uuid5(catalogueNamespace, "filter/"+filters[i].Name)
		filters[i].AssetTypes = containerImages
	}

	sort := func(name string, fields ...string) SortDef {
		if len(fields) == 0 {
			fields = []string{name}
		}
		return SortDef{Name: name, AssetTypes: containerImages, esFields: fields}
	}
	sorts := []SortDef{
		sort("created_at"), sort("updated_at"), sort("type"), sort("class", "class_rank"),
		sort("registry"), sort("repository"), sort("name"), sort("url"), sort("scm"),
		sort("risk_score"),
		sort(MetaIssues, issueSortFields()...),
		sort("built_at"), sort("last_scan"), sort("last_seen_at"),
	}

	group := func(name, field string) GroupField {
		return GroupField{ID: uuid5(catalogueNamespace, "group/"+name), Name: name, AssetTypes: containerImages, esField: field}
	}
	tags := group("tags", "tags")
	tags.pair = true
	groups := []GroupField{
		group("class", "class"), group("type", "type"),
		group("registry", "registry"), group("repository", "repository"), group("name", "name"),
		group("labels", "labels"), tags, group("image_tag", "image_tags"),
		group("os", "os"), group("os_version", "os_version"), group("architecture", "architecture"),
	}
	return &Catalogue{filters: filters, sorts: sorts, groups: groups}
}

// Lookup resolves a selector for rsql.Validate; tags.<key> and
// image_labels.<key> resolve to string fields, a bare object name does not.
func (c *Catalogue) Lookup(selector string) (rsql.Field, bool) {
	f, _, ok := c.resolve(selector)
	if !ok {
		return rsql.Field{}, false
	}
	return rsql.Field{Type: f.FieldType, Operators: f.Operators, Enum: f.Enum}, true
}

// resolve finds the field of a selector and, for object fields, the key.
func (c *Catalogue) resolve(selector string) (*FilterField, string, bool) {
	for i := range c.filters {
		f := &c.filters[i]
		if f.kind == kindPair {
			if key, ok := strings.CutPrefix(selector, f.Name+"."); ok && key != "" {
				return f, key, true
			}
			continue
		}
		if f.Name == selector {
			return f, "", true
		}
	}
	return nil, "", false
}

// CustomOperators returns none: every filter is a standard operator.
func (c *Catalogue) CustomOperators() []rsql.Operator { return nil }

// Filters lists the filter fields in a stable order.
func (c *Catalogue) Filters() []FilterField { return append([]FilterField(nil), c.filters...) }

// FilterByID finds a filter field by its UUID.
func (c *Catalogue) FilterByID(id string) (FilterField, bool) {
	for _, f := range c.filters {
		if f.ID == strings.ToLower(id) {
			return f, true
		}
	}
	return FilterField{}, false
}

// FilterByName finds a filter field by its name (the bare object name for
// tags and image_labels).
func (c *Catalogue) FilterByName(name string) (FilterField, bool) {
	for _, f := range c.filters {
		if f.Name == name {
			return f, true
		}
	}
	return FilterField{}, false
}

// Sorts lists the sort fields.
func (c *Catalogue) Sorts() []SortDef { return append([]SortDef(nil), c.sorts...) }

// SortByName finds a sort field.
func (c *Catalogue) SortByName(name string) (SortDef, bool) {
	for _, s := range c.sorts {
		if s.Name == name {
			return s, true
		}
	}
	return SortDef{}, false
}

// Groups lists the group (facet) fields.
func (c *Catalogue) Groups() []GroupField { return append([]GroupField(nil), c.groups...) }

// GroupByID finds a group field by its UUID.
func (c *Catalogue) GroupByID(id string) (GroupField, bool) {
	for _, g := range c.groups {
		if g.ID == strings.ToLower(id) {
			return g, true
		}
	}
	return GroupField{}, false
}

// GroupByName finds a group field by name.
func (c *Catalogue) GroupByName(name string) (GroupField, bool) {
	for _, g := range c.groups {
		if g.Name == name {
			return g, true
		}
	}
	return GroupField{}, false
}

// The domain facts below have their one home here; the api package reads
// them rather than repeating them.

// Page sizes of the paged reads (the contract's limit parameter): the API
// accepts MinLimit to MaxLimit; a request without one gets DefaultLimit,
// and so does an index request with Limit zero.
const (
	DefaultLimit = 10
	MinLimit     = 10
	MaxLimit     = 100
)

// limitOr is the page size of a request's Limit.
func limitOr(limit int) int {
	if limit <= 0 {
		return DefaultLimit
	}
	return limit
}

// classNames are the class display names A..D in rank order (rank 1 is A);
// their home is store.ClassNames.
func classNames() []string { return slices.Clone(store.ClassNames[1:]) }

// Meta field names of group values (the contract's meta_fields).
const (
	MetaCount      = "count"
	MetaLastSeenAt = "last_seen_at"
	MetaUpdatedAt  = "updated_at"
	MetaRiskScore  = "risk_score"
	MetaIssues     = "issues"
	MetaLabels     = "labels"
	MetaTags       = "tags"
	MetaBuiltAt    = "built_at"
	MetaAll        = "all" // every meta field
)

// MaxMetaTerms caps labels and tags in one group value (the contract's
// 1000).
const MaxMetaTerms = 1000

// Aggregate modes of a meta field over the assets of a group value (the
// contract's aggregate[FIELD] values). first and last take the field from
// the one asset with the earliest / latest updated_at (ties by id).
const (
	ModeMax     = "max"
	ModeMin     = "min"
	ModeFirst   = "first"
	ModeLast    = "last"
	ModeSum     = "sum"
	DefaultMode = ModeLast // when a request names no mode
)

// metaModes lists, per meta field, the aggregate modes it accepts.
var metaModes = map[string][]string{
	MetaLastSeenAt: {ModeMax, ModeMin, ModeFirst, ModeLast},
	MetaUpdatedAt:  {ModeMax, ModeMin, ModeFirst, ModeLast},
	MetaBuiltAt:    {ModeMax, ModeMin, ModeFirst, ModeLast},
	MetaRiskScore:  {ModeMax, ModeMin, ModeFirst, ModeLast, ModeSum},
	MetaIssues:     {ModeFirst, ModeLast, ModeSum},
	MetaLabels:     {ModeFirst, ModeLast, ModeSum},
	MetaTags:       {ModeFirst, ModeLast, ModeSum},
}

// metaOrder is the order of meta fields for "all" and for output.
var metaOrder = []string{MetaCount, MetaLastSeenAt, MetaUpdatedAt, MetaRiskScore, MetaIssues, MetaLabels, MetaTags, MetaBuiltAt}

// MetaModes returns the aggregate modes a meta field accepts; none for
// count and unknown fields.
func MetaModes(field string) []string { return slices.Clone(metaModes[field]) }

// MetaFields returns the contract's meta_fields values: every meta field
// in output order, then MetaAll.
func MetaFields() []string { return append(slices.Clone(metaOrder), MetaAll) }

// AggregatedMetaFields returns the meta fields that take an aggregate
// mode, sorted by name.
func AggregatedMetaFields() []string { return slices.Sorted(maps.Keys(metaModes)) }

// GroupSortValue sorts group values by the value itself.
const GroupSortValue = "value"

// GroupSortFields are the sort keys of group values.
var GroupSortFields = []string{GroupSortValue, MetaCount, MetaLastSeenAt, MetaUpdatedAt, MetaRiskScore, MetaBuiltAt, MetaIssues}

// severities are the issue severities, most severe first. This is the one
// statement of the rule "issues sorts by four keys": the counts by
// severity in this order, both for lists (issueSortFields) and for group
// values (groupSortWidth, IssueTotals.bySeverity).
var severities = []string{"critical", "high", "medium", "low"}

// Severities returns the issue severities, most severe first.
func Severities() []string { return slices.Clone(severities) }

// issueSortFields are the document fields the issues sort reads.
func issueSortFields() []string {
	out := make([]string, len(severities))
	for i, s := range severities {
		out[i] = "issues." + s
	}
	return out
}

// groupSortWidth is how many numbers a group sort key puts in a value's
// sort tuple: none for the value itself (compared as text), one per
// severity for issues, one otherwise.
func groupSortWidth(name string) int {
	switch name {
	case GroupSortValue:
		return 0
	case MetaIssues:
		return len(severities)
	}
	return 1
}
