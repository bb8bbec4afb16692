package index

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/openinventory/assets/rsql"
)

func TestTranslate(t *testing.T) {
	for _, tc := range []struct {
		filter string
		want   string
	}{
		{`registry==docker.io`, `{"term":{"registry":"docker.io"}}`},
		{`registry!=docker.io`, `{"bool":{"must_not":[{"term":{"registry":"docker.io"}}]}}`},
		{`registry==''`, `{"bool":{"minimum_should_match":1,"should":[{"bool":{"must_not":[{"exists":{"field":"registry"}}]}},{"term":{"registry":""}}]}}`},
		{`registry!=''`, `{"bool":{"must_not":[{"bool":{"minimum_should_match":1,"should":[{"bool":{"must_not":[{"exists":{"field":"registry"}}]}},{"term":{"registry":""}}]}}]}}`},
		{`registry==*`, `{"exists":{"field":"registry"}}`},
		{`registry==Dock*`, `{"prefix":{"registry.lc":{"case_insensitive":true,"value":"dock"}}}`},
		{`registry==*IO`, `{"wildcard":{"registry.lc":{"case_insensitive":true,"value":"*io"}}}`},
		{`registry==*doc**k*`, `{"wildcard":{"registry.lc":{"case_insensitive":true,"value":"*doc*k*"}}}`},
		{`labels=="a?b\\*"`, `{"prefix":{"labels.lc":{"case_insensitive":true,"value":"a?b\\"}}}`},
		{`labels=="*a?b\\*"`, `{"wildcard":{"labels.lc":{"case_insensitive":true,"value":"*a\\?b\\\\*"}}}`},
		{`labels=in=("a*b",c)`, `{"terms":{"labels":["a*b","c"]}}`},
		{`labels=out=(x,'')`, `{"bool":{"must_not":[{"bool":{"minimum_should_match":1,"should":[{"bool":{"minimum_should_match":1,"should":[{"bool":{"must_not":[{"exists":{"field":"labels"}}]}},{"term":{"labels":""}}]}},{"terms":{"labels":["x"]}}]}}]}}`},
		{`name=lt=m`, `{"range":{"name":{"lt":"m"}}}`},
		{`tags.env==prod`, `{"term":{"tags":"env\u001fprod"}}`},
		{`tags.env==''`, `{"bool":{"minimum_should_match":1,"should":[{"bool":{"must_not":[{"term":{"tag_keys":"env"}}]}},{"term":{"tags":"env\u001f"}}]}}`},
		{`tags.Env==P*`, `{"bool":{"filter":[{"term":{"tag_keys":"Env"}},{"prefix":{"tags.lc":{"case_insensitive":true,"value":"env\u001fp"}}}]}}`},
		{`tags.e?==*x*`, `{"bool":{"filter":[{"term":{"tag_keys":"e?"}},{"wildcard":{"tags.lc":{"case_insensitive":true,"value":"e\\?\u001f*x*"}}}]}}`},
		{`tags.env=ge=b`, `{"range":{"tags":{"gte":"env\u001fb","lt":"env "}}}`},
		{`tags.env=lt=b`, `{"range":{"tags":{"gte":"env\u001f","lt":"env\u001fb"}}}`},
		{`image_labels.a.b==1`, `{"term":{"image_labels":"a.b\u001f1"}}`},
		{`risk_score=gt=+05`, `{"range":{"risk_score":{"gt":5}}}`},
		{`risk_score=in=(1,2.50)`, `{"terms":{"risk_score":[1,2.5]}}`},
		{`risk_score!=3`, `{"bool":{"must_not":[{"term":{"risk_score":3}}]}}`},
		{`created_at=ge=2024-01-02`, `{"range":{"created_at":{"gte":"2024-01-02T00:00:00.000000000Z"}}}`},
		{`created_at<2024-01-02T03:04:05.123+01:00`, `{"range":{"created_at":{"lt":"2024-01-02T02:04:05.123000000Z"}}}`},
		{`class==A`, `{"term":{"class":"A"}}`},
		{`manifest_digest==sha256:AB`, `{"term":{"distribution_digests.manifest_digest":"sha256:AB"}}`},
		{`image_tag==v1`, `{"term":{"image_tags":"v1"}}`},
		{`q==''`, `{"match_all":{}}`},
		{`type==*image*`, `{"wildcard":{"type":{"case_insensitive":true,"value":"*image*"}}}`},
		{`class!=*test*`, `{"bool":{"must_not":[{"wildcard":{"class":{"case_insensitive":true,"value":"*test*"}}}]}}`},
		{`q=="N*x"`, `{"bool":{"minimum_should_match":1,"should":[{"match_phrase":{"q_grams":{"query":"n*x"}}},` +
			`{"wildcard":{"q_overflow":{"value":"*n\\*x*"}}}]}}`},
		{`q==Ng`, `{"bool":{"minimum_should_match":1,"should":[{"prefix":{"q_grams":{"value":"ng"}}},` +
			`{"wildcard":{"q_overflow":{"value":"*ng*"}}}]}}`},
		{`class==A;(type==container_images,labels==x)`, `{"bool":{"filter":[{"term":{"class":"A"}},{"bool":{"minimum_should_match":1,"should":[{"term":{"type":"container_images"}},{"term":{"labels":"x"}}]}}]}}`},
	} {
		n, err := rsql.Parse(tc.filter)
		if err != nil {
			t.Fatalf("parse %s: %v", tc.filter, err)
		}
		q, err := Translate(n)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		got, _ := json.Marshal(q)
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.filter, got, tc.want)
		}
	}
}

func TestTranslateErrors(t *testing.T) {
	for _, filter := range []string{
		`nope==1`, `tags==x`, `tags.==x`, `q!=x`, `risk_score==abc`, `risk_score==1e5`,
		`created_at>yesterday`, `registry=foo=x`, `built_at==*`,
	} {
		n, err := rsql.Parse(filter)
		if err != nil {
			continue
		}
		if _, err := Translate(n); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", filter, err)
		}
	}
	for _, n := range []rsql.Node{nil, &rsql.Logical{Op: rsql.And}, &rsql.Comparison{Selector: "id", Op: rsql.OpEqual},
		&rsql.Comparison{Selector: "id", Op: rsql.OpLess, Args: []string{"a", "b"}}, (*rsql.Comparison)(nil)} {
		if _, err := Translate(n); !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%#v: err = %v", n, err)
		}
	}
}

func TestExplain(t *testing.T) {
	n, _ := rsql.Parse("class==A")
	e, err := Explain(n)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(e)
	want := `{"ast":{"selector":"class","op":"==","args":["A"]},"elasticsearch":{"term":{"class":"A"}}}`
	if string(b) != want {
		t.Errorf("got %s", b)
	}
}

// randomAST builds ASTs rsql.Parse may never produce: odd selectors,
// operators, values and shapes.
func randomAST(r *rand.Rand, depth int) rsql.Node {
	if depth > 0 && r.IntN(3) == 0 {
		l := &rsql.Logical{Op: []rsql.LogicalOp{rsql.And, rsql.Or, "xor"}[r.IntN(3)]}
		for range r.IntN(4) {
			l.Children = append(l.Children, randomAST(r, depth-1))
		}
		return l
	}
	sels := []string{"q", "id", "class", "tags.", "tags.a", "tags.*", "image_labels.x.y", "risk_score", "created_at", "labels", "nope", ""}
	ops := []rsql.Operator{rsql.OpEqual, rsql.OpNotEqual, rsql.OpLess, rsql.OpGreaterEqual, rsql.OpIn, rsql.OpOut, "=x="}
	vals := []string{"", "*", "**", "a*", "*a", "\\", "?", "1", "-2.5", "2024-01-01", "2024-01-01T00:00:00Z", "\x1f", "\xff"}
	c := &rsql.Comparison{Selector: sels[r.IntN(len(sels))], Op: ops[r.IntN(len(ops))]}
	for range r.IntN(3) {
		c.Args = append(c.Args, vals[r.IntN(len(vals))])
	}
	return c
}

func TestTranslateRandomASTs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		n := randomAST(r, 3)
		q, err := Translate(n)
		if err == nil {
			if _, err := json.Marshal(q); err != nil {
				t.Fatalf("%v: %v", n, err)
			}
		}
	}
}

// FuzzTranslate: every filter rsql.Parse accepts translates to valid JSON
// or an ErrInvalidRequest, never a panic.
func FuzzTranslate(f *testing.F) {
	for _, s := range []string{
		"registry==*docker*", "tags.env=in=(a,'')", "q==x", "risk_score>5", "created_at=le=2024-01-01",
		"(a==1,b==2);c!=*", `labels=="a\"b*"`, "image_labels.k.l=out=(x)", "class==A and name==x* or id!=''",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := rsql.Parse(s)
		if err != nil {
			return
		}
		q, err := Translate(n)
		if err != nil {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("%q: error %v does not wrap ErrInvalidRequest", s, err)
			}
			return
		}
		b, err := json.Marshal(q)
		if err != nil || !json.Valid(b) {
			t.Fatalf("%q: %v", s, err)
		}
		// Validated filters must translate.
		if rsql.Validate(n, NewCatalogue()) == nil && strings.Contains(string(b), "null") {
			t.Fatalf("%q: null in query %s", s, b)
		}
	})
}
