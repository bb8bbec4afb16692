package rsql

import (
	"math"
	"strings"
	"testing"
)

func TestCost(t *testing.T) {
	t.Parallel()
	cat := newTestCatalogue()
	for _, tc := range []struct {
		filter string
		want   int
	}{
		{`registry==docker.io`, CostValue},
		{`registry!=docker.io;class==A;risk_score=gt=5`, 3 * CostValue},
		{`labels=in=(a,b,c,d)`, 4 * CostValue},
		{`labels=out=(a*,b)`, 2 * CostValue}, // * is literal in a list
		{`labels=in=a`, CostValue},
		{`name==ngin*`, CostWildcard},
		{`name!=*x*`, CostWildcard},
		{`tags.env==pr*`, CostWildcard},
		{`name==nginx`, CostValue},
		{`q==nginx`, CostText},
		{`q==abc`, CostText},
		{`q==ab`, CostShortText},
		{`q==x`, CostShortText},
		{`q=='🐳🐳'`, CostShortText}, // characters, not bytes
		{`q==''`, CostValue},
		{`q==nginx;q==x,name==a*;labels=in=(a,b)`, CostText + CostShortText + CostWildcard + 2*CostValue},
		{`(q==abc;(q==def))`, 2 * CostText},
		{`created_at=ge=2024-01-01`, CostValue},
	} {
		n, err := Parse(tc.filter)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.filter, err)
		}
		if got := Cost(n, cat); got != tc.want {
			t.Errorf("Cost(%q) = %d, want %d", tc.filter, got, tc.want)
		}
	}
}

// TestCostBudgetDefault pins what the default budget lets through and what
// it refuses, as its documentation says.
func TestCostBudgetDefault(t *testing.T) {
	t.Parallel()
	cat := newTestCatalogue()
	repeat := func(clause string, n int) string { return strings.TrimSuffix(strings.Repeat(clause+";", n), ";") }
	list := "labels=in=(" + strings.TrimSuffix(strings.Repeat("v,", MaxValues), ",") + ")"
	for _, tc := range []struct {
		filter string
		within bool
	}{
		{repeat("name==x", MaxComparisons), true},
		{repeat(list, 10), true},
		{repeat("q==nginx", 20), true},
		{repeat("q==ab", 5), true},
		{repeat("q==x", MaxComparisons), false},
		{repeat("q==nginx", 21), false},
		{repeat("name==*x*", 51), false},
	} {
		n, err := Parse(tc.filter)
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		if got := Cost(n, cat) <= CostMaxDefault; got != tc.within {
			t.Errorf("%.40s... (cost %d) within the default budget = %v, want %v", tc.filter, Cost(n, cat), got, tc.within)
		}
	}
}

// TestCostSaturates counts a tree no parser would accept, and checks that
// the sums stop at math.MaxInt instead of wrapping negative.
func TestCostSaturates(t *testing.T) {
	t.Parallel()
	cat := newTestCatalogue()
	huge := &Comparison{Selector: "labels", Op: OpIn, Args: make([]string, 1<<20)}
	wide := &Logical{Op: And}
	for range 1 << 12 {
		wide.Children = append(wide.Children, huge)
	}
	if got := Cost(wide, cat); got != 1<<32 {
		t.Errorf("Cost of 2^12 lists of 2^20 values = %d, want 2^32", got)
	}
	for _, tc := range []struct{ a, b, want int }{
		{math.MaxInt, 1, math.MaxInt}, {math.MaxInt - 1, 1, math.MaxInt}, {1, 2, 3},
	} {
		if got := addCost(tc.a, tc.b); got != tc.want {
			t.Errorf("addCost(%d, %d) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	if got := mulCost(CostShortText, math.MaxInt/2); got != math.MaxInt {
		t.Errorf("mulCost overflowed to %d", got)
	}
}

// FuzzCost checks that any parsed filter has a cost of at least one per
// comparison and never a negative one.
func FuzzCost(f *testing.F) {
	for _, s := range []string{`a==b`, `q==x;q==abc`, `labels=in=(a,b,c)`, `name==*x*,(q==''),tags.k==v*`} {
		f.Add(s)
	}
	cat := newTestCatalogue()
	f.Fuzz(func(t *testing.T, in string) {
		n, err := Parse(in)
		if err != nil {
			return
		}
		if got, least := Cost(n, cat), comparisons(n); got < least {
			t.Fatalf("Cost(%q) = %d, below its %d comparisons", in, got, least)
		}
	})
}

func comparisons(n Node) int {
	if l, ok := n.(*Logical); ok {
		total := 0
		for _, c := range l.Children {
			total += comparisons(c)
		}
		return total
	}
	return 1
}
