package rsql

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Validate checks every comparison in n against the catalogue: the selector
// is known, the operator is allowed for the field, and every value has the
// field's type. It returns the first problem in input order as a *Error
// positioned at the comparison's selector.
//
// Operators allowed on a field are Field.Operators when non-empty. Otherwise
// they follow the type: string, enum, number and timestamp take all eight
// standard operators, boolean takes ==, !=, =in= and =out=, text takes only
// ==. A custom =word= operator must be listed by Catalogue.CustomOperators;
// then it is allowed on any non-text field that does not list its
// operators. Values of custom operators are not type-checked, since only the
// caller knows what the operator means.
func Validate(n Node, c Catalogue) error {
	v := validator{cat: c, custom: c.CustomOperators()}
	if err := v.node(n); err != nil {
		return err
	}
	return nil
}

type validator struct {
	cat    Catalogue
	custom []Operator
}

func (v *validator) node(n Node) *Error {
	switch n := n.(type) {
	case *Comparison:
		return v.comparison(n)
	case *Logical:
		for _, child := range n.Children {
			if err := v.node(child); err != nil {
				return err
			}
		}
		return nil
	}
	return errorf(0, "empty filter")
}

func (v *validator) comparison(c *Comparison) *Error {
	f, ok := v.cat.Lookup(c.Selector)
	if !ok {
		return errorf(c.Pos, "unknown selector %s", quoteText(c.Selector))
	}
	standard := isStandard(c.Op)
	if !standard && !slices.Contains(v.custom, c.Op) {
		return errorf(c.Pos, "unknown operator '%s'", c.Op)
	}
	if !v.allowed(f, c.Op, standard) {
		return errorf(c.Pos, "operator '%s' is not allowed for %s (%s): allowed are %s",
			c.Op, quoteText(c.Selector), f.Type, joinOps(v.allowedOps(f)))
	}
	if !standard {
		return nil
	}
	equality := c.Op == OpEqual || c.Op == OpNotEqual || c.Op.MultiValue()
	for _, a := range c.Args {
		// '' is "no value" for every typed field: risk_score=='' finds the
		// unscanned, built_at!='' the dated. Ranges need a real value.
		if a == "" && equality && f.Type != TypeText {
			continue
		}
		// In == and != a * makes a pattern, which an enumerated field
		// takes like any string field (type==*image*).
		if f.Type == TypeEnum && (c.Op == OpEqual || c.Op == OpNotEqual) && strings.Contains(a, "*") {
			continue
		}
		if msg := checkValue(f, a); msg != "" {
			return errorf(c.Pos, "%s for %s: %s", quoteText(a), quoteText(c.Selector), msg)
		}
	}
	return nil
}

func (v *validator) allowed(f Field, op Operator, standard bool) bool {
	if len(f.Operators) > 0 {
		return slices.Contains(f.Operators, op)
	}
	if !standard {
		return f.Type != TypeText
	}
	switch f.Type {
	case TypeText:
		return op == OpEqual
	case TypeBoolean:
		return op == OpEqual || op == OpNotEqual || op == OpIn || op == OpOut
	}
	return true
}

// allowedOps lists what allowed accepts, for the error message.
func (v *validator) allowedOps(f Field) []Operator {
	if len(f.Operators) > 0 {
		return f.Operators
	}
	ops := defaultOps(f.Type)
	if f.Type != TypeText {
		ops = append(slices.Clip(ops), v.custom...)
	}
	return ops
}

// defaultOps lists, for error messages, the standard operators that allowed
// accepts for a type when the field lists none; a test keeps the two in step.
// allowed uses a switch instead so the hot path does not build a slice.
func defaultOps(t FieldType) []Operator {
	switch t {
	case TypeText:
		return []Operator{OpEqual}
	case TypeBoolean:
		return []Operator{OpEqual, OpNotEqual, OpIn, OpOut}
	}
	return []Operator{OpEqual, OpNotEqual, OpLess, OpLessEqual, OpGreater, OpGreaterEqual, OpIn, OpOut}
}

func joinOps(ops []Operator) string {
	var b strings.Builder
	for i, op := range ops {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(op))
	}
	return b.String()
}

// checkValue returns why a is not a value of f's type, or "" if it is.
func checkValue(f Field, a string) string {
	switch f.Type {
	case TypeNumber:
		if !isNumber(a) {
			return "expected a number such as 42 or -1.5"
		}
	case TypeTimestamp:
		if _, err := ParseTimestamp(a); err != nil {
			return "expected an RFC 3339 date-time such as 2024-01-02T15:04:05Z or a date such as 2024-01-02"
		}
	case TypeEnum:
		if !slices.Contains(f.Enum, a) {
			return "expected one of " + strings.Join(f.Enum, ", ")
		}
	case TypeBoolean:
		if a != "true" && a != "false" {
			return "expected true or false"
		}
	}
	return ""
}

// isNumber accepts an optionally signed integer or decimal: 42, -7, 3.25.
// No exponents, NaN, hex or underscores, which strconv.ParseFloat would take.
func isNumber(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(s, ".")
	return allDigits(intPart) && (!hasDot || allDigits(frac))
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParseTimestamp parses an RFC 3339 date-time (2024-01-02T15:04:05Z,
// fractional seconds and offsets allowed) or an ISO 8601 date (2024-01-02),
// which means midnight UTC.
func ParseTimestamp(s string) (time.Time, error) {
	if len(s) == len(time.DateOnly) {
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return t, nil
		}
		return time.Time{}, timestampError(s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, timestampError(s)
	}
	return t, nil
}

func timestampError(s string) error {
	return fmt.Errorf("%s is not an RFC 3339 date-time or an ISO 8601 date (YYYY-MM-DD)", quoteText(s))
}
