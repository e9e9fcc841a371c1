package daemon

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
	"github.com/quantrac/quantrac/store"
	"github.com/quantrac/quantrac/store/spool"
)

// With InfluxDB unreachable, /readyz's influxdb check follows the spool: not ready while the
// disk under it is full (a 256 KiB tmpfs, filled for real), ready again once space returns
// and a write succeeds — without a restart.
func TestInfluxReadyFollowsTheSpool(t *testing.T) {
	fs := testenv.SmallFS(t, "256k")
	sp, err := spool.Open(spool.Options{Dir: filepath.Join(fs, "spool"), MaxBytes: 1 << 20, SegmentBytes: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := ln.Addr().String()
	ln.Close() // nothing listens there: InfluxDB is unreachable
	w, err := store.NewWriter(store.WriterOptions{URL: "http://" + gone, Bucket: "quantrac/autogen", Timeout: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	d := &Daemon{writer: w, spool: sp}
	ctx := context.Background()
	if err := d.influxReady(ctx); err != nil {
		t.Fatalf("not ready with InfluxDB down and an empty spool: %v", err)
	}
	ballast := filepath.Join(fs, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 128<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	rec := []byte(strings.Repeat("x", 4000) + "\n")
	for i := 0; ; i++ {
		err := sp.Append(rec)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil || i > 100 {
			t.Fatalf("Append %d on a filling disk = %v, want nil until ENOSPC", i, err)
		}
	}
	if err := d.influxReady(ctx); err == nil || !strings.Contains(err.Error(), "no space left") {
		t.Errorf("readiness with InfluxDB down and the spool's disk full = %v, want not ready: no space left", err)
	}
	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	if err := sp.Append(rec); err != nil {
		t.Fatalf("Append once space returned = %v", err)
	}
	if err := d.influxReady(ctx); err != nil {
		t.Errorf("not ready once the spool takes data again: %v", err)
	}
}
