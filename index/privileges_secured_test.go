//go:build securedes

// The tests of this file need a secured cluster (scripts/services.sh with
// ASSETS_ES_SECURITY=on), which `make test` does not start: they are built
// only with `-tags securedes`, so the usual suite never skips them.

package index

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/openinventory/assets/internal/testenv"
)

// TestCheckPrivilegesSecured needs ASSETS_TEST_SECURED_ES (the URL
// of a secured cluster, with ASSETS_ELASTICSEARCH_API_KEY or _USERNAME and
// _PASSWORD of the role assets_service covering test_*, and _CA_CERT): the
// role's credentials pass on test_*; on a prefix outside the role they fail
// with the missing privileges and the role named.
func TestCheckPrivilegesSecured(t *testing.T) {
	t.Parallel()
	url := os.Getenv("ASSETS_TEST_SECURED_ES")
	if url == "" {
		t.Fatal("ASSETS_TEST_SECURED_ES is not set: name the secured cluster to check privileges on (docs/elasticsearch-security.md)")
	}
	es := testenv.ElasticsearchClient(t, url)
	ctx := context.Background()
	if err := New(es, testenv.Name("test_")).CheckPrivileges(ctx); err != nil {
		t.Fatalf("CheckPrivileges with the role: %v", err)
	}
	outside := testenv.Name("unprivileged_")
	err := New(es, outside).CheckPrivileges(ctx)
	var pe *PrivilegeError
	if !errors.As(err, &pe) {
		t.Fatalf("CheckPrivileges outside the role = %v, want a *PrivilegeError", err)
	}
	for _, want := range []string{"index privilege manage on " + outside, "index privilege write on " + outside + "-*", ServiceRole} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not name %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "cluster privilege") {
		t.Fatalf("error %q names a cluster privilege the role holds", err)
	}
}
