package rsql

import (
	"testing"
)

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{`a==b`, `a==b`},
		{` a == b `, `a==b`},
		{`a<1;b<=2;c>3;d>=4`, `a=lt=1;b=le=2;c=gt=3;d=ge=4`},
		{`a!=x`, `a!=x`},
		{`c=in=A`, `c=in=(A)`},
		{`c=in=( A , B )`, `c=in=(A,B)`},
		{`c=out=(A or B)`, `c=out=(A,B)`},
		{`x=like=(a)`, `x=like=a`},
		{`x=near=(1,2)`, `x=near=(1,2)`},
		{`a==''`, `a==""`},
		{`a=='x y'`, `a=="x y"`},
		{`a=='say "hi"'`, `a=="say \"hi\""`},
		{`a=="back\\slash;"`, `a=="back\\slash;"`},
		{`a==back\slash`, `a==back\slash`},
		{`a=="it's"`, `a=="it's"`},
		{`a=="plain"`, `a==plain`},
		{`a=="(x)"`, `a=="(x)"`},
		{`a=in=('', "x,y", z)`, `a=in=("","x,y",z)`},
		{"a==\"tab\there\"", "a==\"tab\there\""},
		{`a==and`, `a==and`},
		{`a=="and"`, `a==and`},
		{`名==値`, `名==値`},
		{`a==*x*`, `a==*x*`},
		{`a==1 and b==2 or c==3`, `a==1;b==2,c==3`},
		{`a==1;(b==2,c==3)`, `a==1;(b==2,c==3)`},
		{`(a==1,b==2);(c==3,d==4)`, `(a==1,b==2);(c==3,d==4)`},
		{`(a==1;b==2),(c==3;d==4)`, `a==1;b==2,c==3;d==4`},
		{`((a==1))`, `a==1`},
		{`x==0,(a==1;(b==2,c==3))`, `x==0,a==1;(b==2,c==3)`},
	}
	for _, tt := range tests {
		n, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		got := n.String()
		if got != tt.want {
			t.Errorf("Parse(%q).String()\n got %s\nwant %s", tt.in, got, tt.want)
			continue
		}
		again, err := Parse(got)
		if err != nil {
			t.Errorf("re-parse %q: %v", got, err)
			continue
		}
		if a, b := toJSON(t, n), toJSON(t, again); a != b {
			t.Errorf("round trip of %q\n got %s\nwant %s", tt.in, b, a)
		}
	}
}

// Hand-built trees print sensibly too, including ones Parse never returns.
func TestStringHandBuilt(t *testing.T) {
	cmp := func(sel string, op Operator, args ...string) *Comparison {
		return &Comparison{Selector: sel, Op: op, Args: args}
	}
	tests := []struct {
		n    Node
		want string
	}{
		{cmp("a", OpIn, "x"), `a=in=(x)`},
		{cmp("a", OpEqual, ""), `a==""`},
		{cmp("a", OpEqual, `x"\`), `a=="x\"\\"`},
		{cmp("a", OpEqual, "x y"), `a=="x y"`},
		{cmp("a", OpEqual, "x\ny"), "a==\"x\ny\""},
		{cmp("a", OpEqual, "a<b"), `a=="a<b"`},
		{cmp("a", OpEqual, "~"), `a=="~"`},
		{&Logical{Op: And, Children: []Node{
			cmp("a", OpEqual, "1"),
			&Logical{Op: Or, Children: []Node{cmp("b", OpEqual, "2"), cmp("c", OpEqual, "3")}},
		}}, `a==1;(b==2,c==3)`},
		{&Logical{Op: Or, Children: []Node{
			&Logical{Op: And, Children: []Node{cmp("b", OpEqual, "2"), cmp("c", OpEqual, "3")}},
			cmp("a", OpEqual, "1"),
		}}, `b==2;c==3,a==1`},
		{&Logical{Op: And, Children: []Node{
			&Logical{Op: And, Children: []Node{cmp("b", OpEqual, "2"), cmp("c", OpEqual, "3")}},
			cmp("a", OpEqual, "1"),
		}}, `(b==2;c==3);a==1`},
	}
	for _, tt := range tests {
		if got := tt.n.String(); got != tt.want {
			t.Errorf("String()\n got %s\nwant %s", got, tt.want)
		}
	}
}

func TestJSON(t *testing.T) {
	n, err := Parse(`name==nginx;(risk<5 or tags.env=in=(prod,"")) and x=like=(a,b)`)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"op":"and","children":[` +
		`{"selector":"name","op":"==","args":["nginx"]},` +
		`{"op":"or","children":[{"selector":"risk","op":"=lt=","args":["5"]},{"selector":"tags.env","op":"=in=","args":["prod",""]}]},` +
		`{"selector":"x","op":"=like=","args":["a","b"]}]}`
	if got := toJSON(t, n); got != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
}
