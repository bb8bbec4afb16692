package index

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/openinventory/assets/store"
)

func TestValueGrams(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a", "a"},
		{"Ab", "ab b"},
		{"nginx", "ngi gin inx nx x"},
		{"a b", "a^000020b ^000020b b"},
		{"x^y", "x^00005ey ^00005ey y"},
		{"Ünï", "^0000fcn^0000ef n^0000ef ^0000ef"},
		{"k\x1fv", "k^00001fv ^00001fv v"},
		{"bad\xff", "bad ad^00fffd d^00fffd ^00fffd"},
		{"😀ab", "^01f600ab ab b"},
	} {
		if got := valueGrams(tc.in); got != tc.want {
			t.Errorf("valueGrams(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTermGrams(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   []string
		prefix bool
	}{
		{"n", []string{"n"}, true},
		{"v1", []string{"v1"}, true},
		{"ü", []string{"^0000fc"}, true},
		{"abc", []string{"abc"}, false},
		{"nginx", []string{"ngi", "gin", "inx"}, false},
		{"a*b", []string{"a*b"}, false},
		{"t?x y", []string{"t?x", "?x^000020", "x^000020y"}, false},
	} {
		got, prefix := termGrams(tc.in)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") || prefix != tc.prefix {
			t.Errorf("termGrams(%q) = %q %v, want %q %v", tc.in, got, prefix, tc.want, tc.prefix)
		}
	}
}

// gramsMatch is what Elasticsearch does with qGramQuery on one value's
// tokens, split as the whitespace analyzer splits them.
func gramsMatch(valueTokens, term string) bool {
	tokens := strings.Split(valueTokens, " ")
	want, prefix := termGrams(term)
	if prefix {
		for _, tok := range tokens {
			if strings.HasPrefix(tok, want[0]) {
				return true
			}
		}
		return false
	}
	for p := 0; p+len(want) <= len(tokens); p++ {
		if slicesEqual(tokens[p:p+len(want)], want) {
			return true
		}
	}
	return false
}

func slicesEqual(a, b []string) bool { return strings.Join(a, " ") == strings.Join(b, " ") }

// checkGrams fails unless the gram search agrees with a plain substring
// test, and every token is printable ASCII without spaces (so the
// whitespace analyzer cannot split one).
func checkGrams(t *testing.T, value, term string) {
	lv := strings.ToValidUTF8(strings.ToLower(value), "\ufffd")
	lt := strings.ToValidUTF8(strings.ToLower(term), "\ufffd")
	if value == "" || lt == "" {
		return
	}
	toks := valueGrams(value)
	for i := 0; i < len(toks); i++ {
		if toks[i] < ' ' || toks[i] > '~' {
			t.Fatalf("valueGrams(%q) has byte %#x", value, toks[i])
		}
	}
	if n := len(strings.Split(toks, " ")); n != utf8.RuneCountInString(lv) {
		t.Fatalf("valueGrams(%q): %d tokens for %d runes", value, n, utf8.RuneCountInString(lv))
	}
	want := strings.Contains(lv, lt)
	if got := gramsMatch(toks, strings.ToLower(term)); got != want {
		t.Fatalf("value %q term %q: grams say %v, substring %v", value, term, got, want)
	}
}

func TestGramsAgreeWithSubstring(t *testing.T) {
	values := []string{"nginx", "docker.io/library/nginx", "sha256:ab12", "Prod-EU", "a b c", "aaaa", "x^y^z", "ünïcode", "k\x1fv"}
	terms := []string{"n", "x", "ng", "nx", "ginx", "nginx!", "io/lib", "SHA256:AB", "b c", "aaa", "aaaaa", "^y", "y^z", "Ïc", "\x1fv", "k\x1f", "zz"}
	for _, v := range values {
		for _, term := range terms {
			checkGrams(t, v, term)
		}
	}
}

func FuzzQGrams(f *testing.F) {
	f.Add("docker.io/library/nginx", "nginx")
	f.Add("Prod EU", "d e")
	f.Add("ünï^x", "ï^")
	f.Add("aaaa", "aaa")
	f.Add("bad\xffutf8", "\xff")
	f.Fuzz(func(t *testing.T, value, term string) { checkGrams(t, value, term) })
}

func TestQGramsCap(t *testing.T) {
	a := &store.Asset{Name: "nginx", Registry: "docker.io", Labels: []string{"Prod"}, Tags: map[string]string{"env": "eu"}}
	d := Project(a)
	if d.QOverflow != nil || len(d.QGrams) != 4 {
		t.Fatalf("small asset: grams %q overflow %q", d.QGrams, d.QOverflow)
	}
	if got := d.QGrams[0]; got != "pro rod od d" {
		t.Errorf("label grams %q", got)
	}
	// One character over the cap: no grams, the exact path instead.
	a.Name = strings.Repeat("n", QGramsPerDocumentDefault-len("docker.io")-len("prod")-len("env\x1feu")+1)
	d = Project(a)
	if len(d.QOverflow) != 4 || d.QGrams != nil || d.QOverflow[0] != "prod" {
		t.Errorf("over the cap: %d grams, overflow %.40q", len(d.QGrams), d.QOverflow)
	}
	a.Name = a.Name[1:]
	if d = Project(a); d.QOverflow != nil {
		t.Error("at the cap: overflow")
	}
	b, _ := d.AppendJSON(nil)
	if !strings.Contains(string(b), `,"q_grams":["pro rod od d",`) {
		t.Errorf("encoded without q_grams: %.200s", b)
	}
}
