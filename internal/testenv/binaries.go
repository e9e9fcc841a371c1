package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Environment variables read by the package. scripts/deps.sh writes the binary ones to
// $QUANTRAC_CACHE/env.
const (
	EnvMosquitto  = "QUANTRAC_MOSQUITTO"   // path of the mosquitto binary
	EnvInfluxd    = "QUANTRAC_INFLUXD"     // path of influxd 1.8.10
	EnvPrometheus = "QUANTRAC_PROMETHEUS"  // path of prometheus
	EnvPromtool   = "QUANTRAC_PROMTOOL"    // path of promtool
	EnvNATSServer = "QUANTRAC_NATS_SERVER" // path of nats-server (v2.15.3)
	EnvChromium   = "QUANTRAC_CHROMIUM"    // path of chromium (Debian package), for browser tests
	EnvCache      = "QUANTRAC_CACHE"       // cache directory of scripts/deps.sh
)

// binary says where to look for one program.
type binary struct {
	name   string   // name on PATH
	env    string   // variable that overrides every other place
	cached string   // path under the cache directory, "" if deps.sh does not put it there
	fixed  []string // absolute paths tried after PATH
	noPath bool     // PATH may hold another version: only the variable and the cache count
}

func mosquittoBinary() binary {
	return binary{name: "mosquitto", env: EnvMosquitto,
		fixed: []string{"/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"}}
}

func influxdBinary() binary {
	return binary{name: "influxd", env: EnvInfluxd, cached: "bin/influxd"}
}

func natsServerBinary() binary {
	// Never from PATH: the machine's own nats-server may be an older version (2.9) without
	// the partition transform and pinned consumers.
	return binary{name: "nats-server", env: EnvNATSServer, cached: "bin/nats-server", noPath: true}
}

func prometheusBinary() binary {
	return binary{name: "prometheus", env: EnvPrometheus, cached: "prometheus/usr/bin/prometheus"}
}

func promtoolBinary() binary {
	return binary{name: "promtool", env: EnvPromtool, cached: "prometheus/usr/bin/promtool"}
}

func chromiumBinary() binary {
	return binary{name: "chromium", env: EnvChromium,
		fixed: []string{"/usr/bin/chromium", "/usr/lib/chromium/chromium", "/usr/bin/chromium-browser"}}
}

// cacheDir is the directory scripts/deps.sh installs into.
func cacheDir(getenv func(string) string) string {
	if d := getenv(EnvCache); d != "" {
		return d
	}
	if home := getenv("HOME"); home != "" {
		return filepath.Join(home, ".cache", "quantrac")
	}
	return ""
}

// find returns the path of b: the environment variable, else the cache, else PATH, else the
// fixed paths. The cache comes before PATH because it holds the pinned versions.
func (b binary) find(getenv func(string) string, lookPath func(string) (string, error)) (string, error) {
	if p := getenv(b.env); p != "" {
		if isExecutable(p) {
			return p, nil
		}
		return "", fmt.Errorf("testenv: %s=%s is not an executable file; run scripts/deps.sh (make test does)", b.env, p)
	}
	tried := []string{"$" + b.env}
	if dir := cacheDir(getenv); b.cached != "" && dir != "" {
		p := filepath.Join(dir, b.cached)
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	if p, err := lookPath(b.name); err == nil && !b.noPath {
		return p, nil
	} else if !b.noPath {
		tried = append(tried, "PATH")
	}
	for _, p := range b.fixed {
		if isExecutable(p) {
			return p, nil
		}
		tried = append(tried, p)
	}
	return "", fmt.Errorf("testenv: %s not found (tried %s): run `make test`, or scripts/deps.sh once before go test",
		b.name, strings.Join(tried, ", "))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// mustFind returns the path of b or fails the test: integration tests never skip, but in the
// fast tier (go test -short, make test-short), where every test that needs a service or a
// browser is skipped.
func mustFind(tb testing.TB, b binary) string {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("needs %s: skipped by -short (the fast tier; make test runs it)", b.name)
	}
	p, err := b.find(os.Getenv, exec.LookPath)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Promtool returns the path of promtool (for `promtool check rules`, `promtool test rules`),
// or fails the test when it is missing.
func Promtool(tb testing.TB) string {
	tb.Helper()
	return mustFind(tb, promtoolBinary())
}

// NATSServer returns the path of nats-server for tests and tools that run it their own way,
// or fails the test when it is missing.
func NATSServer(tb testing.TB) string {
	tb.Helper()
	return mustFind(tb, natsServerBinary())
}

// Influxd returns the path of influxd 1.8.10 for tests that run it their own way (qbench's
// writecost), or fails the test when it is missing.
func Influxd(tb testing.TB) string {
	tb.Helper()
	return mustFind(tb, influxdBinary())
}

// Chromium returns the path of chromium (Debian package `chromium`) for the console's browser
// tests, or fails the test when it is missing.
func Chromium(tb testing.TB) string {
	tb.Helper()
	return mustFind(tb, chromiumBinary())
}
