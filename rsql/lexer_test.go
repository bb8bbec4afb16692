package rsql

import (
	"fmt"
	"strings"
	"testing"
)

// lexAll renders the token stream as "kind@pos:text" for compact assertions.
func lexAll(t *testing.T, in string) string {
	t.Helper()
	names := map[tokKind]string{tWord: "word", tQuoted: "quoted", tAnd: "and", tOr: "or",
		tLParen: "(", tRParen: ")", tOp: "op", tBadOp: "bad"}
	l := lexer{s: in}
	var out []string
	for {
		tok, err := l.next()
		if err != nil {
			return strings.Join(out, " ") + " err:" + err.Error()
		}
		if tok.kind == tEOF {
			return strings.Join(out, " ")
		}
		s := fmt.Sprintf("%s@%d", names[tok.kind], tok.pos)
		switch tok.kind {
		case tWord, tQuoted:
			s += ":" + tok.val
		case tOp:
			s += ":" + string(tok.op)
		case tBadOp:
			s += ":" + in[tok.pos:tok.end]
		}
		out = append(out, s)
	}
}

func TestLexer(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a==b`, `word@0:a op@1:== word@3:b`},
		{`a!=b`, `word@0:a op@1:!= word@3:b`},
		{`a<b<=c>d>=e`, `word@0:a op@1:=lt= word@2:b op@3:=le= word@5:c op@6:=gt= word@7:d op@8:=ge= word@10:e`},
		{`=lt==le==gt==ge==in==out==x=`, `op@0:=lt= op@4:=le= op@8:=gt= op@12:=ge= op@16:=in= op@20:=out= op@25:=x=`},
		{`;,()`, `and@0 or@1 (@2 )@3`},
		{` and  OR `, `and@1 or@6`},
		{`and or`, `word@0:and word@4:or`},
		{`x and`, `word@0:x word@2:and`},
		{`x andy or`, `word@0:x word@2:andy word@7:or`},
		{"x\tand\ny", `word@0:x and@2 word@6:y`},
		{`'a b'"c\"d"`, `quoted@0:a b quoted@5:c"d`},
		{`'a\\b'`, `quoted@0:a\b`},
		{`a\b`, `word@0:a\b`},
		{`= ! ~ =a =a1= =a-b`, `bad@0:= bad@2:! bad@4:~ bad@6:=a bad@9:=a1= bad@14:=a-b`},
		{`é==ü`, `word@0:é op@2:== word@4:ü`},
		{`'unterminated`, ` err:at 0: unterminated quoted value: missing closing '`},
	}
	for _, tt := range tests {
		if got := lexAll(t, tt.in); got != tt.want {
			t.Errorf("lex %q\n got %s\nwant %s", tt.in, got, tt.want)
		}
	}
}

// Values that need no unescaping are substrings of the input, so lexing a
// filter does not allocate.
func TestLexerNoAllocs(t *testing.T) {
	in := `registry==docker.io;name=="*nginx*";class=in=(A,B) and risk_score=gt=500`
	allocs := testing.AllocsPerRun(100, func() {
		l := lexer{s: in}
		for {
			tok, err := l.next()
			if err != nil || tok.kind == tEOF {
				return
			}
		}
	})
	if allocs != 0 {
		t.Errorf("lexing allocates %v times, want 0", allocs)
	}
}
