package loadgen

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// clockTicks is the kernel's USER_HZ, the unit of CPU times in /proc; it is
// 100 on every Linux platform Go supports.
const clockTicks = 100

// procSample is a process's CPU time and memory at one moment.
type procSample struct {
	cpuSeconds float64 // user + system
	rssBytes   int64
	hwmBytes   int64 // peak RSS
}

// sampleProc reads /proc/PID/stat and /proc/PID/status.
func sampleProc(pid int) (procSample, error) {
	var s procSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, fmt.Errorf("hub process %d: %w", pid, err)
	}
	// The command name in parentheses may hold spaces; fields follow it.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("hub process %d: unreadable stat", pid)
	}
	fields := bytes.Fields(stat[i+1:])
	// After ")", field 0 is state (field 3 of the file); utime and stime are
	// fields 14 and 15 of the file.
	if len(fields) < 13 {
		return s, fmt.Errorf("hub process %d: short stat", pid)
	}
	utime, _ := strconv.ParseInt(string(fields[11]), 10, 64)
	stime, _ := strconv.ParseInt(string(fields[12]), 10, 64)
	s.cpuSeconds = float64(utime+stime) / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, fmt.Errorf("hub process %d: %w", pid, err)
	}
	s.rssBytes = statusKiB(status, "VmRSS:") << 10
	s.hwmBytes = statusKiB(status, "VmHWM:") << 10
	return s, nil
}

// statusKiB reads a "Name:   123 kB" line from /proc/PID/status.
func statusKiB(status []byte, name string) int64 {
	i := bytes.Index(status, []byte(name))
	if i < 0 {
		return 0
	}
	line := status[i+len(name):]
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	f := bytes.Fields(line)
	if len(f) == 0 {
		return 0
	}
	n, _ := strconv.ParseInt(string(f[0]), 10, 64)
	return n
}
