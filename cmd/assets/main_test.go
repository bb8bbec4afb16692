package main

import (
	"strings"
	"testing"

	"github.com/openinventory/assets/internal/cli"
)

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	r := run(t, offlineEnv(), "--version")
	if r.err != nil || !strings.HasPrefix(r.out, "assets version ") || strings.TrimSpace(r.out) == "assets version" {
		t.Errorf("--version: %v %q", r.err, r.out)
	}
	if want := cli.Version(); !strings.Contains(r.out, want) {
		t.Errorf("--version printed %q, want %q", r.out, want)
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"bogus"},
		{"seed", "--bogus"},
		{"seed", "--assets", "many"},
		{"seed", "extra"},
		{"import"},
		{"token", "revoke"},
		{"token", "nope"},
		{"verify", "--wait", "soon"},
		{"rsql", "explain", "--filter"},
	} {
		r := run(t, offlineEnv(), args...)
		if r.code != cli.ExitBadInput || !strings.Contains(r.err.Error(), "--help") {
			t.Errorf("%v: exit %d (%v), want 2 pointing to --help", args, r.code, r.err)
		}
	}
	if r := run(t, offlineEnv(), "--help"); r.err != nil || !strings.Contains(r.out, "2 bad input (an unknown command or flag") {
		t.Errorf("--help: %v\n%s", r.err, r.out)
	}
}
