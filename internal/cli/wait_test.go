package cli

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openinventory/assets/internal/harness"
	"github.com/openinventory/assets/internal/testenv"
)

// syncBuffer is a log sink safe for the logger's writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	addr, err := harness.FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// testEnv is an Env on a database and an index prefix of the test's own.
func testEnv(t *testing.T) (*Env, *syncBuffer) {
	t.Helper()
	_, prefix := testenv.Elasticsearch(t)
	logs := &syncBuffer{}
	return &Env{
		DatabaseURL:      testenv.DatabaseURL(t),
		ElasticsearchURL: testenv.ElasticsearchURL(t),
		ES:               testenv.ElasticsearchAuth(t),
		IndexPrefix:      prefix,
		Logger:           slog.New(slog.NewTextHandler(logs, nil)),
	}, logs
}

var fastBackoff = Backoff{Initial: 10 * time.Millisecond, Max: 40 * time.Millisecond}

func TestWaitForRetriesUntilTheServicesAnswer(t *testing.T) {
	t.Parallel()
	for _, service := range []string{"PostgreSQL", "Elasticsearch"} {
		t.Run(service, func(t *testing.T) {
			t.Parallel()
			e, logs := testEnv(t)
			realDB, realES := e.DatabaseURL, e.ElasticsearchURL
			dead := closedAddr(t)
			if service == "PostgreSQL" {
				e.DatabaseURL = "postgres://assets:s3cret@" + dead + "/assets?connect_timeout=2"
			} else {
				e.ElasticsearchURL = "http://elastic:s3cret@" + dead
			}
			tries := 0
			err := WaitFor(context.Background(), e.Logger, fastBackoff, func(ctx context.Context) error {
				tries++
				if tries == 3 { // the service comes up
					e.DatabaseURL, e.ElasticsearchURL = realDB, realES
				}
				pool, _, err := Connect(ctx, e)
				if err == nil {
					pool.Close()
				}
				return err
			})
			if err != nil || tries != 3 {
				t.Fatalf("WaitFor = %v after %d tries, want success on the third", err, tries)
			}
			out := logs.String()
			if strings.Count(out, "waiting for a service to answer") != 2 || !strings.Contains(out, service+" at ") {
				t.Errorf("logs do not say why twice:\n%s", out)
			}
			if strings.Contains(out, "s3cret") {
				t.Errorf("logs show the password:\n%s", out)
			}
		})
	}
}

func TestConnectFailsAtOnceNamingTheRedactedURL(t *testing.T) {
	t.Parallel()
	e, _ := testEnv(t)
	e.ElasticsearchURL = "http://elastic:s3cret@" + closedAddr(t)
	_, _, err := Connect(context.Background(), e)
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("Connect = %v, want an UnavailableError", err)
	}
	msg := err.Error()
	for _, want := range []string{"Elasticsearch at http://elastic:xxxxx@", "ASSETS_ELASTICSEARCH_URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, "s3cret") {
		t.Errorf("error shows the password: %s", msg)
	}
}

func TestWaitForStopsAtOtherErrorsAndWhenStopped(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(&syncBuffer{}, nil))
	tries := 0
	bad := BadInput(errors.New("no Elasticsearch URL"))
	err := WaitFor(context.Background(), logger, fastBackoff, func(context.Context) error { tries++; return bad })
	if !errors.Is(err, bad) || tries != 1 {
		t.Errorf("WaitFor(bad input) = %v after %d tries, want the error at once", err, tries)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	down := &UnavailableError{Service: "Elasticsearch", URL: "http://127.0.0.1:1", Env: "ASSETS_ELASTICSEARCH_URL", Err: errors.New("refused")}
	err = WaitFor(ctx, logger, fastBackoff, func(context.Context) error { return down })
	if !errors.Is(err, down) || !strings.Contains(err.Error(), "stopped while waiting") {
		t.Errorf("WaitFor(stopped) = %v", err)
	}
}

func TestBackoffPolicyIsCapped(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in            Backoff
		initial, max_ time.Duration
	}{
		{Backoff{}, ConnectInitialBackoffDefault, ConnectMaxBackoffDefault},
		{Backoff{Max: 100 * time.Millisecond}, 100 * time.Millisecond, 100 * time.Millisecond},
		{Backoff{Initial: time.Second, Max: 5 * time.Second}, time.Second, 5 * time.Second},
	} {
		p := tc.in.policy()
		if p.InitialInterval != tc.initial || p.MaxInterval != tc.max_ || p.MaxElapsedTime != 0 {
			t.Errorf("%+v: policy = %v..%v (elapsed %v)", tc.in, p.InitialInterval, p.MaxInterval, p.MaxElapsedTime)
		}
	}
}
