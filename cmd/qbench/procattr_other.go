//go:build !linux

package main

import "syscall"

// sysProcAttr has nothing to add outside Linux (qbench measures through /proc, so it only
// runs on Linux; this keeps the package building elsewhere).
func sysProcAttr() *syscall.SysProcAttr { return nil }
