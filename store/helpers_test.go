package store_test

import (
	"io"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openinventory/assets/internal/testenv"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func testenvPostgres(t testing.TB) *pgxpool.Pool { return testenv.Postgres(t) }
