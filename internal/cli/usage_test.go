package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// usageRoot is a small tree: one command with a required flag, an int flag
// and one argument, and one that fails at run time.
func usageRoot() *cobra.Command {
	root := &cobra.Command{Use: "assets", SilenceUsage: true, SilenceErrors: true}
	var n int
	var name string
	one := &cobra.Command{Use: "one ARG", Args: cobra.ExactArgs(1), RunE: func(*cobra.Command, []string) error { return nil }}
	one.Flags().IntVar(&n, "n", 1, "")
	one.Flags().StringVar(&name, "name", "", "")
	_ = one.MarkFlagRequired("name")
	fails := &cobra.Command{Use: "fails", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error { return errors.New("boom") }}
	group := &cobra.Command{Use: "group"}
	group.AddCommand(&cobra.Command{Use: "sub", RunE: func(*cobra.Command, []string) error { return nil }})
	root.AddCommand(one, fails, group)
	root.SetOut(&bytes.Buffer{})
	root.SetErr(&bytes.Buffer{})
	return root
}

func TestUsageErrorsAreBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int // 0: success
	}{
		{[]string{"one", "x", "--name", "a"}, 0},
		{[]string{"nope"}, ExitBadInput},
		{[]string{"one", "x", "--name", "a", "--bogus"}, ExitBadInput},
		{[]string{"one", "x", "--name", "a", "--n", "many"}, ExitBadInput},
		{[]string{"one", "--name", "a"}, ExitBadInput},
		{[]string{"one", "x"}, ExitBadInput},
		{[]string{"fails", "extra"}, ExitBadInput},
		{[]string{"fails"}, ExitFailure},
		{[]string{"group"}, 0},
		{[]string{"group", "sub"}, 0},
		{[]string{"group", "nope"}, ExitBadInput},
	} {
		root := usageRoot()
		root.SetArgs(tc.args)
		err := Execute(context.Background(), root)
		code := 0
		if err != nil {
			code = ExitFailure
			var ee *ExitError
			if errors.As(err, &ee) {
				code = ee.Code
			}
		}
		if code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, code, err, tc.code)
		}
		if code == ExitBadInput && !strings.Contains(err.Error(), "--help") {
			t.Errorf("%v: %v does not point to --help", tc.args, err)
		}
	}
}
