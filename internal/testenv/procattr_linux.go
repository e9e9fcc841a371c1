package testenv

import "syscall"

// sysProcAttr makes the kernel kill a service when the test binary dies without running its
// cleanups (a panic, a -timeout), so no broker or database outlives its test.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
