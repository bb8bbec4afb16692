// Package rsql parses RSQL filter expressions (the grammar of the reference Java
// rsql-parser 2.x plus the word operators "and"/"or") into an AST. It knows
// nothing of Elasticsearch or of the API's fields: field checks come from a
// Catalogue supplied by the caller.
package rsql

// Operator is a comparison operator in its canonical form ("==", "!=",
// "=lt=", "=le=", "=gt=", "=ge=", "=in=", "=out=", or a custom "=word=").
type Operator string

// The standard comparison operators. The aliases <, <=, >, >= parse to the
// canonical =lt=, =le=, =gt=, =ge=.
const (
	OpEqual        Operator = "=="
	OpNotEqual     Operator = "!="
	OpLess         Operator = "=lt="
	OpLessEqual    Operator = "=le="
	OpGreater      Operator = "=gt="
	OpGreaterEqual Operator = "=ge="
	OpIn           Operator = "=in="
	OpOut          Operator = "=out="
)

// MultiValue reports whether the operator takes a parenthesised list.
func (o Operator) MultiValue() bool { return o == OpIn || o == OpOut }

// LogicalOp joins the children of a Logical node.
type LogicalOp string

const (
	And LogicalOp = "and"
	Or  LogicalOp = "or"
)

// Node is a Comparison or a Logical.
type Node interface {
	// String prints the node as canonical RSQL that parses back to an equal AST.
	String() string
	isNode()
}

// Comparison is "selector op argument(s)". Pos is the byte offset of the
// selector in the input, for positioned validation errors.
type Comparison struct {
	Selector string   `json:"selector"`
	Op       Operator `json:"op"`
	Args     []string `json:"args"`
	Pos      int      `json:"-"`
}

// Logical is an and/or of two or more children (flattened: a;b;c is one node).
type Logical struct {
	Op       LogicalOp `json:"op"`
	Children []Node    `json:"children"`
}

func (*Comparison) isNode() {}
func (*Logical) isNode()    {}

// FieldType is the type of a filter field, which decides the operators and
// values Validate accepts.
type FieldType string

const (
	TypeString    FieldType = "string"    // keyword; any value
	TypeNumber    FieldType = "number"    // integer or decimal
	TypeTimestamp FieldType = "timestamp" // RFC 3339 date-time or ISO 8601 date
	TypeEnum      FieldType = "enum"      // one of Field.Enum
	TypeBoolean   FieldType = "boolean"   // true or false
	TypeText      FieldType = "text"      // free-text search (q): only ==
)

// Field describes one selector for Validate.
type Field struct {
	Type FieldType
	// Operators allowed on this field; empty means every standard operator
	// that makes sense for Type.
	Operators []Operator
	// Enum lists the allowed values of a TypeEnum field (case-sensitive).
	Enum []string
}

// Catalogue resolves selectors (including "prefix.key" forms such as
// tags.env) to fields, and names any custom =word= operators it allows.
type Catalogue interface {
	Lookup(selector string) (Field, bool)
	CustomOperators() []Operator
}
