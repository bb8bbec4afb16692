package drills

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	hn "github.com/openinventory/assets/internal/harness"
)

// spec is `assets args...` with the drills' environment, its output
// appended to logs/<name>.log.
func (h *harness) spec(name string, args ...string) hn.Spec {
	return hn.Spec{Name: "assets " + name, Bin: h.bin, Args: args, Env: h.childEnv(),
		Log: filepath.Join(h.logDir, name+".log"), AppendLog: true}
}

// spawn starts a long-running `assets args...` (serve or sync).
func (h *harness) spawn(name string, args ...string) (*hn.Child, error) {
	c, err := hn.Start(h.spec(name, args...))
	if err != nil {
		return nil, err
	}
	h.pids.Track(c)
	h.log.Debug("drills: started a child", "name", name, "pid", c.Pid())
	return c, nil
}

// runChild runs `assets args...` to completion within timeout and returns
// its standard output; a non-zero exit status is an *hn.ExitStatusError.
func (h *harness) runChild(ctx context.Context, name string, timeout time.Duration, args ...string) ([]byte, error) {
	return hn.Run(ctx, h.spec(name, args...), timeout)
}

// services runs scripts/services.sh ACTION SERVICE, e.g. stop
// elasticsearch, its output going to logs/services.log.
func (h *harness) services(ctx context.Context, action, service string) error {
	return h.servicesArgs(ctx, action, service)
}

// servicesArgs runs scripts/services.sh ACTION SERVICE [ARGS...], e.g.
// stop elasticsearch 2 (node 2 of a cluster).
func (h *harness) servicesArgs(ctx context.Context, action, service string, args ...string) error {
	h.log.Info("drills: services", "action", action, "service", service, "args", args)
	_, err := hn.Run(ctx, hn.Spec{Name: "services", Bin: h.cfg.ServicesScript, Args: append([]string{action, service}, args...),
		Log: filepath.Join(h.logDir, "services.log"), AppendLog: true}, h.cfg.ServicesTimeout)
	if err != nil {
		return fmt.Errorf("%s %s %s %s: %w", h.cfg.ServicesScript, action, service, strings.Join(args, " "), err)
	}
	return nil
}
