package testenv

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMissingBinaryFails checks that a missing service fails the test, naming the fix,
// instead of skipping it: CI must run the integration tests.
func TestMissingBinaryFails(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips every test that needs a binary before looking for it")
	}
	missing := filepath.Join(t.TempDir(), "none")
	tests := []struct {
		env   string
		start func(testing.TB)
	}{
		{EnvMosquitto, func(tb testing.TB) { Mosquitto(tb, MosquittoOptions{}) }},
		{EnvInfluxd, func(tb testing.TB) { InfluxDB(tb, InfluxOptions{}) }},
		{EnvPrometheus, func(tb testing.TB) { Prometheus(tb, PrometheusOptions{}) }},
		{EnvPromtool, func(tb testing.TB) { Promtool(tb) }},
	}
	for _, tt := range tests {
		t.Run(tt.env, func(t *testing.T) {
			t.Setenv(tt.env, missing)
			f := runFatal(t, tt.start)
			if f.skipped || !strings.Contains(f.msg, tt.env+"="+missing) || !strings.Contains(f.msg, "scripts/deps.sh") {
				t.Fatalf("skipped=%t, message %q: want a failure naming %s and scripts/deps.sh", f.skipped, f.msg, tt.env)
			}
		})
	}
}

// TestStartFailureIsReportedAtOnce checks that a service that exits at start fails the test
// with its exit status, without waiting for the ready timeout.
func TestStartFailureIsReportedAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("-short skips every test that needs a binary before looking for it")
	}
	t.Parallel()
	start := time.Now()
	f := runFatal(t, func(tb testing.TB) {
		Mosquitto(tb, MosquittoOptions{ExtraConfig: []string{"no_such_option 1"}})
	})
	if !strings.Contains(f.msg, "exited before it was ready: exit status") {
		t.Fatalf("message %q: want the exit before ready", f.msg)
	}
	if d := time.Since(start); d > readyTimeout/2 {
		t.Fatalf("start failure took %v to report", d)
	}
}
