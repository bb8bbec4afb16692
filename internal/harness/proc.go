package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Spec is a child process: Bin run with Args in the environment Env (the
// child's whole environment), its output going to the file Log.
type Spec struct {
	Name string // for messages, e.g. "the API (serve)"
	Bin  string
	Args []string
	Env  []string
	Log  string
	// AppendLog appends to Log after a line naming the command, instead of
	// truncating it.
	AppendLog bool
}

func (s Spec) openLog() (*os.File, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if s.AppendLog {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(s.Log, flags, 0o644)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", s.Name, err)
	}
	if s.AppendLog {
		fmt.Fprintf(f, "--- %s: %s %s\n", time.Now().Format(time.RFC3339Nano), filepath.Base(s.Bin), strings.Join(s.Args, " "))
	}
	return f, nil
}

func (s Spec) command() string { return filepath.Base(s.Bin) + " " + strings.Join(s.Args, " ") }

// Child is a long-running child process.
type Child struct {
	Name    string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process exited
	err     error         // its exit status, set before done closes
}

// Start starts s.
func Start(s Spec) (*Child, error) {
	logf, err := s.openLog()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(s.Bin, s.Args...)
	cmd.Env = s.Env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s (%s): %w", s.Name, s.command(), err)
	}
	c := &Child{Name: s.Name, LogPath: s.Log, cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	return c, nil
}

// Pid is the process id.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// Done is closed when the process has ended.
func (c *Child) Done() <-chan struct{} { return c.done }

// Exited reports whether the process has ended.
func (c *Child) Exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Err is how the process ended: nil while it runs, "exit status 0" when
// it ended by itself without an error.
func (c *Child) Err() error {
	if !c.Exited() {
		return nil
	}
	if c.err == nil {
		return errors.New("exit status 0")
	}
	return c.err
}

// Kill sends SIGKILL and waits for the process to be gone.
func (c *Child) Kill() error {
	if c.Exited() {
		return nil
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s (pid %d): %w", c.Name, c.Pid(), err)
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s (pid %d) did not die after SIGKILL", c.Name, c.Pid())
	}
}

// Stop asks the process to end (SIGTERM), waits up to timeout, then kills
// it, which it reports as an error. Only this process is signalled.
func (c *Child) Stop(timeout time.Duration) error {
	if c.Exited() {
		return nil
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping %s: %w", c.Name, err)
	}
	select {
	case <-c.done:
		return nil
	case <-time.After(timeout):
	}
	if err := c.Kill(); err != nil {
		return err
	}
	return fmt.Errorf("%s did not stop within %s and was killed", c.Name, timeout)
}

// PeakRSS is the process's resident set high-water mark (VmHWM), in bytes.
func (c *Child) PeakRSS() (int64, error) {
	return procStatusBytes(c.Pid(), "VmHWM")
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

// WaitReady polls url with GET until it answers 200, the child exits, or
// timeout passes.
func WaitReady(ctx context.Context, hc *http.Client, c *Child, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	last := "no answer yet"
	for time.Now().Before(deadline) {
		if c.Exited() {
			return fmt.Errorf("%s exited before it was ready (%v); see %s", c.Name, c.Err(), c.LogPath)
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		status, _, body, err := Request(rctx, hc, http.MethodGet, url, nil, nil)
		cancel()
		switch {
		case err == nil && status == http.StatusOK:
			return nil
		case err != nil:
			last = err.Error()
		default:
			last = fmt.Sprintf("%d %s", status, Truncate(body, 200))
		}
		if !SleepCtx(ctx, 100*time.Millisecond) {
			return ctx.Err()
		}
	}
	return fmt.Errorf("%s was not ready at %s within %s (%s); see %s", c.Name, url, timeout, last, c.LogPath)
}

// ExitStatusError is a child that ran to completion with a non-zero status.
type ExitStatusError struct {
	Command string
	Code    int
	Stderr  string // the end of its standard error, on one line
}

func (e *ExitStatusError) Error() string {
	return fmt.Sprintf("%s: exit status %d: %s", e.Command, e.Code, e.Stderr)
}

// Run runs s to completion within timeout (SIGTERM, then SIGKILL 15 s
// later, when it does not) and returns its standard output; its standard
// error goes to the log, and its end into the error. The log also gets
// the start of the output.
func Run(ctx context.Context, s Spec, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	logf, err := s.openLog()
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	var stdout bytes.Buffer
	tail := &TailBuffer{Max: 2048}
	cmd := exec.CommandContext(ctx, s.Bin, s.Args...)
	cmd.Env = s.Env
	cmd.Stdout = &stdout
	cmd.Stderr = MultiWriter{logf, tail}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	err = cmd.Run()
	fmt.Fprintf(logf, "%s\n", Truncate(stdout.Bytes(), 4000))
	var ee *exec.ExitError
	switch {
	case err == nil:
		return stdout.Bytes(), nil
	case ctx.Err() != nil:
		return stdout.Bytes(), fmt.Errorf("%s: did not finish within %s: %w", s.command(), timeout, ctx.Err())
	case errors.As(err, &ee):
		return stdout.Bytes(), &ExitStatusError{Command: s.command(), Code: ee.ExitCode(), Stderr: OneLine(tail.String())}
	}
	return stdout.Bytes(), fmt.Errorf("%s: %w", s.command(), err)
}

// TailBuffer keeps the last Max bytes written to it.
type TailBuffer struct {
	Max int
	mu  sync.Mutex
	buf []byte
}

func (t *TailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.Max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *TailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// MultiWriter writes to each writer, ignoring the errors of all but the
// first (a log file matters; a tail is best effort).
type MultiWriter []io.Writer

func (m MultiWriter) Write(p []byte) (int, error) {
	n, err := m[0].Write(p)
	for _, w := range m[1:] {
		_, _ = w.Write(p)
	}
	return n, err
}

// PidFile records the pids of running children, so that a run that was
// itself killed can have its orphans ended by the next run.
type PidFile struct {
	Path string
	mu   sync.Mutex
	pids map[int]bool
}

// Track records c's pid until it exits.
func (p *PidFile) Track(c *Child) {
	pid := c.Pid()
	p.update(func(m map[int]bool) { m[pid] = true })
	go func() {
		<-c.Done()
		p.update(func(m map[int]bool) { delete(m, pid) })
	}()
}

func (p *PidFile) update(f func(map[int]bool)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pids == nil {
		p.pids = map[int]bool{}
	}
	f(p.pids)
	var b strings.Builder
	for pid := range p.pids {
		fmt.Fprintln(&b, pid)
	}
	_ = os.WriteFile(p.Path, []byte(b.String()), 0o644)
}

// KillLeftovers kills the recorded pids that still run binary (and only
// those: a pid may have been reused since).
func (p *PidFile) KillLeftovers(binary string, log *slog.Logger) {
	f, err := os.Open(p.Path)
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
		log.Warn("killing a child left by an earlier run", "pid", pid, "binary", binary)
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// CopyExecutable copies the binary src to dst through a temporary name
// and a rename, so that a copy still running from an earlier run is not
// overwritten in place.
func CopyExecutable(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(dst), err)
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("opening %s: %w", src, err)
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err == nil {
		_, err = io.Copy(out, in)
		err = errors.Join(err, out.Close())
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		return fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return nil
}
