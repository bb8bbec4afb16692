package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRSQLParseAndExplainTakeTheFilterAlikeAndValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		code int
		want string // in the output when the command succeeds
	}{
		{[]string{"rsql", "parse", "name==nginx*"}, 0, `"name"`},
		{[]string{"rsql", "parse", "--filter", "name==nginx*"}, 0, `"name"`},
		{[]string{"rsql", "parse", "bogus==1"}, 2, ""},
		{[]string{"rsql", "parse", "risk_score==high"}, 2, ""},
		{[]string{"rsql", "parse", "--no-validate", "bogus==1"}, 0, `"bogus"`},
		{[]string{"rsql", "parse", "name=="}, 2, ""},
		{[]string{"rsql", "parse"}, 2, ""},
		{[]string{"rsql", "parse", "a==1", "b==2"}, 2, ""},
		{[]string{"rsql", "parse", "name==x", "--filter", "name==y"}, 2, ""},
		{[]string{"rsql", "explain", "name==nginx*"}, 0, `"elasticsearch"`},
		{[]string{"rsql", "explain", "--filter", "name==nginx*"}, 0, `"elasticsearch"`},
		{[]string{"rsql", "explain", "bogus==1"}, 2, ""},
		{[]string{"rsql", "explain"}, 2, ""},
	} {
		r := run(t, offlineEnv(), tc.args...)
		if r.code != tc.code {
			t.Errorf("%v: exit %d (%v), want %d", tc.args, r.code, r.err, tc.code)
			continue
		}
		if tc.code == 0 && (!strings.Contains(r.out, tc.want) || !json.Valid([]byte(r.out))) {
			t.Errorf("%v: output %s, want JSON with %s", tc.args, r.out, tc.want)
		}
	}
}
