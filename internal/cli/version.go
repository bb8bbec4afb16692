package cli

import (
	"runtime/debug"
	"strings"
)

// Version describes the running binary from its build information: the
// module version when it was built from a tagged module, else the VCS
// revision and commit time ("+dirty" when the tree had changes), else
// "devel".
func Version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return versionOf(info)
}

func versionOf(info *debug.BuildInfo) string {
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	rev := settings["vcs.revision"]
	if rev == "" {
		return "devel"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	parts := []string{"devel", rev}
	if t := settings["vcs.time"]; t != "" {
		parts = append(parts, t)
	}
	v := strings.Join(parts, " ")
	if settings["vcs.modified"] == "true" {
		v += " +dirty"
	}
	return v
}
