package rsql

import "strings"

// String prints the comparison as canonical RSQL: canonical operator, values
// quoted only when they must be, and =in=/=out= always with a list.
func (c *Comparison) String() string {
	var b strings.Builder
	c.write(&b)
	return b.String()
}

// String prints the expression as canonical RSQL (";" and "," rather than the
// words) that parses back to an equal AST. Or inside And is parenthesised;
// And inside Or needs no parentheses because And binds tighter.
func (l *Logical) String() string {
	var b strings.Builder
	l.write(&b)
	return b.String()
}

func (c *Comparison) write(b *strings.Builder) {
	b.WriteString(c.Selector)
	b.WriteString(string(c.Op))
	if len(c.Args) == 1 && !c.Op.MultiValue() {
		writeValue(b, c.Args[0])
		return
	}
	b.WriteByte('(')
	for i, a := range c.Args {
		if i > 0 {
			b.WriteByte(',')
		}
		writeValue(b, a)
	}
	b.WriteByte(')')
}

func (l *Logical) write(b *strings.Builder) {
	sep := byte(';')
	if l.Op == Or {
		sep = ','
	}
	for i, child := range l.Children {
		if i > 0 {
			b.WriteByte(sep)
		}
		writeNode(b, child, l.Op)
	}
}

func writeNode(b *strings.Builder, n Node, parent LogicalOp) {
	switch n := n.(type) {
	case *Comparison:
		n.write(b)
	case *Logical:
		// Parenthesise unless the child binds tighter than its parent (And
		// under Or). A same-operator child only occurs in hand-built trees;
		// parentheses keep it readable and Parse flattens it anyway.
		if parent == Or && n.Op == And {
			n.write(b)
			return
		}
		b.WriteByte('(')
		n.write(b)
		b.WriteByte(')')
	}
}

// writeValue writes v bare when it lexes back as the same single word, and
// double-quoted with \ and " escaped otherwise.
func writeValue(b *strings.Builder, v string) {
	if !needsQuotes(v) {
		b.WriteString(v)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	b.WriteByte('"')
}

// needsQuotes reports whether v is empty or contains a character that would
// end an unquoted value. The words and/or need no quotes: the printer never
// puts white space around a value, and only white space makes them operators.
func needsQuotes(v string) bool {
	if v == "" {
		return true
	}
	for i := 0; i < len(v); i++ {
		if isReserved(v[i]) {
			return true
		}
	}
	return false
}
