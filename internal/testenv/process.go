package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// readyTimeout bounds the wait for a started service to answer. influxd with Flux burns
	// about 4 s of CPU before it listens: 2-3 s on an idle 2-core machine, 45 s was seen on
	// one loaded ten times over.
	readyTimeout = 2 * time.Minute
	// stopTimeout bounds a graceful stop before SIGKILL.
	stopTimeout = 15 * time.Second
	// tailLines is how much of a service log a failed test prints.
	tailLines = 60
)

// process is one service run by a test, started and stopped any number of times with the same
// command line and log file.
type process struct {
	tb      testing.TB
	name    string // "mosquitto", for messages and the log file name
	path    string
	args    []string
	logPath string
	ready   func() error // nil once the service answers
	run     *run         // the current run, nil before the first start
}

// run is one start of a process.
type run struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
	err    error         // Wait's result, read only after exited is closed
	ended  bool          // stop or kill was asked for: an exit is no surprise
}

// newProcess prepares a process logging to dir/name.log and registers its cleanup: stop it
// and, when the test failed, print the tail of its log. dir must come from tb.TempDir, so the
// directory is removed after the process stopped.
func newProcess(tb testing.TB, name, path string, args []string, dir string, ready func() error) *process {
	p := &process{tb: tb, name: name, path: path, args: args,
		logPath: filepath.Join(dir, name+".log"), ready: ready}
	tb.Cleanup(p.cleanup)
	return p
}

func (p *process) running() bool {
	if p.run == nil {
		return false
	}
	select {
	case <-p.run.exited:
		return false
	default:
		return true
	}
}

// start starts the process and waits until it is ready; it fails the test when the process
// exits first or does not answer within readyTimeout.
func (p *process) start() {
	p.tb.Helper()
	if p.running() {
		p.tb.Fatalf("testenv: %s is already running", p.name)
	}
	if err := p.spawn(); err != nil {
		p.tb.Fatalf("testenv: start %s: %v", p.name, err)
	}
	if err := p.waitReady(); err != nil {
		p.run.ended = true
		p.kill()
		p.tb.Fatalf("testenv: %s: %v (log: %s)", p.name, err, p.logPath)
	}
}

func (p *process) spawn() error {
	log, err := os.OpenFile(p.logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer log.Close() // the child has its own copy
	fmt.Fprintf(log, "=== testenv %s: %s %s\n", time.Now().Format(time.RFC3339Nano), p.path, strings.Join(p.args, " "))
	cmd := exec.Command(p.path, p.args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	r := &run{cmd: cmd, exited: make(chan struct{})}
	go func() {
		r.err = cmd.Wait()
		close(r.exited)
	}()
	p.run = r
	return nil
}

func (p *process) waitReady() error {
	deadline := time.NewTimer(readyTimeout)
	defer deadline.Stop()
	wait := firstPoll
	for {
		err := p.ready()
		if err == nil {
			return nil
		}
		select {
		case <-p.run.exited:
			return fmt.Errorf("exited before it was ready: %w", p.run.err)
		case <-deadline.C:
			return fmt.Errorf("not ready after %v: %w", readyTimeout, err)
		case <-time.After(wait):
		}
		wait = min(2*wait, maxPoll)
	}
}

// stop sends SIGTERM and waits for the exit, sending SIGKILL after stopTimeout. Stopping a
// process that is not running does nothing.
func (p *process) stop() {
	p.tb.Helper()
	if !p.running() {
		return
	}
	p.run.ended = true
	_ = p.run.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.run.exited:
	case <-time.After(stopTimeout):
		p.tb.Errorf("testenv: %s did not stop within %v of SIGTERM; killed", p.name, stopTimeout)
		p.kill()
	}
}

// kill sends SIGKILL and waits for the exit.
func (p *process) kill() {
	if !p.running() {
		return
	}
	p.run.ended = true
	_ = p.run.cmd.Process.Kill()
	<-p.run.exited
}

// signal sends sig to the running process.
func (p *process) signal(sig syscall.Signal) {
	p.tb.Helper()
	if !p.running() {
		p.tb.Fatalf("testenv: %s is not running: cannot send %v", p.name, sig)
	}
	if err := p.run.cmd.Process.Signal(sig); err != nil {
		p.tb.Fatalf("testenv: %s: %v", p.name, err)
	}
}

// restart stops the process gracefully and starts it again.
func (p *process) restart() {
	p.tb.Helper()
	p.stop()
	p.start()
}

func (p *process) cleanup() {
	if p.run != nil && !p.running() && !p.run.ended {
		p.tb.Errorf("testenv: %s exited by itself during the test: %v", p.name, p.run.err)
	}
	p.stop()
	if p.tb.Failed() {
		p.tb.Logf("testenv: last lines of %s:\n%s", p.logPath, tail(p.logPath, tailLines))
	}
}

// tail returns the last n lines of the file at path.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	lines = lines[max(0, len(lines)-n):]
	return string(bytes.Join(lines, []byte("\n")))
}
