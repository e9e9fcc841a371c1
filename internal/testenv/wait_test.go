package testenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
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

// fatalTB records Fatalf and ends the goroutine, as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestEventuallyFailsWithLastMessage(t *testing.T) {
	t.Parallel()
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		n := 0
		Eventually(f, 100*time.Millisecond, func() (bool, string) { n++; return false, fmt.Sprintf("seen %d", n) })
	}()
	<-done
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
