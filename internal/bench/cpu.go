package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPU is the processor time spent during a phase, in seconds, by
// Elasticsearch, by the PostgreSQL backends serving the benchmark's
// database, and by this process. On a small shared machine it explains
// wall times better than wall time itself does.
type CPU struct {
	Elasticsearch float64 `json:"elasticsearch"`
	Postgres      float64 `json:"postgresql_backends"`
	Bench         float64 `json:"this_process"`
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times (100 on Linux).
const clockTicks = 100

// cpuNow reads the three counters; a counter that cannot be read is zero
// in both snapshots of a phase, so it only shows as no time.
func (r *runner) cpuNow(ctx context.Context) CPU {
	var c CPU
	if b, err := r.es.Do(ctx, http.MethodGet, "/_nodes/_local/stats/process?filter_path=nodes.*.process.cpu.total_in_millis", nil); err == nil {
		var res struct {
			Nodes map[string]struct {
				Process struct {
					CPU struct {
						Total int64 `json:"total_in_millis"`
					} `json:"cpu"`
				} `json:"process"`
			} `json:"nodes"`
		}
		if json.Unmarshal(b, &res) == nil {
			for _, n := range res.Nodes {
				c.Elasticsearch += float64(n.Process.CPU.Total) / 1000
			}
		}
	}
	c.Postgres = backendSeconds(r.databaseName())
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.Bench = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	}
	return c
}

// sub is the time spent between two snapshots.
func (c CPU) sub(before CPU) CPU {
	return CPU{Elasticsearch: c.Elasticsearch - before.Elasticsearch, Postgres: c.Postgres - before.Postgres, Bench: c.Bench - before.Bench}
}

// databaseName is the benchmark database's name.
func (r *runner) databaseName() string {
	return r.pool.Config().ConnConfig.Database
}

// backendSeconds adds up the CPU time of the PostgreSQL backends connected
// to database (their titles read "postgres: USER DATABASE HOST ..."). The
// pool keeps its connections, so a phase's backends live through it.
func backendSeconds(database string) float64 {
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	var ticks int64
	for _, d := range dirs {
		if _, err := strconv.Atoi(d.Name()); err != nil {
			continue
		}
		cmd, err := os.ReadFile(filepath.Join("/proc", d.Name(), "cmdline"))
		if err != nil {
			continue
		}
		f := strings.Fields(strings.ReplaceAll(string(cmd), "\x00", " "))
		if len(f) < 3 || f[0] != "postgres:" || f[2] != database {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", d.Name(), "stat"))
		if err != nil {
			continue
		}
		ticks += statTicks(string(stat))
	}
	return float64(ticks) / clockTicks
}

// statTicks is utime+stime of a /proc/PID/stat line (fields 14 and 15,
// counted after the parenthesised command, which may hold spaces).
func statTicks(stat string) int64 {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}
