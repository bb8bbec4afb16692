package cli

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	t.Parallel()
	vcs := func(kv ...string) []debug.BuildSetting {
		var s []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			s = append(s, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return s
	}
	for _, tc := range []struct {
		name    string
		version string
		set     []debug.BuildSetting
		want    string
	}{
		{"tagged module", "v1.2.3", vcs("vcs.revision", "0123456789abcdef0123"), "v1.2.3"},
		{"clean checkout", "(devel)", vcs("vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "false"),
			"devel 0123456789ab 2026-01-02T03:04:05Z"},
		{"dirty checkout", "(devel)", vcs("vcs.revision", "0123456789abcdef0123", "vcs.time", "2026-01-02T03:04:05Z", "vcs.modified", "true"),
			"devel 0123456789ab 2026-01-02T03:04:05Z +dirty"},
		{"no vcs", "(devel)", nil, "devel"},
	} {
		info := &debug.BuildInfo{Main: debug.Module{Version: tc.version}, Settings: tc.set}
		if got := versionOf(info); got != tc.want {
			t.Errorf("%s: versionOf = %q, want %q", tc.name, got, tc.want)
		}
	}
	if Version() == "" {
		t.Error("Version is empty")
	}
}
