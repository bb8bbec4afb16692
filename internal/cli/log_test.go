package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestParseLogLevel(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want slog.Level
		bad  bool
	}{
		{in: "debug", want: slog.LevelDebug},
		{in: "DEBUG", want: slog.LevelDebug},
		{in: "Info", want: slog.LevelInfo},
		{in: "warn", want: slog.LevelWarn},
		{in: "WARNING", want: slog.LevelWarn},
		{in: " error ", want: slog.LevelError},
		{in: "verbose", bad: true},
		{in: "info+2", bad: true},
		{in: "", bad: true},
	} {
		got, err := ParseLogLevel(tc.in)
		if tc.bad {
			if err == nil || !strings.Contains(err.Error(), "want debug, info, warn or error") {
				t.Errorf("ParseLogLevel(%q) = %v, %v; want an error naming the levels", tc.in, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseLogLevel(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestNewLoggerFormatsAndLevels(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "WARN", "JSON")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown", "n", 3)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("not one JSON line: %q: %v", buf.String(), err)
	}
	if rec["msg"] != "shown" || rec["level"] != "WARN" || rec["n"] != float64(3) {
		t.Errorf("record = %v", rec)
	}

	buf.Reset()
	log, err = NewLogger(&buf, "", "")
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("shown")
	if got := buf.String(); !strings.HasPrefix(got, "time=") || !strings.Contains(got, "level=INFO msg=shown") || strings.Contains(got, "hidden") {
		t.Errorf("default logger wrote %q; want one text line at info", got)
	}
}

func TestNewLoggerRejectsBadValues(t *testing.T) {
	t.Parallel()
	for _, tc := range [][2]string{{"loud", "text"}, {"info", "xml"}} {
		_, err := NewLogger(&bytes.Buffer{}, tc[0], tc[1])
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Code != ExitBadInput {
			t.Errorf("NewLogger(%q, %q) = %v; want bad input (exit 2)", tc[0], tc[1], err)
		}
	}
}

// TestLoadOrExitBadLevelExits2 runs this test binary again with a bad
// ASSETS_LOG_LEVEL: the process must stop at start-up with status 2 and
// say what is wrong.
func TestLoadOrExitBadLevelExits2(t *testing.T) {
	t.Parallel()
	if os.Getenv("ASSETS_TEST_LOAD_OR_EXIT") == "1" {
		LoadOrExit("assets")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLoadOrExitBadLevelExits2$")
	cmd.Env = append(os.Environ(), "ASSETS_TEST_LOAD_OR_EXIT=1", "ASSETS_LOG_LEVEL=chatty")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var xe *exec.ExitError
	if !errors.As(err, &xe) || xe.ExitCode() != ExitBadInput {
		t.Fatalf("exit = %v; want status 2 (stderr %q)", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), `assets: ASSETS_LOG_LEVEL "chatty": want debug, info, warn or error`) {
		t.Errorf("stderr = %q", stderr.String())
	}
}
