package api

// csvSafe guards a CSV cell against formula injection (the OWASP rule): a
// spreadsheet evaluates a cell that starts with = + - @, a tab or a carriage
// return as a formula, so such a cell gets a leading single quote and is
// shown as text. Only the first character matters; the rest is kept.
func csvSafe(cell string) string {
	if cell == "" {
		return cell
	}
	switch cell[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + cell
	}
	return cell
}
