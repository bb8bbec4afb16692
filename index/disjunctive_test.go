package index

import (
	"strings"
	"testing"

	"github.com/openinventory/assets/rsql"
)

func TestDisjunctiveFilter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		group, filter, want string // want "" is no filter
	}{
		{"class", "class=in=(A,B)", ""},
		{"class", "class=in=(A,B);registry==docker.io", "registry==docker.io"},
		{"class", "class==A;class!=B;registry==docker.io;labels==x", "registry==docker.io;labels==x"},
		{"class", "(class==A,class==B);registry==docker.io", "registry==docker.io"},
		// An OR mixing fields is kept whole.
		{"class", "(class==A,registry==docker.io);labels==x", "(class==A,registry==docker.io);labels==x"},
		{"class", "class==A,registry==docker.io", "class==A,registry==docker.io"},
		// q constrains many fields, so it is kept.
		{"registry", "q==docker;registry==docker.io", "q==docker"},
		// Other groups' clauses are kept.
		{"registry", "class==A;labels==x", "class==A;labels==x"},
		// tags: any tags.<key> clause is left out, whatever the key.
		{"tags", "tags.env==prod;tags.team==a;registry==docker.io", "registry==docker.io"},
		{"tags", "tags.env==prod,tags.team==a", ""},
		{"tags", "(tags.env==prod,labels==x);tags.team==a", "tags.env==prod,labels==x"},
		// image_labels is another field than tags.
		{"tags", "image_labels.env==prod;tags.env==prod", "image_labels.env==prod"},
		{"image_tag", "image_tag==latest;labels==latest", "labels==latest"},
		// Groups without a filter selector leave out nothing.
		{"os", "class==A;registry==docker.io", "class==A;registry==docker.io"},
	} {
		f, err := rsql.Parse(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		got := DisjunctiveFilter(tc.group, f)
		gotS := ""
		if got != nil {
			gotS = got.String()
		}
		want := ""
		if tc.want != "" {
			w, err := rsql.Parse(tc.want)
			if err != nil {
				t.Fatalf("%s: %v", tc.want, err)
			}
			want = w.String()
		}
		if gotS != want {
			t.Errorf("%s of %q = %q, want %q", tc.group, tc.filter, gotS, want)
		}
	}
	if DisjunctiveFilter("class", nil) != nil {
		t.Error("nil filter is not nil")
	}
}

// TestDisjunctiveSelectorsExist keeps groupSelectors in step with the
// catalogue: every group and selector it names exists.
func TestDisjunctiveSelectorsExist(t *testing.T) {
	t.Parallel()
	c := NewCatalogue()
	for g, sels := range groupSelectors {
		if _, ok := c.GroupByName(g); !ok {
			t.Errorf("group %q is not in the catalogue", g)
		}
		for _, s := range sels {
			if strings.HasSuffix(s, ".") {
				s += "key"
			}
			if _, ok := c.Lookup(s); !ok {
				t.Errorf("selector %q of group %q is not in the catalogue", s, g)
			}
		}
	}
}
