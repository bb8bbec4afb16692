package index

import (
	"strings"

	"github.com/openinventory/assets/rsql"
)

// groupSelectors maps a group field to the filter selectors that
// constrain only it. A selector ending in "." is a prefix: for the tags
// group, a clause on any tags.<key> constrains the tags group, whatever
// its key, because every key's values are counted in that one group.
// Groups without a filter selector (os, os_version, architecture) drop
// nothing.
var groupSelectors = map[string][]string{
	"class": {"class"}, "type": {"type"}, "registry": {"registry"}, "repository": {"repository"},
	"name": {"name"}, "labels": {"labels"}, "tags": {"tags."}, "image_tag": {"image_tag"},
}

// DisjunctiveFilter is filter without its top-level AND clauses that
// constrain only the selectors of group: the filter a facet's counts use
// when the facet's own checkboxes must not narrow it. A clause is dropped
// when every comparison in it (through nested ANDs and ORs) is on the
// group's selectors; an OR mixing fields, and q (which matches many
// fields), are kept. The result is nil when nothing is left.
func DisjunctiveFilter(group string, filter rsql.Node) rsql.Node {
	sels := groupSelectors[group]
	if filter == nil || len(sels) == 0 {
		return filter
	}
	l, ok := filter.(*rsql.Logical)
	if !ok || l.Op != rsql.And {
		if onlyOn(filter, sels) {
			return nil
		}
		return filter
	}
	var kept []rsql.Node
	for _, c := range l.Children {
		if !onlyOn(c, sels) {
			kept = append(kept, c)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	case len(l.Children):
		return filter
	}
	return &rsql.Logical{Op: rsql.And, Children: kept}
}

// onlyOn reports whether every comparison of n is on one of sels.
func onlyOn(n rsql.Node, sels []string) bool {
	switch n := n.(type) {
	case *rsql.Comparison:
		for _, s := range sels {
			if n.Selector == s || strings.HasSuffix(s, ".") && strings.HasPrefix(n.Selector, s) {
				return true
			}
		}
		return false
	case *rsql.Logical:
		for _, c := range n.Children {
			if !onlyOn(c, sels) {
				return false
			}
		}
		return len(n.Children) > 0
	}
	return false
}
