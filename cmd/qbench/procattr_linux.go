package main

import "syscall"

// sysProcAttr makes the kernel kill a child when qbench dies without stopping it (a panic,
// Ctrl-C twice), so no broker or database outlives the benchmark.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
