package drills

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a long-running assets process (serve or sync).
type child struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // set before done closes
}

// spawn starts `assets args...` with the drills' environment, its output
// appended to logs/<name>.log.
func (h *harness) spawn(name string, args ...string) (*child, error) {
	logPath := filepath.Join(h.logDir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", logPath, err)
	}
	fmt.Fprintf(logf, "--- %s: assets %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
	cmd := exec.Command(h.bin, args...)
	cmd.Env = h.childEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting assets %s: %w", name, err)
	}
	h.pids.add(cmd.Process.Pid)
	c := &child{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		logf.Close()
		h.pids.remove(cmd.Process.Pid)
		close(c.done)
	}()
	h.log.Debug("drills: started a child", "name", name, "pid", cmd.Process.Pid)
	return c, nil
}

func (c *child) alive() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// exitErr is how the child ended (nil while it runs).
func (c *child) exitErr() error {
	if c.alive() {
		return nil
	}
	if c.err == nil {
		return errors.New("exit status 0")
	}
	return c.err
}

// kill sends SIGKILL and waits for the process to be gone.
func (c *child) kill() error {
	if !c.alive() {
		return nil
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s (pid %d): %w", c.name, c.cmd.Process.Pid, err)
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s (pid %d) did not die after SIGKILL", c.name, c.cmd.Process.Pid)
	}
}

// stop asks the child to shut down (SIGTERM) and kills it after timeout.
func (c *child) stop(timeout time.Duration) error {
	if !c.alive() {
		return nil
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return nil
	case <-time.After(timeout):
		return c.kill()
	}
}

// exitStatusError is a child that ran to completion with a non-zero status.
type exitStatusError struct {
	args   []string
	code   int
	stderr string
}

func (e *exitStatusError) Error() string {
	return fmt.Sprintf("assets %s: exit status %d: %s", strings.Join(e.args, " "), e.code, e.stderr)
}

// runChild runs `assets args...` to completion within timeout and returns
// its standard output; its standard error goes to logs/<name>.log, and the
// tail of it into the error.
func (h *harness) runChild(ctx context.Context, name string, timeout time.Duration, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	logPath := filepath.Join(h.logDir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", logPath, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- %s: assets %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
	var stdout bytes.Buffer
	tail := &tailBuffer{max: 2048}
	cmd := exec.CommandContext(ctx, h.bin, args...)
	cmd.Env = h.childEnv()
	cmd.Stdout = &stdout
	cmd.Stderr = multiWriter{logf, tail}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	err = cmd.Run()
	fmt.Fprintf(logf, "%s\n", truncate(stdout.Bytes(), 4000))
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.Bytes(), nil
	case ctx.Err() != nil:
		return stdout.Bytes(), fmt.Errorf("assets %s: did not finish within %s: %w", strings.Join(args, " "), timeout, ctx.Err())
	case errors.As(err, &ee):
		return stdout.Bytes(), &exitStatusError{args: args, code: ee.ExitCode(), stderr: oneLine(tail.String())}
	}
	return stdout.Bytes(), fmt.Errorf("assets %s: %w", strings.Join(args, " "), err)
}

// services runs scripts/services.sh ACTION SERVICE, e.g. stop
// elasticsearch, its output going to logs/services.log.
func (h *harness) services(ctx context.Context, action, service string) error {
	ctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	logPath := filepath.Join(h.logDir, "services.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening %s: %w", logPath, err)
	}
	defer logf.Close()
	fmt.Fprintf(logf, "--- %s: %s %s %s\n", time.Now().Format(time.RFC3339Nano), h.cfg.ServicesScript, action, service)
	tail := &tailBuffer{max: 1024}
	cmd := exec.CommandContext(ctx, h.cfg.ServicesScript, action, service)
	cmd.Stdout = logf
	cmd.Stderr = multiWriter{logf, tail}
	cmd.WaitDelay = 15 * time.Second
	h.log.Info("drills: services", "action", action, "service", service)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s %s: %w: %s", h.cfg.ServicesScript, action, service, err, oneLine(tail.String()))
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// multiWriter writes to each writer, ignoring the errors of all but the
// first (the log file matters; the tail is best effort).
type multiWriter []interface{ Write([]byte) (int, error) }

func (m multiWriter) Write(p []byte) (int, error) {
	n, err := m[0].Write(p)
	for _, w := range m[1:] {
		_, _ = w.Write(p)
	}
	return n, err
}

// pidFile records the pids of running children, so that a run that was
// itself killed can have its orphans ended by the next run.
type pidFile struct {
	mu   sync.Mutex
	path string
	pids map[int]bool
}

func (p *pidFile) add(pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pids == nil {
		p.pids = map[int]bool{}
	}
	p.pids[pid] = true
	p.write()
}

func (p *pidFile) remove(pid int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.pids, pid)
	p.write()
}

func (p *pidFile) write() {
	var b strings.Builder
	for pid := range p.pids {
		fmt.Fprintln(&b, pid)
	}
	_ = os.WriteFile(p.path, []byte(b.String()), 0o644)
}

// killLeftovers kills the recorded pids that still run the drills' copy
// of the binary (and only those: a pid may have been reused since).
func (p *pidFile) killLeftovers(binary string, log *slog.Logger) {
	f, err := os.Open(p.path)
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		pid, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
		if err != nil || pid <= 1 {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || strings.TrimSuffix(exe, " (deleted)") != binary {
			continue
		}
		log.Warn("drills: killing a child left by an earlier run", "pid", pid)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}
