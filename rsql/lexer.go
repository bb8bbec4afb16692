package rsql

import "strings"

type tokKind uint8

const (
	tEOF    tokKind = iota
	tWord           // unreserved run: a selector or an unquoted value
	tQuoted         // '...' or "..." value, val holds it unescaped
	tAnd            // ; or the word "and"
	tOr             // , or the word "or"
	tLParen         // (
	tRParen         // )
	tOp             // a comparison operator, op holds its canonical form
	tBadOp          // something operator-like that is not one (bare =, !x, ~, =a1=)
)

// token is one lexeme. pos and end delimit its source text, which is what
// error messages echo (the user's spelling, e.g. "<" rather than "=lt=").
type token struct {
	kind tokKind
	pos  int
	end  int
	val  string   // tWord, tQuoted: the value
	op   Operator // tOp: canonical operator
}

// lexer scans tokens on demand straight from the input string: values that
// need no unescaping are substrings of the input, so lexing does not allocate.
type lexer struct {
	s string
	p int
}

func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '\f', '\v':
		return true
	}
	return false
}

// isReserved reports the characters that end an unquoted value or selector
// (the reference grammar's reserved set; white space also ends one here).
func isReserved(c byte) bool {
	switch c {
	case '"', '\'', '(', ')', ';', ',', '=', '!', '~', '<', '>':
		return true
	}
	return isSpace(c)
}

func isAlpha(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func (l *lexer) next() (token, error) {
	s := l.s
	for l.p < len(s) && isSpace(s[l.p]) {
		l.p++
	}
	start := l.p
	if start == len(s) {
		return token{kind: tEOF, pos: start, end: start}, nil
	}
	switch c := s[start]; c {
	case ';':
		l.p++
		return token{kind: tAnd, pos: start, end: l.p}, nil
	case ',':
		l.p++
		return token{kind: tOr, pos: start, end: l.p}, nil
	case '(':
		l.p++
		return token{kind: tLParen, pos: start, end: l.p}, nil
	case ')':
		l.p++
		return token{kind: tRParen, pos: start, end: l.p}, nil
	case '"', '\'':
		return l.quoted(c)
	case '=', '!', '<', '>', '~':
		return l.operator(), nil
	}
	end := start
	for end < len(s) && !isReserved(s[end]) {
		end++
	}
	l.p = end
	// The words and/or are logical operators only with white space on both
	// sides, so "brand==x", "class==order" and "a==and" stay plain words.
	if n := end - start; (n == 2 || n == 3) && start > 0 && isSpace(s[start-1]) && end < len(s) && isSpace(s[end]) {
		switch w := s[start:end]; {
		case strings.EqualFold(w, "and"):
			return token{kind: tAnd, pos: start, end: end}, nil
		case strings.EqualFold(w, "or"):
			return token{kind: tOr, pos: start, end: end}, nil
		}
	}
	return token{kind: tWord, pos: start, end: end, val: s[start:end]}, nil
}

// quoted scans a value in q quotes where a backslash escapes any character.
func (l *lexer) quoted(q byte) (token, error) {
	s, start := l.s, l.p
	escaped := false
	i := start + 1
	for ; i < len(s); i++ {
		c := s[i]
		if c == q {
			break
		}
		if c == '\\' {
			escaped = true
			i++ // skip the escaped byte; a multi-byte rune's tail is never \ or a quote
		}
	}
	if i >= len(s) {
		return token{}, errorf(start, "unterminated quoted value: missing closing %c", q)
	}
	l.p = i + 1
	body := s[start+1 : i]
	if escaped {
		body = unescape(body)
	}
	return token{kind: tQuoted, pos: start, end: l.p, val: body}, nil
}

// unescape drops each backslash and keeps the character after it.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			c = s[i]
		}
		b.WriteByte(c)
	}
	return b.String()
}

// operator scans ==, !=, <, <=, >, >= or =word= (letters only, like the
// reference grammar). Anything else starting with an operator character
// becomes tBadOp so the parser can say what it expected in context.
func (l *lexer) operator() token {
	s, start := l.s, l.p
	switch s[start] {
	case '!':
		if start+1 < len(s) && s[start+1] == '=' {
			l.p = start + 2
			return token{kind: tOp, pos: start, end: l.p, op: OpNotEqual}
		}
	case '<', '>':
		orEqual := start+1 < len(s) && s[start+1] == '='
		var op Operator
		switch {
		case s[start] == '<' && orEqual:
			op = OpLessEqual
		case s[start] == '<':
			op = OpLess
		case orEqual:
			op = OpGreaterEqual
		default:
			op = OpGreater
		}
		end := start + 1
		if orEqual {
			end++
		}
		l.p = end
		return token{kind: tOp, pos: start, end: end, op: op}
	case '=':
		j := start + 1
		for j < len(s) && isAlpha(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '=' {
			l.p = j + 1
			return token{kind: tOp, pos: start, end: l.p, op: canonicalOp(s[start:l.p])}
		}
		if j > start+1 {
			// "=a1=" or "=ab": take the rest of the would-be operator so the
			// message shows what was written.
			for j < len(s) && !isReserved(s[j]) {
				j++
			}
			if j < len(s) && s[j] == '=' {
				j++
			}
			l.p = j
			return token{kind: tBadOp, pos: start, end: j}
		}
	}
	l.p = start + 1
	return token{kind: tBadOp, pos: start, end: l.p}
}

// canonicalOp maps =word= text to an Operator, reusing the constants for the
// standard ones so the common case allocates nothing.
func canonicalOp(text string) Operator {
	switch text {
	case "==":
		return OpEqual
	case "=lt=":
		return OpLess
	case "=le=":
		return OpLessEqual
	case "=gt=":
		return OpGreater
	case "=ge=":
		return OpGreaterEqual
	case "=in=":
		return OpIn
	case "=out=":
		return OpOut
	}
	return Operator(text)
}
