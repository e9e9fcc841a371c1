package testenv

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// MosquittoOptions configure a broker started by [Mosquitto]. The zero value is a broker
// without persistence that accepts anonymous clients, with Mosquitto's defaults.
type MosquittoOptions struct {
	// Persistence keeps sessions and queued messages in the broker's directory, saved on a
	// graceful stop, so that Stop+Start (or Restart) keeps them and Kill loses what was not
	// saved yet.
	Persistence bool
	// MaxInflight is max_inflight_messages: QoS 1/2 messages in flight per client
	// (0: the broker's default, 20).
	MaxInflight int
	// MaxQueued is max_queued_messages: messages queued per client beyond those in flight
	// (0: the broker's default, 1000).
	MaxQueued int
	// DenyAnonymous leaves out `allow_anonymous true`, for tests with a password_file.
	DenyAnonymous bool
	// ExtraConfig lines are added to mosquitto.conf after the main listener and the options
	// above, so listener options among them (certfile, keyfile, require_certificate) apply
	// to the main listener; general ones (password_file, acl_file) apply to the broker.
	ExtraConfig []string
	// ExtraListeners are more listeners, each on its own free loopback port.
	ExtraListeners []Listener
}

// Listener is an additional broker listener on a free port of 127.0.0.1.
type Listener struct {
	// Lines follow its `listener` line: protocol, certfile, keyfile, cafile, ...
	Lines []string
}

// Broker is a Mosquitto broker run by a test.
type Broker struct {
	proc  *process
	addr  string
	extra []string // addresses of the extra listeners
}

// Mosquitto starts a broker on a free loopback port and returns once it accepts connections.
// It is stopped when the test ends.
func Mosquitto(tb testing.TB, opts MosquittoOptions) *Broker {
	tb.Helper()
	bin := mustFind(tb, mosquittoBinary())
	dir := tb.TempDir()
	ports := freePorts(tb, 1+len(opts.ExtraListeners))
	b := &Broker{addr: loopback(ports[0])}
	for _, p := range ports[1:] {
		b.extra = append(b.extra, loopback(p))
	}
	conf := filepath.Join(dir, "mosquitto.conf")
	cfg := opts.config(ports, filepath.Join(dir, "data"), os.Geteuid() == 0)
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		tb.Fatal(err)
	}
	b.proc = newProcess(tb, "mosquitto", bin, []string{"-c", conf}, dir, b.ready)
	b.proc.start()
	return b
}

// config renders mosquitto.conf. ports[0] is the main listener's, the rest the extra ones'.
func (o MosquittoOptions) config(ports []int, dataDir string, root bool) string {
	var c strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&c, format+"\n", args...) }
	line("# written by quantrac internal/testenv")
	line("listener %d 127.0.0.1", ports[0])
	if !o.DenyAnonymous {
		line("allow_anonymous true")
	}
	line("persistence %t", o.Persistence)
	line("persistence_location %s/", dataDir)
	if o.MaxInflight > 0 {
		line("max_inflight_messages %d", o.MaxInflight)
	}
	if o.MaxQueued > 0 {
		line("max_queued_messages %d", o.MaxQueued)
	}
	line("log_dest stdout")
	for _, t := range []string{"error", "warning", "notice", "information", "subscribe", "unsubscribe"} {
		line("log_type %s", t)
	}
	line("connection_messages true")
	line("log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S")
	if root {
		// Run as root, mosquitto would switch to the user "mosquitto", which cannot write
		// to the test's directory.
		line("user root")
	}
	for _, l := range o.ExtraConfig {
		line("%s", l)
	}
	for i, l := range o.ExtraListeners {
		line("listener %d 127.0.0.1", ports[1+i])
		for _, ll := range l.Lines {
			line("%s", ll)
		}
	}
	return c.String()
}

// ready reports whether every listener accepts TCP connections.
func (b *Broker) ready() error {
	for _, a := range append([]string{b.addr}, b.extra...) {
		if err := dialable(a); err != nil {
			return err
		}
	}
	return nil
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// URL is the broker's address for MQTT clients: "tcp://127.0.0.1:port".
func (b *Broker) URL() string { return "tcp://" + b.addr }

// Addr is the main listener's "127.0.0.1:port".
func (b *Broker) Addr() string { return b.addr }

// ListenerAddr is the "127.0.0.1:port" of ExtraListeners[i].
func (b *Broker) ListenerAddr(i int) string { return b.extra[i] }

// Stop stops the broker gracefully (SIGTERM; it saves its persistence file) and waits for it.
func (b *Broker) Stop() { b.proc.tb.Helper(); b.proc.stop() }

// Start starts the stopped broker again on the same ports with the same configuration and
// persistence directory, and waits until it accepts connections.
func (b *Broker) Start() { b.proc.tb.Helper(); b.proc.start() }

// Kill kills the broker (SIGKILL), as a crash would: nothing is saved.
func (b *Broker) Kill() { b.proc.kill() }

// Reload sends the broker SIGHUP: it rereads its password_file and acl_file.
func (b *Broker) Reload() { b.proc.tb.Helper(); b.proc.signal(syscall.SIGHUP) }

// Restart is Stop then Start.
func (b *Broker) Restart() { b.proc.tb.Helper(); b.proc.restart() }

// DynamicSecurityPlugin returns the path of Mosquitto's dynamic security plugin (shipped with
// the Debian package beside the broker), for tests whose broker must refuse a SUBSCRIBE at
// subscribe time: the acl_file plugin only filters what it delivers. It fails the test when
// the plugin is not installed.
func DynamicSecurityPlugin(tb testing.TB) string {
	tb.Helper()
	for _, pattern := range []string{"/usr/lib/*/mosquitto_dynamic_security.so", "/usr/lib/mosquitto_dynamic_security.so",
		"/usr/local/lib/mosquitto_dynamic_security.so", "/usr/local/lib/*/mosquitto_dynamic_security.so"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0]
		}
	}
	tb.Fatal("testenv: mosquitto_dynamic_security.so not found (Debian package mosquitto, scripts/deps.sh)")
	return ""
}
