package drills

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// fuzzTimeout bounds one schemathesis run.
const fuzzTimeout = 6 * time.Minute

// fuzzOpenAPI runs schemathesis against the server's own OpenAPI document
// with tenant A's token and real ids for the path parameters, checking that
// no answer is a 5xx and every answer matches the document's schemas.
func fuzzOpenAPI(ctx context.Context, h *harness) Result {
	return fuzz(ctx, h, fuzzTarget{
		name: "schemathesis", spec: h.api + "/rest/openapi.json", url: h.api,
		checks: "not_a_server_error,response_schema_conformance",
	})
}

// fuzzTarget is one schemathesis run: the document (a URL or a file), the
// base URL its paths are relative to, the checks, and extra arguments
// (operations to leave out).
type fuzzTarget struct {
	name, spec, url, checks string
	extra                   []string
}

// servedOperations is how many operations the server serves at each of
// the three scopes, for the examples per operation.
const servedOperations = 30

// fuzz runs schemathesis for t with tenant A's token and real ids for the
// path parameters, then verifies that the index followed the generated
// PATCHes.
func fuzz(ctx context.Context, h *harness, t fuzzTarget) Result {
	r := Result{}
	if h.cfg.Schemathesis == "" {
		return r.passIf(false, "no schemathesis CLI given (scripts/drills.sh installs one into .services/venv)")
	}
	dir := filepath.Join(h.cfg.WorkDir, t.name)
	if err := os.RemoveAll(dir); err != nil {
		return r.passIf(false, err.Error())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r.passIf(false, err.Error())
	}
	tf := h.fx.tenants[0]
	confPath, err := h.writeFuzzConfig(ctx, tf, dir)
	if err != nil {
		return r.passIf(false, err.Error())
	}
	// Examples per operation: enough for FuzzRequests over the served
	// operations from the fuzzing phase alone; the other phases add more.
	perOp := h.cfg.FuzzRequests/servedOperations + 10
	events := filepath.Join(dir, "events.ndjson")
	args := append([]string{
		"--config-file", confPath, "run", t.spec,
		"--url", t.url,
		"--checks", t.checks,
		"--max-examples", fmt.Sprint(perOp),
		"--seed", fmt.Sprint(h.cfg.Seed),
		// One worker: Python 3.11's ast module is not thread-safe, and
		// Hypothesis parses lambdas with it ("AST constructor recursion
		// depth mismatch" errors with two).
		"--workers", "1",
		"--max-redirects", "0",
		"--request-timeout", "20",
		"--continue-on-failure",
		"--suppress-health-check", "all",
		"--generation-database", "none",
		"--report", "ndjson", "--report-ndjson-path", events,
		"--no-color",
		"-H", "Authorization: Token " + tf.token,
	}, t.extra...)
	logPath := filepath.Join(h.logDir, t.name+".log")
	began := time.Now()
	runErr := runLogged(ctx, h.cfg.Schemathesis, args, dir, logPath, fuzzTimeout)
	took := time.Since(began)
	st, err := readFuzzEvents(events)
	if err != nil {
		return r.passIf(false, fmt.Sprintf("reading %s: %v (see %s)", events, err, logPath))
	}
	r.Measured = fmt.Sprintf("%d requests over %d operations in %s: %s", st.requests, st.operations, took.Round(time.Second), st)
	// The generated PATCHes wrote to the asset: the index must follow.
	rep, verr := h.verify(ctx)
	if verr == nil {
		r.Measured += "; " + rep.String()
	}
	switch {
	case st.requests < h.cfg.FuzzRequests:
		return r.passIf(false, fmt.Sprintf("only %d requests, want at least %d", st.requests, h.cfg.FuzzRequests))
	case len(st.failures) > 0:
		return r.passIf(false, fmt.Sprintf("%d failures, e.g. %s (details in %s)", len(st.failures), strings.Join(firstN(st.failures, 3), " | "), logPath))
	case len(st.errors) > 0:
		return r.passIf(false, fmt.Sprintf("schemathesis ran into %d errors, e.g. %s (see %s)", len(st.errors), strings.Join(firstN(st.errors, 2), " | "), logPath))
	case runErr != nil:
		return r.passIf(false, fmt.Sprintf("schemathesis: %v (see %s)", runErr, logPath))
	case verr != nil:
		return r.passIf(false, verr.Error())
	}
	return r.passIf(rep.ok(), "PostgreSQL and Elasticsearch drifted")
}

// writeFuzzConfig stores a search in each scope of tf and writes the
// schemathesis configuration pinning the real ids into dir.
func (h *harness) writeFuzzConfig(ctx context.Context, tf tenantFixture, dir string) (string, error) {
	searches := map[string]string{}
	scopes := map[string]string{"Tenant": tf.id, "Group": tf.groupID, "Org": tf.orgID}
	for label, id := range scopes {
		sid, err := h.createSearch(ctx, tf, strings.ToLower(label), id)
		if err != nil {
			return "", err
		}
		searches[label] = sid
	}
	groupField, filter, err := catalogueIDs("tags")
	if err != nil {
		return "", err
	}
	confPath := filepath.Join(dir, "schemathesis.toml")
	if err := os.WriteFile(confPath, []byte(schemathesisConfig(tf, groupField, filter, searches)), 0o644); err != nil {
		return "", fmt.Errorf("writing the schemathesis configuration: %w", err)
	}
	return confPath, nil
}

// schemathesisConfig pins the path parameters to the fixture's real ids,
// so generated requests reach the handlers rather than stop at a 404.
func schemathesisConfig(tf tenantFixture, groupField, filter string, searches map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[parameters]\n")
	for k, v := range map[string]string{
		"path.tenant_id": tf.id, "path.group_id": tf.groupID, "path.org_id": tf.orgID,
		"path.asset_id": tf.orgAsset, "path.group_field_id": groupField, "path.filter_id": filter,
	} {
		fmt.Fprintf(&b, "%q = %q\n", k, v)
	}
	for _, label := range []string{"Tenant", "Group", "Org"} {
		fmt.Fprintf(&b, "\n[[operations]]\ninclude-operation-id = %q\nparameters = { %q = %q }\n",
			"getAssetSearchResults"+label, "path.search_id", searches[label])
	}
	return b.String()
}

// runLogged runs a command in dir (where schemathesis and Hypothesis keep
// their state) with its output written to logPath.
func runLogged(ctx context.Context, name string, args []string, dir, logPath string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening %s: %w", logPath, err)
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logf, logf
	// Every request stays on loopback, whatever proxy the environment names.
	cmd.Env = append(withoutProxy(os.Environ()), "NO_PROXY=127.0.0.1,localhost,::1", "no_proxy=127.0.0.1,localhost,::1")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	err = cmd.Run()
	if ctx.Err() != nil {
		return fmt.Errorf("did not finish within %s", timeout)
	}
	return err
}

// fuzzStats is what a schemathesis run did, read from its events.
type fuzzStats struct {
	requests   int
	operations int
	statuses   map[int]int
	failures   []string
	errors     []string
}

func (s fuzzStats) String() string {
	return fmt.Sprintf("%s; %d check failures, %d schemathesis errors", formatCounts(s.statuses), len(s.failures), len(s.errors))
}

// fuzzEvent is the part of a schemathesis NDJSON event the drill reads:
// every finished scenario's requests, responses and check results, and
// the errors schemathesis itself ran into.
type fuzzEvent struct {
	ScenarioFinished *struct {
		Recorder struct {
			Label        string `json:"label"`
			Interactions map[string]struct {
				Request struct {
					Method string `json:"method"`
					URI    string `json:"uri"`
				} `json:"request"`
				Response *struct {
					StatusCode int `json:"status_code"`
				} `json:"response"`
			} `json:"interactions"`
			Checks map[string][]struct {
				Name        string `json:"name"`
				Status      string `json:"status"`
				FailureInfo *struct {
					CodeSample string `json:"code_sample"`
					Failure    struct {
						Title   string `json:"title"`
						Message string `json:"message"`
					} `json:"failure"`
				} `json:"failure_info"`
			} `json:"checks"`
		} `json:"recorder"`
	} `json:"ScenarioFinished"`
	NonFatalError *struct {
		Label string `json:"label"`
		Value struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"value"`
	} `json:"NonFatalError"`
	FatalError *struct {
		Exception struct {
			Message string `json:"message"`
		} `json:"exception"`
	} `json:"FatalError"`
}

// readFuzzEvents reads schemathesis's NDJSON event stream.
func readFuzzEvents(path string) (fuzzStats, error) {
	st := fuzzStats{statuses: map[int]int{}}
	f, err := os.Open(path)
	if err != nil {
		return st, err
	}
	defer f.Close()
	ops := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 256<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(`{"ScenarioFinished"`)) && !bytes.HasPrefix(line, []byte(`{"NonFatalError"`)) &&
			!bytes.HasPrefix(line, []byte(`{"FatalError"`)) {
			continue
		}
		var ev fuzzEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return st, fmt.Errorf("bad event: %w", err)
		}
		switch {
		case ev.ScenarioFinished != nil:
			rec := ev.ScenarioFinished.Recorder
			if rec.Label != "Stateful tests" {
				ops[rec.Label] = true
			}
			for id, in := range rec.Interactions {
				st.requests++
				status := 0
				if in.Response != nil {
					status = in.Response.StatusCode
				}
				st.statuses[status]++
				for _, c := range rec.Checks[id] {
					if c.Status != "failure" {
						continue
					}
					what := fmt.Sprintf("%s: %s %s -> %d", c.Name, in.Request.Method, in.Request.URI, status)
					if c.FailureInfo != nil {
						what += ": " + hn.OneLine(c.FailureInfo.Failure.Title+" "+c.FailureInfo.Failure.Message)
					}
					st.failures = append(st.failures, what)
				}
			}
		case ev.NonFatalError != nil:
			st.errors = append(st.errors, ev.NonFatalError.Label+": "+ev.NonFatalError.Value.Type+": "+hn.OneLine(ev.NonFatalError.Value.Message))
		case ev.FatalError != nil:
			st.errors = append(st.errors, "fatal: "+hn.OneLine(ev.FatalError.Exception.Message))
		}
	}
	if err := sc.Err(); err != nil {
		return st, err
	}
	st.operations = len(ops)
	st.failures = uniq(st.failures)
	return st, nil
}

// withoutProxy drops the proxy variables from an environment.
func withoutProxy(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToLower(name) {
		case "http_proxy", "https_proxy", "all_proxy", "no_proxy":
			continue
		}
		out = append(out, kv)
	}
	return out
}
