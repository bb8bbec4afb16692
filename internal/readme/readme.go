// Package readme keeps the README's examples true: it finds the README's sh
// blocks and turns them into one bash script that reports, block by block,
// the status of every curl request, so a test can run them as written.
package readme

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Block is one fenced sh block of the README.
type Block struct {
	Number int    // 1-based, in the order of the README
	Line   int    // line of the opening fence
	Code   string // the block's text, without the fences
}

// Requests counts the curl commands in the block.
func (b Block) Requests() int { return len(curlCall.FindAllString(b.Code, -1)) }

var curlCall = regexp.MustCompile(`(?m)(^|[|;&(]\s*|\$\()curl\s`)

// ShellBlocks returns the blocks fenced as sh (```sh). Blocks fenced
// otherwise (console, text, json) are shown, not run.
func ShellBlocks(markdown string) []Block {
	var blocks []Block
	var cur *Block
	var code strings.Builder
	for i, line := range strings.Split(markdown, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case cur == nil && trimmed == "```sh":
			cur = &Block{Number: len(blocks) + 1, Line: i + 1}
			code.Reset()
		case cur != nil && trimmed == "```":
			cur.Code = code.String()
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			code.WriteString(line)
			code.WriteByte('\n')
		}
	}
	return blocks
}

// Script runs the blocks in order in one bash with errexit, nounset and
// pipefail. curl is wrapped so that every request writes its status,
// method and URL to stderr and a status of 400 or more fails the block;
// after each block a line "readme: block N ok" goes to stderr.
func Script(blocks []Block) string {
	var b strings.Builder
	b.WriteString("set -euo pipefail\n")
	b.WriteString(`curl() { command curl --fail-with-body -w '%{stderr}readme: status %{http_code} %{method} %{url_effective}\n' "$@"; }` + "\n")
	for _, bl := range blocks {
		fmt.Fprintf(&b, "echo 'readme: block %d start' >&2\n", bl.Number)
		b.WriteString(bl.Code)
		fmt.Fprintf(&b, "\necho 'readme: block %d ok' >&2\n", bl.Number)
	}
	return b.String()
}

// Status is one request a block sent.
type Status struct {
	Code   int
	Method string
	URL    string
}

// Result is what one block did: present only when the block finished.
type Result struct {
	Statuses []Status
}

// Results reads the script's stderr: the blocks that finished, with the
// statuses of their requests.
func Results(stderr string) map[int]Result {
	results := map[int]Result{}
	var statuses []Status
	for _, line := range strings.Split(stderr, "\n") {
		rest, ok := strings.CutPrefix(line, "readme: ")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		switch {
		case len(f) == 3 && f[0] == "block" && f[2] == "start":
			statuses = nil
		case len(f) == 3 && f[0] == "block" && f[2] == "ok":
			if n, err := strconv.Atoi(f[1]); err == nil {
				results[n] = Result{Statuses: statuses}
			}
		case len(f) == 4 && f[0] == "status":
			code, _ := strconv.Atoi(f[1])
			statuses = append(statuses, Status{Code: code, Method: f[2], URL: f[3]})
		}
	}
	return results
}

var link = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// RelativeLinks returns the targets of the markdown links that are not
// URLs or in-page anchors, without any #fragment.
func RelativeLinks(markdown string) []string {
	var out []string
	for _, m := range link.FindAllStringSubmatch(markdown, -1) {
		target := m[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		target, _, _ = strings.Cut(target, "#")
		out = append(out, target)
	}
	return out
}
