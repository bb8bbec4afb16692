package rsql

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func toJSON(t testing.TB, n Node) string {
	t.Helper()
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// Operators and aliases: aliases are stored canonically.
		{"equal", `name==nginx`, `{"selector":"name","op":"==","args":["nginx"]}`},
		{"not equal", `name!=nginx`, `{"selector":"name","op":"!=","args":["nginx"]}`},
		{"lt", `n=lt=5`, `{"selector":"n","op":"=lt=","args":["5"]}`},
		{"lt alias", `n<5`, `{"selector":"n","op":"=lt=","args":["5"]}`},
		{"le", `n=le=5`, `{"selector":"n","op":"=le=","args":["5"]}`},
		{"le alias", `n<=5`, `{"selector":"n","op":"=le=","args":["5"]}`},
		{"gt", `n=gt=5`, `{"selector":"n","op":"=gt=","args":["5"]}`},
		{"gt alias", `n>5`, `{"selector":"n","op":"=gt=","args":["5"]}`},
		{"ge", `n=ge=5`, `{"selector":"n","op":"=ge=","args":["5"]}`},
		{"ge alias", `n>=5`, `{"selector":"n","op":"=ge=","args":["5"]}`},
		{"in", `c=in=(A,B)`, `{"selector":"c","op":"=in=","args":["A","B"]}`},
		{"out", `c=out=(A,B,C)`, `{"selector":"c","op":"=out=","args":["A","B","C"]}`},
		{"in one value", `c=in=(A)`, `{"selector":"c","op":"=in=","args":["A"]}`},
		{"in bare value like the reference", `c=in=A`, `{"selector":"c","op":"=in=","args":["A"]}`},
		{"out bare value", `c=out="x y"`, `{"selector":"c","op":"=out=","args":["x y"]}`},
		{"in with word or as separator", `c=in=(A or B OR 'C')`, `{"selector":"c","op":"=in=","args":["A","B","C"]}`},
		{"in list spaces", `c =in= ( A , "B" , C )`, `{"selector":"c","op":"=in=","args":["A","B","C"]}`},
		{"custom operator", `name=like=ngi*`, `{"selector":"name","op":"=like=","args":["ngi*"]}`},
		{"custom operator upper case", `name=Near=x`, `{"selector":"name","op":"=Near=","args":["x"]}`},
		{"custom operator list", `geo=within=(1,2,3)`, `{"selector":"geo","op":"=within=","args":["1","2","3"]}`},
		{"IN is custom, not in", `c=IN=(A)`, `{"selector":"c","op":"=IN=","args":["A"]}`},

		// Selectors and unquoted values.
		{"dotted selector", `tags.env==prod`, `{"selector":"tags.env","op":"==","args":["prod"]}`},
		{"underscore selector", `image_labels.maintainer==me`, `{"selector":"image_labels.maintainer","op":"==","args":["me"]}`},
		{"free text", `q==nginx`, `{"selector":"q","op":"==","args":["nginx"]}`},
		{"wildcards are ordinary", `name==*ng*x*`, `{"selector":"name","op":"==","args":["*ng*x*"]}`},
		{"unreserved punctuation", `a==docker.io/library/nginx:1.25-alpine@sha256+x&y?z%20`, `{"selector":"a","op":"==","args":["docker.io/library/nginx:1.25-alpine@sha256+x\u0026y?z%20"]}`},
		{"unquoted backslash is literal", `a==b\c`, `{"selector":"a","op":"==","args":["b\\c"]}`},
		{"negative and decimal", `a=gt=-1.5`, `{"selector":"a","op":"=gt=","args":["-1.5"]}`},
		{"timestamp value", `t=ge=2024-01-02T03:04:05Z`, `{"selector":"t","op":"=ge=","args":["2024-01-02T03:04:05Z"]}`},

		// Quoting and escaping.
		{"single quoted", `a=='x y'`, `{"selector":"a","op":"==","args":["x y"]}`},
		{"double quoted", `a=="x y"`, `{"selector":"a","op":"==","args":["x y"]}`},
		{"quoted reserved chars", `a=="();,=!~<>'"`, `{"selector":"a","op":"==","args":["();,=!~\u003c\u003e'"]}`},
		{"escaped double quote", `a=="x\"y"`, `{"selector":"a","op":"==","args":["x\"y"]}`},
		{"escaped single quote", `a=='it\'s'`, `{"selector":"a","op":"==","args":["it's"]}`},
		{"escaped backslash", `a=="x\\y"`, `{"selector":"a","op":"==","args":["x\\y"]}`},
		{"escape any char", `a=="\a\b"`, `{"selector":"a","op":"==","args":["ab"]}`},
		{"escaped unicode", `a=="\é"`, `{"selector":"a","op":"==","args":["é"]}`},
		{"empty double", `a==""`, `{"selector":"a","op":"==","args":[""]}`},
		{"empty single", `a==''`, `{"selector":"a","op":"==","args":[""]}`},
		{"empty in list", `a=in=('',"")`, `{"selector":"a","op":"=in=","args":["",""]}`},
		{"quoted word and", `a=="and" and b==1`, `{"op":"and","children":[{"selector":"a","op":"==","args":["and"]},{"selector":"b","op":"==","args":["1"]}]}`},
		{"quoted newline", "a==\"x\ny\"", `{"selector":"a","op":"==","args":["x\ny"]}`},

		// Unicode.
		{"unicode value", `name==café`, `{"selector":"name","op":"==","args":["café"]}`},
		{"unicode selector", `名前==値`, `{"selector":"名前","op":"==","args":["値"]}`},
		{"emoji quoted", `a=='🐳 whale'`, `{"selector":"a","op":"==","args":["🐳 whale"]}`},
		{"non-breaking space is not white space", "a==x\u00a0y", "{\"selector\":\"a\",\"op\":\"==\",\"args\":[\"x\u00a0y\"]}"},

		// White space.
		{"spaces around tokens", ` a == b ; c != d `, `{"op":"and","children":[{"selector":"a","op":"==","args":["b"]},{"selector":"c","op":"!=","args":["d"]}]}`},
		{"tabs and newlines", "a==b\n;\tc==d\r\n", `{"op":"and","children":[{"selector":"a","op":"==","args":["b"]},{"selector":"c","op":"==","args":["d"]}]}`},

		// Logical operators, precedence, flattening.
		{"and", `a==1;b==2`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]}]}`},
		{"or", `a==1,b==2`, `{"op":"or","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]}]}`},
		{"flat and", `a==1;b==2;c==3`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}`},
		{"flat or", `a==1,b==2,c==3`, `{"op":"or","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}`},
		{"group flattens into and", `(a==1;b==2);c==3`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}`},
		{"trailing group flattens", `a==1;(b==2;c==3)`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}`},
		{"group flattens into or", `a==1,(b==2,c==3)`, `{"op":"or","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}`},
		{"and binds tighter", `a==1;b==2,c==3`, `{"op":"or","children":[{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]}]},{"selector":"c","op":"==","args":["3"]}]}`},
		{"and binds tighter right", `a==1,b==2;c==3`, `{"op":"or","children":[{"selector":"a","op":"==","args":["1"]},{"op":"and","children":[{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}]}`},
		{"parens override precedence", `a==1;(b==2,c==3)`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"op":"or","children":[{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}]}`},
		{"group of one collapses", `(a==1)`, `{"selector":"a","op":"==","args":["1"]}`},
		{"redundant parens", `((a==1))`, `{"selector":"a","op":"==","args":["1"]}`},
		{"redundant parens around groups", `((a==1;b==2));((c==3))`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}`},
		{"or group inside and inside or", `x==0,(a==1;(b==2,c==3))`, `{"op":"or","children":[{"selector":"x","op":"==","args":["0"]},{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"op":"or","children":[{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}]}]}`},

		// Word operators: case-insensitive, only with white space on both sides.
		{"word and", `a==1 and b==2`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]}]}`},
		{"word AND", `a==1 AND b==2`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]}]}`},
		{"word aNd", `a==1 aNd b==2`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]}]}`},
		{"word or", `a==1 or b==2`, `{"op":"or","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]}]}`},
		{"word Or", `a==1 Or b==2`, `{"op":"or","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]}]}`},
		{"word precedence", `a==1 or b==2 and c==3`, `{"op":"or","children":[{"selector":"a","op":"==","args":["1"]},{"op":"and","children":[{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}]}`},
		{"words with tabs", "a==1\tand\nb==2", `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]}]}`},
		{"words around groups", `(a==1) and (b==2 or c==3)`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"op":"or","children":[{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]}]}`},
		{"words mixed with symbols", `a==1 and b==2;c==3 or d==4,e==5`, `{"op":"or","children":[{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"b","op":"==","args":["2"]},{"selector":"c","op":"==","args":["3"]}]},{"selector":"d","op":"==","args":["4"]},{"selector":"e","op":"==","args":["5"]}]}`},
		{"brand is a selector", `brand==x`, `{"selector":"brand","op":"==","args":["x"]}`},
		{"order is a value", `class==order`, `{"selector":"class","op":"==","args":["order"]}`},
		{"and is a value", `a==and`, `{"selector":"a","op":"==","args":["and"]}`},
		{"or is a value", `a==or`, `{"selector":"a","op":"==","args":["or"]}`},
		{"and is a selector", `and==x`, `{"selector":"and","op":"==","args":["x"]}`},
		{"or selector after separator", `a==1;or==x`, `{"op":"and","children":[{"selector":"a","op":"==","args":["1"]},{"selector":"or","op":"==","args":["x"]}]}`},
		{"and value after spaced operator", `a== and`, `{"selector":"a","op":"==","args":["and"]}`},
		{"and inside word", `a==sand and b==android`, `{"op":"and","children":[{"selector":"a","op":"==","args":["sand"]},{"selector":"b","op":"==","args":["android"]}]}`},
		{"or in list without spaces is a value", `a=in=(or,and)`, `{"selector":"a","op":"=in=","args":["or","and"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got := toJSON(t, n); got != tt.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		pos      int
		want     string
	}{
		{"empty", ``, 0, `at 0: empty input: expected a comparison such as name==value`},
		{"blank", "  \t", 0, `at 0: empty input: expected a comparison such as name==value`},
		{"invalid utf-8", "a==x\xffy", 4, `at 4: invalid UTF-8`},

		// Selector.
		{"starts with operator", `==x`, 0, `at 0: expected a selector or '(', found operator '=='`},
		{"quoted selector", `"a"==x`, 0, `at 0: expected a selector, found quoted value "a": selectors cannot be quoted`},
		{"missing selector after and", `a==1;`, 5, `at 5: expected a selector or '(', found end of input`},
		{"double separator", `a==1;;b==2`, 5, `at 5: expected a selector or '(', found ';'`},
		{"leading separator", `,a==1`, 0, `at 0: expected a selector or '(', found ','`},
		{"word and with nothing after", `a==1 and `, 9, `at 9: expected a selector or '(', found end of input`},
		{"word or at start", ` or a==1`, 1, `at 1: expected a selector or '(', found 'or'`},

		// Operator.
		{"selector only", `a`, 1, `at 1: expected an operator after selector "a", found end of input`},
		{"selector then value", `a b`, 2, `at 2: expected an operator after selector "a", found "b"`},
		{"bare equals", `a=b`, 1, `at 1: '=' is not an operator: use '==' for equality, or =name= for a named operator`},
		{"bare equals before quote", `a='b'`, 1, `at 1: '=' is not an operator: use '==' for equality, or =name= for a named operator`},
		{"unclosed named operator", `a=in(x)`, 1, `at 1: '=' is not an operator: use '==' for equality, or =name= for a named operator`},
		{"digit in operator", `a=a1=x`, 1, `at 1: unknown operator "=a1=": expected ==, !=, <, <=, >, >=, or =name= with letters only`},
		{"dash in operator", `a=not-in=x`, 1, `at 1: unknown operator "=not-in=": expected ==, !=, <, <=, >, >=, or =name= with letters only`},
		{"tilde", `a~=x`, 1, `at 1: unknown operator "~": expected ==, !=, <, <=, >, >=, or =name= with letters only`},
		{"bang alone", `a!x`, 1, `at 1: unknown operator '!': use '!=' for inequality`},
		{"operator then paren", `a(b)`, 1, `at 1: expected an operator after selector "a", found '('`},

		// Values.
		{"missing value", `a==`, 3, `at 3: expected a value after '==', found end of input`},
		{"missing value alias", `a<`, 2, `at 2: expected a value after '<', found end of input`},
		{"missing value before and", `a==;b==1`, 3, `at 3: expected a value after '==', found ';'`},
		{"word and as value", `a== and b==1`, 4, `at 4: expected a value after '==', found 'and' (quote the word if it is the value)`},
		{"double operator", `a===b`, 3, `at 3: expected a value after '==', found '=b'`},
		{"alias then equals", `a<==1`, 3, `at 3: expected a value after '<=', found '='`},
		{"unquoted space", `a==b c`, 5, `at 5: expected ';', ',', 'and', 'or' or end of input, found "c" (quote values that contain spaces)`},
		{"reserved in value", `a==b=c`, 4, `at 4: expected ';', ',', 'and', 'or' or end of input, found '=c' (quote values that contain reserved characters)`},
		{"bang in value", `a==b!`, 4, `at 4: expected ';', ',', 'and', 'or' or end of input, found '!' (quote values that contain reserved characters)`},
		{"two quoted values", `a=='b''c'`, 6, `at 6: expected ';', ',', 'and', 'or' or end of input, found quoted value "c" (quote values that contain spaces)`},
		{"trailing word and", `a==1 and`, 5, `at 5: expected ';', ',', 'and', 'or' or end of input, found "and" (the words and/or need white space on both sides)`},
		{"and glued to paren", `(a==1)and (b==2)`, 6, `at 6: expected ';', ',', 'and', 'or' or end of input, found "and" (the words and/or need white space on both sides)`},
		{"unterminated double", `a=="abc`, 3, `at 3: unterminated quoted value: missing closing "`},
		{"unterminated single", `a=='abc\'`, 3, `at 3: unterminated quoted value: missing closing '`},
		{"unterminated after escape", `a=="abc\`, 3, `at 3: unterminated quoted value: missing closing "`},
		{"unterminated in list", `a=in=(x,"y)`, 8, `at 8: unterminated quoted value: missing closing "`},
		{"list for single-value op", `a==(x)`, 3, `at 3: operator '==' takes a single value, not a list: use =in= to match any of several values`},
		{"list for alias", `a>(1,2)`, 2, `at 2: operator '>' takes a single value, not a list: use =in= to match any of several values`},
		{"empty list", `a=in=()`, 6, `at 6: expected a value in the list of '=in=', found ')'`},
		{"trailing comma in list", `a=in=(x,)`, 8, `at 8: expected a value in the list of '=in=', found ')'`},
		{"semicolon in list", `a=out=(x;y)`, 8, `at 8: expected ',' or ')' in the list of '=out=', found ';'`},
		{"unclosed list", `a=in=(x,y`, 9, `at 9: expected ',' or ')' in the list of '=in=', found end of input`},
		{"space in list value", `a=in=(x y)`, 8, `at 8: expected ',' or ')' in the list of '=in=', found "y" (quote values that contain spaces)`},
		{"nested list", `a=in=((x))`, 6, `at 6: expected a value in the list of '=in=', found '('`},

		// Parentheses.
		{"stray close", `a==1)`, 4, `at 4: unexpected ')' with no matching '('`},
		{"stray close after group", `(a==1))`, 6, `at 6: unexpected ')' with no matching '('`},
		{"only close", `)`, 0, `at 0: expected a selector or '(', found ')'`},
		{"unclosed group", `(a==1`, 5, `at 5: expected ')' to close '(' at 0, found end of input`},
		{"unclosed nested group", `((a==1)`, 7, `at 7: expected ')' to close '(' at 0, found end of input`},
		{"unclosed inner group", `a==1;(b==2;(c==3)`, 17, `at 17: expected ')' to close '(' at 5, found end of input`},
		{"empty group", `()`, 1, `at 1: expected a selector or '(', found ')'`},
		{"group then value", `(a==1 b)`, 6, `at 6: expected ';', ',', 'and', 'or' or ')' to close '(' at 0, found "b" (quote values that contain spaces)`},
		{"group followed by group", `(a==1)(b==2)`, 6, `at 6: expected ';', ',', 'and', 'or' or end of input, found '('`},
		{"paren after value", `a==b(c)`, 4, `at 4: expected ';', ',', 'and', 'or' or end of input, found '('`},

		// Positions are byte offsets.
		{"unicode offsets", `名前==値 x`, 12, `at 12: expected ';', ',', 'and', 'or' or end of input, found "x" (quote values that contain spaces)`},
		{"unicode before bad operator", `é=x`, 2, `at 2: '=' is not an operator: use '==' for equality, or =name= for a named operator`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %s, want error", tt.in, n)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T, want *Error", tt.in, err)
			}
			if pe.Pos != tt.pos {
				t.Errorf("Parse(%q) pos = %d, want %d", tt.in, pe.Pos, tt.pos)
			}
			if err.Error() != tt.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tt.in, err, tt.want)
			}
		})
	}
}

func TestComparisonPos(t *testing.T) {
	n, err := Parse(`a==1; (é==2 or  b=in=(x)) ;名==3`)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	var walk func(Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *Comparison:
			got = append(got, n.Pos)
		case *Logical:
			for _, c := range n.Children {
				walk(c)
			}
		}
	}
	walk(n)
	want := []int{0, 7, 17, 28}
	if len(got) != len(want) {
		t.Fatalf("positions %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("positions %v, want %v", got, want)
		}
	}
}

func TestLimits(t *testing.T) {
	ok := func(t *testing.T, in string) {
		t.Helper()
		if _, err := Parse(in); err != nil {
			t.Fatalf("at the limit: %v", err)
		}
	}
	fails := func(t *testing.T, in, want string) {
		t.Helper()
		_, err := Parse(in)
		if err == nil || err.Error() != want {
			t.Fatalf("over the limit:\n got %v\nwant %s", err, want)
		}
	}

	t.Run("input length", func(t *testing.T) {
		at := "a==" + strings.Repeat("x", MaxInputLength-3)
		ok(t, at)
		fails(t, at+"x", `at 4096: input is 4097 bytes, longer than the limit of 4096`)
	})
	t.Run("depth", func(t *testing.T) {
		nest := func(d int) string {
			return strings.Repeat("(", d) + "a==1" + strings.Repeat(")", d)
		}
		ok(t, nest(MaxDepth))
		fails(t, nest(MaxDepth+1), `at 32: parentheses nested deeper than the limit of 32`)
		// Depth counts open groups, not groups seen: siblings do not add up.
		ok(t, strings.Repeat(nest(MaxDepth)+";", 3)+"b==2")
		// In-list parentheses are not nesting.
		ok(t, strings.Repeat("(", MaxDepth)+"a=in=(1)"+strings.Repeat(")", MaxDepth))
	})
	t.Run("values", func(t *testing.T) {
		list := func(n int) string {
			vals := make([]string, n)
			for i := range vals {
				vals[i] = "v"
			}
			return "a=in=(" + strings.Join(vals, ",") + ")"
		}
		ok(t, list(MaxValues))
		// "a=in=(" is 6 bytes, each value 2 with its comma: value 101 is at 206.
		fails(t, list(MaxValues+1), `at 206: more than 100 values in the list of '=in='`)
	})
	t.Run("comparisons", func(t *testing.T) {
		many := func(n int) string {
			return strings.TrimSuffix(strings.Repeat("a==1;", n), ";")
		}
		ok(t, many(MaxComparisons))
		// Each comparison is 5 bytes with its ';': comparison 201 is at 1000.
		fails(t, many(MaxComparisons+1), `at 1000: more than 200 comparisons in the expression`)
		fails(t, strings.Repeat("a==1,", MaxComparisons)+"(b==2)", `at 1001: more than 200 comparisons in the expression`)
	})
}
