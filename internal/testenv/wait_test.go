package testenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEventuallySucceeds(t *testing.T) {
	t.Parallel()
	calls := 0
	Eventually(t, 5*time.Second, func() (bool, string) {
		calls++
		return calls == 3, fmt.Sprintf("%d calls", calls)
	})
	if calls != 3 {
		t.Fatalf("cond called %d times, want 3", calls)
	}
}

func TestEventuallyFailsWithLastMessage(t *testing.T) {
	t.Parallel()
	start := time.Now()
	f := runFatal(t, func(tb testing.TB) {
		n := 0
		Eventually(tb, 100*time.Millisecond, func() (bool, string) { n++; return false, fmt.Sprintf("seen %d", n) })
	})
	if !strings.Contains(f.msg, "not met within 100ms: seen ") {
		t.Fatalf("message = %q", f.msg)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Eventually took %v past a 100ms timeout", d)
	}
}

func TestFreePort(t *testing.T) {
	t.Parallel()
	ports := freePorts(t, 5)
	seen := map[int]bool{}
	for _, p := range ports {
		if seen[p] {
			t.Fatalf("port %d returned twice in %v", p, ports)
		}
		seen[p] = true
		if lo, hi := servicePortRange(); hi > lo && (p < lo || p >= hi) {
			t.Errorf("port %d is outside [%d, %d): the kernel may hand it to an outgoing connection", p, lo, hi)
		}
	}
	l, err := net.Listen("tcp", loopback(FreePort(t)))
	if err != nil {
		t.Fatalf("FreePort gave a port that cannot be listened on: %v", err)
	}
	l.Close()
}

func TestTail(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "log")
	var b strings.Builder
	for i := 1; i <= 100; i++ {
		fmt.Fprintf(&b, "line %d\n", i)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := tail(path, 3), "line 98\nline 99\nline 100"; got != want {
		t.Errorf("tail 3 = %q, want %q", got, want)
	}
	if got := tail(path, 1000); !strings.HasPrefix(got, "line 1\n") || !strings.HasSuffix(got, "line 100") {
		t.Errorf("tail of more lines than the file has = %q...", got[:20])
	}
}
