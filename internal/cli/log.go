package cli

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Defaults of the logger Load builds.
const (
	// LogLevelDefault is the level when ASSETS_LOG_LEVEL is unset.
	LogLevelDefault = "info"
	// LogFormatDefault is the format when ASSETS_LOG_FORMAT is unset: text
	// for people; "json" gives one JSON object a line for log shippers.
	LogFormatDefault = "text"
)

// ParseLogLevel reads a level name: debug, info, warn (or warning) or
// error, in any case. Anything else is an error naming what is accepted,
// so a typo does not silently change what gets logged.
func ParseLogLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("ASSETS_LOG_LEVEL %q: want debug, info, warn or error", s)
}

// NewLogger builds the logger of level and format ("text" or "json", any
// case) writing to w. Empty values take LogLevelDefault and
// LogFormatDefault; a bad value is bad input (exit status 2).
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	if level == "" {
		level = LogLevelDefault
	}
	if format == "" {
		format = LogFormatDefault
	}
	lv, err := ParseLogLevel(level)
	if err != nil {
		return nil, BadInput(err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, BadInput(fmt.Errorf("ASSETS_LOG_FORMAT %q: want text or json", format))
}

// loggerFromEnv builds the stderr logger from ASSETS_LOG_LEVEL and
// ASSETS_LOG_FORMAT.
func loggerFromEnv() (*slog.Logger, error) {
	return NewLogger(os.Stderr, os.Getenv("ASSETS_LOG_LEVEL"), os.Getenv("ASSETS_LOG_FORMAT"))
}

// LoadOrExit is Load for a main function: a configuration it cannot use
// is printed as "name: what is wrong" and ends the process with exit
// status 2 before any command runs.
func LoadOrExit(name string) *Env {
	e, err := Load()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(ExitBadInput)
	}
	return e
}
