package agent

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

var clockTicks = sync.OnceValue(func() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && n > 0 {
			return float64(n)
		}
	}
	return 100
})

// procTimes is what /proc/<pid>/stat says of a process's CPU time, in
// clock ticks: its own (all its threads) and that of its children it has
// waited for.
type procTimes struct {
	utime, stime   int64 // fields 14 and 15
	cutime, cstime int64 // fields 16 and 17: waited-for children
}

func readProcTimes(pid int) (procTimes, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procTimes{}, err
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// after its closing parenthesis, where field 3 (state) begins.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return procTimes{}, fmt.Errorf("/proc/%d/stat: no command name", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 15 {
		return procTimes{}, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(fields)+2)
	}
	var v [4]int64
	for j := range v {
		n, err := strconv.ParseInt(fields[11+j], 10, 64) // fields 14 to 17
		if err != nil {
			return procTimes{}, fmt.Errorf("/proc/%d/stat: field %d %q", pid, 14+j, fields[11+j])
		}
		v[j] = n
	}
	return procTimes{utime: v[0], stime: v[1], cutime: v[2], cstime: v[3]}, nil
}

func ticks(n int64) time.Duration {
	return time.Duration(float64(n) / clockTicks() * float64(time.Second))
}

// CPUTime is the user+system CPU time of process pid, all its threads,
// from /proc/<pid>/stat.
func CPUTime(pid int) (time.Duration, error) {
	t, err := readProcTimes(pid)
	if err != nil {
		return 0, err
	}
	return ticks(t.utime + t.stime), nil
}

// TreeCPU is the user+system CPU time of process pid and its descendants:
// of every process still running in the tree (found through
// /proc/<pid>/task/<tid>/children of each of its threads, since any thread
// may start a child) its own time and that of the children it has waited
// for (cutime, cstime), which the kernel adds to the parent once the child
// is reaped. A child that exited but was not reaped yet still has its
// /proc entry and counts as running. Grandchildren orphaned to init are
// lost; the shippers measured here do not leave any.
func TreeCPU(pid int) (time.Duration, error) {
	n, err := treeTicks(pid)
	return ticks(n), err
}

func treeTicks(pid int) (int64, error) {
	t, err := readProcTimes(pid)
	if err != nil {
		return 0, err
	}
	sum := t.utime + t.stime + t.cutime + t.cstime
	for _, c := range Children(pid) {
		// A child may exit between the listing and the read: it then is
		// in its parent's cutime (once reaped) or lost for this reading.
		if n, err := treeTicks(c); err == nil {
			sum += n
		}
	}
	return sum, nil
}

// Children lists the running children of pid, from every thread's
// /proc/<pid>/task/<tid>/children.
func Children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var kids []int
	for _, path := range tasks {
		b, _ := os.ReadFile(path)
		for _, f := range strings.Fields(string(b)) {
			if k, err := strconv.Atoi(f); err == nil {
				kids = append(kids, k)
			}
		}
	}
	return kids
}
