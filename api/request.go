package api

import (
	"context"
	"log/slog"
	"regexp"

	"github.com/google/uuid"
)

// requestState is what the outer middleware and the handlers share about one
// request: its id and logger, the API version it resolved (or why it could
// not, reported after authorization), and what the handlers learned (for
// the log line and the metrics).
type requestState struct {
	id         string
	logger     *slog.Logger
	version    versionInfo
	versionErr error
	err        *Error
}

type stateKey struct{}

func withState(ctx context.Context, rs *requestState) context.Context {
	return context.WithValue(ctx, stateKey{}, rs)
}

func stateOf(ctx context.Context) *requestState {
	rs, _ := ctx.Value(stateKey{}).(*requestState)
	return rs
}

func logger(ctx context.Context) *slog.Logger {
	if rs := stateOf(ctx); rs != nil && rs.logger != nil {
		return rs.logger
	}
	return slog.Default()
}

func requestIDOf(ctx context.Context) string {
	if rs := stateOf(ctx); rs != nil {
		return rs.id
	}
	return ""
}

// callerRequestID accepts a caller's id only when it is short and plain, so
// it can be echoed in headers and logs safely.
var callerRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID echoes the caller's snyk-request-id (or X-Request-ID) or makes a
// new UUID.
func requestID(header func(string) string) string {
	for _, name := range []string{"snyk-request-id", "X-Request-ID"} {
		if v := header(name); callerRequestID.MatchString(v) {
			return v
		}
	}
	return uuid.NewString()
}
