package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat (100 on every
// Linux architecture Go supports).
const clockTicks = 100

// tailLines is how many output lines of a process are kept for error messages and for the
// stationsim summary.
const tailLines = 400

// proc is a child process. Its stdout and stderr go to a log file and, line by line, to
// the watchers registered when it was started.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and its output is read
	err  error         // the exit status, once done is closed

	mu   sync.Mutex
	tail []string
}

// watch asks to be told the first time a line containing substr is printed.
type watch struct {
	substr string
	seen   chan time.Time // buffered; receives the time the line was read
}

func newWatch(substr string) watch { return watch{substr: substr, seen: make(chan time.Time, 1)} }

// startProc starts bin with args; its output is appended to logPath.
func startProc(name, logPath, bin string, args []string, watches ...watch) (*proc, error) {
	return startProcEnv(name, logPath, bin, args, nil, watches...)
}

// startProcEnv is startProc with env added to qbench's environment.
func startProcEnv(name, logPath, bin string, args, env []string, watches ...watch) (*proc, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	p := &proc{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	p.cmd.SysProcAttr = sysProcAttr()
	if len(env) > 0 {
		p.cmd.Env = append(os.Environ(), env...)
	}
	err = p.cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.read(pr, logf, watches)
		p.err = p.cmd.Wait()
		pr.Close()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// read copies the output to the log and the tail, and fires the watches.
func (p *proc) read(r io.Reader, log io.Writer, watches []watch) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			now := time.Now()
			_, _ = io.WriteString(log, line)
			for i := range watches {
				if watches[i].substr != "" && strings.Contains(line, watches[i].substr) {
					watches[i].seen <- now
					watches[i].substr = ""
				}
			}
			p.mu.Lock()
			p.tail = append(p.tail, strings.TrimRight(line, "\n"))
			if len(p.tail) > tailLines {
				p.tail = p.tail[len(p.tail)-tailLines:]
			}
			p.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// Tail returns the last n lines of output.
func (p *proc) Tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.tail
	if len(t) > n {
		t = t[len(t)-n:]
	}
	return strings.Join(t, "\n")
}

// Lines returns the kept output lines.
func (p *proc) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tail...)
}

// PID is the process id.
func (p *proc) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has exited.
func (p *proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits for the process to exit, at most timeout, and returns its exit error.
func (p *proc) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s did not exit within %v", p.name, timeout)
	}
}

// Stop sends sig, waits up to timeout, then kills the process.
func (p *proc) Stop(sig syscall.Signal, timeout time.Duration) error {
	if p.Exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %v after %v; killed", p.name, timeout, sig)
	}
}

// CPU returns the process's user+system CPU seconds so far, from /proc/<pid>/stat.
func (p *proc) CPU() (float64, error) { return procCPU(p.PID()) }

func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; the fields after its ")" are fixed.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return float64(utime+stime) / clockTicks, nil
}

// mustCPU is CPU with 0 for a process that is gone.
func (p *proc) mustCPU() float64 {
	c, _ := p.CPU()
	return c
}

// PeakRSS returns VmHWM, the process's peak resident set size, in bytes.
func (p *proc) PeakRSS() (int64, error) { return peakRSS(p.PID()) }

func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc status")
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitFor polls cond every interval until it returns true, an error, or timeout passes.
func waitFor(timeout, interval time.Duration, what string, cond func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("%s: not done within %v: %w", what, timeout, err)
			}
			return fmt.Errorf("%s: not done within %v", what, timeout)
		}
		time.Sleep(interval)
	}
}
