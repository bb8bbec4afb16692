package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// child is a subcommand of the assets binary run as its own process, so
// that its memory can be read on its own.
type child struct {
	name string
	cmd  *exec.Cmd
	logf *os.File
	done chan struct{} // closed when the process exited
	err  error         // its exit status, once done
}

// startChild runs bin with args and the extra environment (which overrides
// the inherited one), its output going to logPath.
func startChild(name, bin string, args, env []string, logPath string) (*child, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s (%s %s): %w", name, bin, strings.Join(args, " "), err)
	}
	c := &child{name: name, cmd: cmd, logf: logf, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// exited reports whether the process has ended.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// peakRSS is the process's resident set high-water mark (VmHWM), in bytes.
func (c *child) peakRSS() (int64, error) {
	return procStatusBytes(c.cmd.Process.Pid, "VmHWM")
}

// stop asks the process to end (SIGTERM), waits up to timeout, then kills
// it. Only this process is signalled.
func (c *child) stop(timeout time.Duration) error {
	defer c.logf.Close()
	if c.exited() {
		return nil
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", c.name, err)
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(timeout):
	}
	if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s: %w", c.name, err)
	}
	<-c.done
	return fmt.Errorf("%s did not stop within %s and was killed", c.name, timeout)
}

// procStatusBytes reads a "kB" line of /proc/PID/status.
func procStatusBytes(pid int, key string) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("reading the status of process %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), key+":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			break
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			break
		}
		return kb << 10, nil
	}
	return 0, fmt.Errorf("no %s in the status of process %d", key, pid)
}

// freeLoopbackAddr picks a free TCP port on 127.0.0.1.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitReady polls url until it answers 200, the child exits, or timeout.
func waitReady(ctx context.Context, c *child, url string, timeout time.Duration) error {
	hc := newHTTPClient()
	hc.Timeout = 2 * time.Second
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c.exited() {
			return fmt.Errorf("%s exited before it was ready (%v); see %s", c.name, c.err, c.logf.Name())
		}
		if _, _, err := send(ctx, hc, http.MethodGet, url, nil, nil, http.StatusOK); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s was not ready within %s; see %s", c.name, timeout, c.logf.Name())
}
