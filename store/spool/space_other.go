//go:build !unix

package spool

// spaceReturned cannot tell where statfs is not available: a failed write is known to be
// over only when a write succeeds.
func spaceReturned(error, string, int64) bool { return false }
