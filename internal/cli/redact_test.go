package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/openinventory/assets/internal/testenv"
)

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"postgres://user:s3cret@db:5432/assets?sslmode=disable", "postgres://user:xxxxx@db:5432/assets?sslmode=disable"},
		{"https://elastic:p%40ss@es1:9200,https://elastic:p%40ss@es2:9200", "https://elastic:xxxxx@es1:9200,https://elastic:xxxxx@es2:9200"},
		{"postgres://db/assets?user=u&password=s3cret", "postgres://db/assets?user=u&password=xxxxx"},
		{"host=db user=u password=s3cret dbname=assets", "host=db user=u password=xxxxx dbname=assets"},
		{"http://localhost:9200", "http://localhost:9200"},
		{"postgres://user@db/assets", "postgres://user@db/assets"},
	} {
		if got := RedactURL(tc.in); got != tc.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactError(t *testing.T) {
	t.Parallel()
	base := errors.New("boom")
	raw := "https://elastic:p%40ss@es:9200"
	err := RedactError(fmt.Errorf("GET https://elastic:p%%40ss@es:9200/ (p@ss): %w", base), raw)
	if strings.Contains(err.Error(), "p@ss") || strings.Contains(err.Error(), "p%40ss") {
		t.Errorf("the password is still in %q", err)
	}
	if !errors.Is(err, base) {
		t.Error("the chain is lost")
	}
	if RedactError(nil, raw) != nil {
		t.Error("nil became an error")
	}
}

// TestConnectRedacts connects to a real PostgreSQL and an Elasticsearch URL
// with credentials where nothing answers: the error names the URL without
// the password.
func TestConnectRedacts(t *testing.T) {
	t.Parallel()
	e := &Env{DatabaseURL: testenv.DatabaseURL(t), ElasticsearchURL: "http://elastic:ess3cret@127.0.0.1:1", IndexPrefix: "unused"}
	_, _, err := Connect(t.Context(), e)
	if err == nil {
		t.Fatal("connected to nothing")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a password is printed: %v", err)
	}
}
