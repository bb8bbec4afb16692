package api

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// versions are the API versions this server implements, oldest first. A
// request names a date; the newest version on or before it is served.
var versions = []string{"2024-10-15"}

const (
	currentVersion = "2024-10-15"
	versionStage   = "beta"
)

var versionPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

type versionInfo struct {
	requested string
	served    string
}

// resolveVersion checks the version query parameter. The outer middleware
// calls it once per request and keeps the answer in the request state. The contract does not
// require it, so a missing one is served the current version; a malformed
// date or one before the first version is a 400 naming the versions.
func resolveVersion(r *http.Request) (versionInfo, error) {
	q := r.URL.Query()
	if !q.Has("version") {
		return versionInfo{served: currentVersion}, nil
	}
	v := q.Get("version")
	if !versionPattern.MatchString(v) {
		return versionInfo{}, badParameter("version", "The version %q is not a date of the form YYYY-MM-DD. Available versions: %s.", truncate(v, 40), strings.Join(versions, ", "))
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return versionInfo{}, badParameter("version", "The version %q is not a valid date. Available versions: %s.", v, strings.Join(versions, ", "))
	}
	// Dates of the fixed form compare as strings.
	i := sort.SearchStrings(versions, v)
	if i < len(versions) && versions[i] == v {
		return versionInfo{requested: v, served: v}, nil
	}
	if i == 0 {
		return versionInfo{}, badParameter("version", "The version %s is not available: the first version is %s. Available versions: %s.", v, versions[0], strings.Join(versions, ", "))
	}
	return versionInfo{requested: v, served: versions[i-1]}, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
