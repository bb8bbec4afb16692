package store

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes (PostgreSQL's error codes) that the project tells apart.
const (
	SQLStateForeignKeyViolation  = "23503" // foreign_key_violation
	SQLStateUniqueViolation      = "23505" // unique_violation
	SQLStateCheckViolation       = "23514" // check_violation: e.g. the label and tag limits
	SQLStateSerializationFailure = "40001" // serialization_failure
	SQLStateDeadlockDetected     = "40P01" // deadlock_detected
	SQLStateUndefinedTable       = "42P01" // undefined_table
	SQLStateQueryCanceled        = "57014" // query_canceled

	// SQLStateClassConnectionException prefixes the codes of a lost or
	// refused connection (08000, 08006, ...).
	SQLStateClassConnectionException = "08"
	// SQLStateClassServerShutdown prefixes admin_shutdown (57P01),
	// crash_shutdown (57P02) and cannot_connect_now (57P03): the server is
	// going away or not yet up.
	SQLStateClassServerShutdown = "57P"
)

// SQLState is the SQLSTATE code of a PostgreSQL error in err's chain, or ""
// when there is none.
func SQLState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
