package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// Markdown renders the comparison: which runs, the rule, a summary, and
// every figure beside its previous value. It reads well as plain text.
func (c Comparison) Markdown() string {
	var b strings.Builder
	b.WriteString("## Against the previous run\n\n")
	fmt.Fprintf(&b, "- this run: %s\n", c.Current.text())
	if c.Previous == nil {
		b.WriteString("- previous: none in the history; this run is the first to compare with\n\n")
		b.WriteString(c.table())
		return b.String()
	}
	fmt.Fprintf(&b, "- previous: %s (%s)\n", c.PreviousFile, c.Previous.text())
	if c.Previous.CPUs != c.Current.CPUs || c.Previous.Assets != c.Current.Assets {
		b.WriteString("- **the two runs differ in CPUs or data size: their figures are not comparable**\n")
	}
	pct := c.Threshold * 100
	fmt.Fprintf(&b, "- rule: a ratio (measured side by side in one run) worse by more than %.0f%% is a **regression**, "+
		"as is a target met before and missed now; a p50 latency or other absolute figure worse by more than %.0f%% is a *note*, "+
		"since absolute times move with the load of the machine\n", pct, pct)
	reg, notes := c.Counts()
	fmt.Fprintf(&b, "- result: %d regression(s), %d note(s)\n\n", reg, notes)
	b.WriteString(c.table())
	return b.String()
}

func (r RunInfo) text() string {
	return fmt.Sprintf("%s, %d CPUs, %s assets", r.Date, r.CPUs, thousands(float64(r.Assets)))
}

// table lists the rows; the flag column leads with the regressions.
func (c Comparison) table() string {
	t := newTable("figure", "kind", "previous", "this run", "change", "flag").alignRight(2, 3, 4)
	for _, d := range c.Rows {
		flag := d.Why
		switch d.Flag {
		case FlagRegression:
			flag = "**REGRESSION**: " + d.Why
		case FlagNote:
			flag = "note: " + d.Why
		}
		t.add(d.Figure, d.Kind, valueText(d.Previous, d.Unit), valueText(d.Current, d.Unit), changeText(d), flag)
	}
	return t.markdown()
}

// valueText formats a figure in its unit; "-" when there is none.
func valueText(v float64, unit string) string {
	switch {
	case v == 0:
		return "-"
	case unit == "x" && v < 0.1:
		// API / PostgreSQL can be far below 1: keep its digits.
		return strconv.FormatFloat(v, 'g', 2, 64) + "x"
	case unit == "x":
		return strconv.FormatFloat(v, 'f', 2, 64) + "x"
	case unit == "ms":
		return msText(v) + " ms"
	case v >= 1000:
		return strings.TrimSpace(thousands(v) + " " + unit)
	}
	return strings.TrimSpace(strconv.FormatFloat(v, 'g', 3, 64) + " " + unit)
}

// changeText says how much worse or better a figure got.
func changeText(d Delta) string {
	switch {
	case d.Previous == 0 || d.Current == 0:
		return ""
	case d.Worse > 0.0005:
		return fmt.Sprintf("%.1f%% worse", d.Worse*100)
	case d.Worse < -0.0005:
		return fmt.Sprintf("%.1f%% better", -d.Worse*100)
	}
	return "same"
}
