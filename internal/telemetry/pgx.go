package telemetry

import (
	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
)

// PGXTracer is the tracer of a pgx connection configuration: a span per
// query, batch, copy and prepare, with the SQL text (never its arguments:
// a PATCH's values are the client's data). It records only within a
// caller's span (an API request's), so background statements (the sync
// worker's polls, the search reaper) make no trace of their own. Off, it
// is nil, which pgx treats as no tracer.
func (t *Tracing) PGXTracer() pgx.QueryTracer {
	if t == nil {
		return nil
	}
	return otelpgx.NewTracer(
		otelpgx.WithTracerProvider(t.provider),
		// The pool's acquire spans would double every query's span count
		// for a wait the query span already includes.
		otelpgx.WithDisableAcquireTracer(),
	)
}
