package rsql

import (
	"math"
	"strings"
	"unicode/utf8"
)

// The cost of a filter estimates the work a search engine does for it, so a
// caller can refuse a filter that parses and validates but would be
// expensive: a text comparison becomes several leading-wildcard queries over
// a whole term dictionary, and a filter may hold MaxComparisons of them.
//
// A comparison costs CostValue per value (a list of =in= / =out= counts
// each of its values), except:
//   - a text (q) comparison costs CostText, or CostShortText when its term
//     has 1 or 2 characters (those match almost every term, so nothing is
//     skipped);
//   - an == or != on a string field whose value holds a * wildcard costs
//     CostWildcard.
//
// The cost of an and/or is the sum of its children's.
const (
	CostValue     = 1
	CostWildcard  = 20
	CostText      = 50
	CostShortText = 200
	// ShortTextRunes is the longest text term that costs CostShortText.
	ShortTextRunes = 2
	// CostMaxDefault is a budget that takes any filter of plain
	// comparisons within MaxComparisons, ten full =in= lists, twenty text
	// terms or five short ones.
	CostMaxDefault = 1000
)

// Cost returns the cost of n, resolving selectors through c (an unknown
// selector costs like a string). The sum saturates at math.MaxInt rather
// than overflowing, whatever the size of a hand-built tree.
func Cost(n Node, c Catalogue) int {
	switch n := n.(type) {
	case *Comparison:
		return comparisonCost(n, c)
	case *Logical:
		total := 0
		for _, child := range n.Children {
			total = addCost(total, Cost(child, c))
		}
		return total
	}
	return 0
}

func comparisonCost(cmp *Comparison, c Catalogue) int {
	f, _ := c.Lookup(cmp.Selector)
	switch {
	case f.Type == TypeText:
		if len(cmp.Args) == 0 || cmp.Args[0] == "" {
			return CostValue // no term: matches everything, cheaply
		}
		if utf8.RuneCountInString(cmp.Args[0]) <= ShortTextRunes {
			return CostShortText
		}
		return CostText
	case (f.Type == TypeString || f.Type == "") && !cmp.Op.MultiValue() &&
		len(cmp.Args) == 1 && strings.Contains(cmp.Args[0], "*"):
		return CostWildcard
	}
	return max(CostValue, mulCost(CostValue, len(cmp.Args)))
}

// addCost is a + b for non-negative costs, saturating at math.MaxInt.
func addCost(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// mulCost is a * n for non-negative a and n, saturating at math.MaxInt.
func mulCost(a, n int) int {
	if a != 0 && n > math.MaxInt/a {
		return math.MaxInt
	}
	return a * n
}
