package rsql

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a positioned
// *Error inside the input, and that printing a parsed AST and parsing it
// again gives an equal AST.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`a==b`,
		`name==nginx;class=in=(A,B),risk_score=gt=500`,
		`a<1;b<=2;c>3;d>=4;e!=5;f=out=(x)`,
		`(a==1;b==2);c==3`,
		`((a==1)),(b==2;(c==3,d==4))`,
		`a==1 and b==2 OR c==3`,
		`brand==x;class==order;a==and;and==or`,
		`a=in=(x or y, 'z')`,
		`a=in=x`,
		`a=="x\"y";b=='it\'s';c=="\\";d==''`,
		`q=="free text";tags.env==prod`,
		`名前==値;a=='🐳 whale'`,
		"a==x\u00a0y\tand\nb==c",
		`x=like=(a,b);y=near=z`,
		`a==b\c`,
		`a=b`, `a==`, `a==(x)`, `(a==1`, `a==1)`, `a=="x`, `a=a1=b`, `a~=b`, `()`, ``,
		"a==x\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		n, err := Parse(in)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %T, want *Error", in, err)
			}
			if pe.Pos < 0 || pe.Pos > len(in) && pe.Pos != MaxInputLength {
				t.Fatalf("Parse(%q) error position %d outside the input", in, pe.Pos)
			}
			return
		}
		first, err := json.Marshal(n)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		printed := n.String()
		// Canonical output can outgrow the input (< prints as =lt=, quotes
		// gain escapes), so lift the length limit for the re-parse only.
		again, err := parse(printed, len(printed))
		if err != nil {
			t.Fatalf("Parse(%q) printed %q which does not parse: %v", in, printed, err)
		}
		second, err := json.Marshal(again)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		if string(first) != string(second) {
			t.Fatalf("round trip of %q via %q\n got %s\nwant %s", in, printed, second, first)
		}
		// Printing is a fixed point: canonical text prints as itself.
		if p2 := again.String(); p2 != printed {
			t.Fatalf("String not canonical for %q: %q then %q", in, printed, p2)
		}
	})
}
