package testenv

import (
	"os/exec"
	"testing"
)

// SmallFS mounts a tmpfs of size bytes (a mount(8) size, "256k") on a new directory of the test
// and returns the directory; it is unmounted when the test ends. It is how a test fills a disk
// for real (ENOSPC from the kernel, space returning when files go). Mounting needs root: where
// it is not allowed the test is skipped, saying so.
func SmallFS(t testing.TB, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("testenv: cannot mount a %s tmpfs (needs root): %v: %s", size, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("testenv: unmounting %s: %v: %s", dir, err, out)
		}
	})
	return dir
}
