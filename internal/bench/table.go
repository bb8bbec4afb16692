package bench

import (
	"strings"
	"unicode/utf8"
)

// table is a markdown table built row by row.
type table struct {
	header []string
	// right marks the columns aligned right (numbers).
	right []bool
	rows  [][]string
}

func newTable(header ...string) *table {
	return &table{header: header, right: make([]bool, len(header))}
}

// alignRight aligns the given columns to the right.
func (t *table) alignRight(cols ...int) *table {
	for _, c := range cols {
		if c >= 0 && c < len(t.right) {
			t.right[c] = true
		}
	}
	return t
}

// add appends a row; missing cells are empty and extra cells dropped.
func (t *table) add(cells ...string) {
	row := make([]string, len(t.header))
	copy(row, cells)
	t.rows = append(t.rows, row)
}

// markdown renders the table with padded columns, so that it reads well
// as plain text too. A | in a cell is escaped.
func (t *table) markdown() string {
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	width := make([]int, len(t.header))
	for i, h := range t.header {
		width[i] = max(3, utf8.RuneCountInString(cell(h)))
	}
	for _, r := range t.rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(cell(c)))
		}
	}
	var b strings.Builder
	line := func(cells []string) {
		b.WriteString("|")
		for i, c := range cells {
			c = cell(c)
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			b.WriteString(" ")
			if t.right[i] {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	line(t.header)
	b.WriteString("|")
	for i, w := range width {
		if t.right[i] {
			b.WriteString(" " + strings.Repeat("-", w-1) + ": |")
		} else {
			b.WriteString(" " + strings.Repeat("-", w) + " |")
		}
	}
	b.WriteString("\n")
	for _, r := range t.rows {
		line(r)
	}
	return b.String()
}
