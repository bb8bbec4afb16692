package rsql

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits that keep a single filter cheap to parse, validate and translate.
// Each one is reported as a positioned *Error.
const (
	MaxInputLength = 4096 // bytes
	MaxDepth       = 32   // nested groups: "((a==1))" has depth 2
	MaxValues      = 100  // values in one =in= / =out= list
	MaxComparisons = 200  // comparisons in one expression
)

// Parse parses an RSQL expression into an AST.
//
// Grammar (the reference rsql-parser 2.x plus word operators):
//
//	or         = and { ( "," | " or " ) and }
//	and        = constraint { ( ";" | " and " ) constraint }
//	constraint = "(" or ")" | comparison
//	comparison = selector operator arguments
//	arguments  = "(" value { ( "," | " or " ) value } ")" | value
//
// Operators are stored in canonical form (< becomes =lt=). Custom =word=
// operators are accepted here and checked by Validate. A parenthesised list
// is allowed for =in=, =out= and custom operators; =in= and =out= also take a
// single bare value, as in the reference parser. Logical nodes are
// flattened: a;b;c and (a;b);c are both one And with three children.
func Parse(input string) (Node, error) {
	return parse(input, MaxInputLength)
}

// parse takes the length limit as a parameter so the fuzz test can re-parse
// printed output that grew past MaxInputLength (=lt= is longer than <).
func parse(input string, maxLen int) (Node, error) {
	if len(input) > maxLen {
		return nil, errorf(maxLen, "input is %d bytes, longer than the limit of %d", len(input), maxLen)
	}
	if !utf8.ValidString(input) {
		return nil, errorf(invalidUTF8At(input), "invalid UTF-8")
	}
	p := parser{lx: lexer{s: input}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, errorf(0, "empty input: expected a comparison such as name==value")
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	switch p.tok.kind {
	case tEOF:
		return n, nil
	case tRParen:
		return nil, errorf(p.tok.pos, "unexpected ')' with no matching '('")
	}
	return nil, p.unexpected("';', ',', 'and', 'or' or end of input")
}

func invalidUTF8At(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return len(s)
}

type parser struct {
	lx          lexer
	tok         token // the current, not yet consumed, token
	prev        token // the last consumed token, for hints in messages
	value       token // the last value consumed, to tell values from selectors
	depth       int
	comparisons int
}

func (p *parser) advance() error {
	p.prev = p.tok
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) or() (Node, error) {
	first, err := p.and()
	if err != nil || p.tok.kind != tOr {
		return first, err
	}
	children := appendFlat(make([]Node, 0, 4), Or, first)
	for p.tok.kind == tOr {
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.and()
		if err != nil {
			return nil, err
		}
		children = appendFlat(children, Or, n)
	}
	return &Logical{Op: Or, Children: children}, nil
}

func (p *parser) and() (Node, error) {
	first, err := p.constraint()
	if err != nil || p.tok.kind != tAnd {
		return first, err
	}
	children := appendFlat(make([]Node, 0, 4), And, first)
	for p.tok.kind == tAnd {
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.constraint()
		if err != nil {
			return nil, err
		}
		children = appendFlat(children, And, n)
	}
	return &Logical{Op: And, Children: children}, nil
}

// appendFlat splices a same-operator group into its parent, so (a;b);c is the
// same AST as a;b;c.
func appendFlat(children []Node, op LogicalOp, n Node) []Node {
	if l, ok := n.(*Logical); ok && l.Op == op {
		return append(children, l.Children...)
	}
	return append(children, n)
}

func (p *parser) constraint() (Node, error) {
	switch p.tok.kind {
	case tLParen:
		return p.group()
	case tWord:
		return p.comparison()
	case tQuoted:
		return nil, errorf(p.tok.pos, "expected a selector, found %s: selectors cannot be quoted", p.describe(p.tok))
	}
	return nil, p.unexpected("a selector or '('")
}

func (p *parser) group() (Node, error) {
	open := p.tok.pos
	if p.depth == MaxDepth {
		return nil, errorf(open, "parentheses nested deeper than the limit of %d", MaxDepth)
	}
	p.depth++
	if err := p.advance(); err != nil {
		return nil, err
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tRParen {
		if p.tok.kind == tEOF {
			return nil, errorf(p.tok.pos, "expected ')' to close '(' at %d, found end of input", open)
		}
		return nil, p.unexpected("';', ',', 'and', 'or' or ')' to close '(' at " + strconv.Itoa(open))
	}
	p.depth--
	return n, p.advance()
}

func (p *parser) comparison() (Node, error) {
	sel := p.tok
	p.comparisons++
	if p.comparisons > MaxComparisons {
		return nil, errorf(sel.pos, "more than %d comparisons in the expression", MaxComparisons)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	opTok := p.tok
	switch opTok.kind {
	case tOp:
	case tBadOp:
		return nil, p.badOperator(opTok)
	default:
		return nil, p.unexpected("an operator after selector " + quoteText(sel.val))
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	args, err := p.arguments(opTok)
	if err != nil {
		return nil, err
	}
	return &Comparison{Selector: sel.val, Op: opTok.op, Args: args, Pos: sel.pos}, nil
}

func (p *parser) badOperator(t token) error {
	text := p.lx.s[t.pos:t.end]
	switch {
	case text[0] == '=' && (len(text) == 1 || text[len(text)-1] != '='):
		// a=b, or =in without its closing =.
		return errorf(t.pos, "'=' is not an operator: use '==' for equality, or =name= for a named operator")
	case text == "!":
		return errorf(t.pos, "unknown operator '!': use '!=' for inequality")
	}
	return errorf(t.pos, "unknown operator %s: expected ==, !=, <, <=, >, >=, or =name= with letters only", quoteText(text))
}

func (p *parser) arguments(opTok token) ([]string, error) {
	opText := p.lx.s[opTok.pos:opTok.end]
	switch p.tok.kind {
	case tWord, tQuoted:
		p.value = p.tok
		args := []string{p.tok.val} // before advance replaces p.tok
		return args, p.advance()
	case tLParen:
	default:
		return nil, p.unexpected("a value after '" + opText + "'")
	}
	if isStandard(opTok.op) && !opTok.op.MultiValue() {
		return nil, errorf(p.tok.pos, "operator '%s' takes a single value, not a list: use =in= to match any of several values", opText)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	args := make([]string, 0, 4)
	for {
		if p.tok.kind != tWord && p.tok.kind != tQuoted {
			return nil, p.unexpected("a value in the list of '" + opText + "'")
		}
		if len(args) == MaxValues {
			return nil, errorf(p.tok.pos, "more than %d values in the list of '%s'", MaxValues, opText)
		}
		args = append(args, p.tok.val)
		p.value = p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		switch p.tok.kind {
		case tOr:
			if err := p.advance(); err != nil {
				return nil, err
			}
			continue
		case tRParen:
			return args, p.advance()
		}
		return nil, p.unexpected("',' or ')' in the list of '" + opText + "'")
	}
}

// unexpected builds "expected X, found Y" at the current token, with a hint
// for the usual cause: an unquoted value containing spaces or reserved
// characters.
func (p *parser) unexpected(expected string) error {
	t := p.tok
	msg := "expected " + expected + ", found " + p.describe(t)
	afterValue := p.prev.kind != tEOF && p.prev == p.value
	switch {
	case t.kind == tWord && (strings.EqualFold(t.val, "and") || strings.EqualFold(t.val, "or")):
		msg += " (the words and/or need white space on both sides)"
	case afterValue && (t.kind == tWord || t.kind == tQuoted):
		msg += " (quote values that contain spaces)"
	case afterValue && (t.kind == tOp || t.kind == tBadOp):
		msg += " (quote values that contain reserved characters)"
	case (t.kind == tAnd || t.kind == tOr) && t.end-t.pos > 1 && p.prev.kind == tOp:
		msg += " (quote the word if it is the value)"
	}
	return &Error{Pos: t.pos, Msg: msg}
}

func (p *parser) describe(t token) string {
	text := p.lx.s[t.pos:t.end]
	switch t.kind {
	case tEOF:
		return "end of input"
	case tWord:
		return quoteText(text)
	case tQuoted:
		return "quoted value " + quoteText(t.val)
	case tOp:
		return "operator '" + text + "'"
	}
	return "'" + text + "'"
}

func isStandard(op Operator) bool {
	switch op {
	case OpEqual, OpNotEqual, OpLess, OpLessEqual, OpGreater, OpGreaterEqual, OpIn, OpOut:
		return true
	}
	return false
}
