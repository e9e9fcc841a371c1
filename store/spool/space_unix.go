//go:build unix

package spool

import (
	"errors"
	"syscall"
)

// spaceReturned reports whether a write that failed with err for want of space could succeed
// now: the file system of dir has room for a whole segment again.
func spaceReturned(err error, dir string, segment int64) bool {
	var st syscall.Statfs_t
	if !errors.Is(err, syscall.ENOSPC) || syscall.Statfs(dir, &st) != nil {
		return false
	}
	return int64(st.Bavail)*int64(st.Bsize) >= segment //nolint:unconvert // Bsize is int32 on some platforms
}
