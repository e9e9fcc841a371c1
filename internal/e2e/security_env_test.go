package e2e

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/internal/testenv"
)

// Secrets of the security tests. They are distinctive so that a grep of the logs finds them
// if they leak, and never match anything else.
const (
	quantracPassword = "Qpw-7f3a9c-quantrac-mqtt"
	stationPassword  = "Spw-1b8e4d-station-mqtt"
	influxPassword   = "Ipw-5d2c7a-influx-admin"
	metricsPassword  = "Mpw-9e6f1b-metrics-basic"
)

// securityStations is the registry of the security tests: two air stations, whose broker
// accounts are their ids. LC-AQ-01 has rules, so quantrac queries InfluxDB at start to
// rebuild its windows; LC-AQ-02 has a topic allow-list.
const securityStations = `stations:
  - id: LC-AQ-01
    name: "Trạm không khí TP Lai Châu"
    kind: air
    location: {lat: 22.3964, lon: 103.4582}
    regulations: [QCVN-05:2023]
  - id: LC-AQ-02
    name: "Trạm không khí Tam Đường"
    kind: air
    location: {lat: 22.34, lon: 103.61}
    topics: ["stations/LC-AQ-02/air"]
`

// authInflux starts InfluxDB with authentication on (as deployed) and creates the quantrac
// database. quantrac never queries it with Flux, so Flux is off: it saves 4 s of CPU.
func authInflux(t *testing.T) *testenv.Influx {
	t.Helper()
	in := testenv.InfluxDB(t, testenv.InfluxOptions{Auth: true, AdminPassword: influxPassword, DisableFlux: true})
	in.CreateDatabase("quantrac")
	return in
}

// qconfig is a quantrac.yaml for the security tests: each field is YAML lines of its section.
type qconfig struct {
	mqtt, influx, extra string
}

// write writes dir/quantrac.yaml and dir/stations.yaml and returns the configuration's path.
func (c qconfig) write(t *testing.T, dir string) string {
	t.Helper()
	indent := func(s string) string {
		return "  " + strings.ReplaceAll(strings.TrimSpace(s), "\n", "\n  ") + "\n"
	}
	cfg := "mqtt:\n  client_id: quantrac-sec\n" + indent(c.mqtt) +
		"influx:\n  flush_interval: 200ms\n" + indent(c.influx) +
		"spool: {dir: spool, max_bytes: 64MiB}\nstations_file: stations.yaml\n" + c.extra
	write(t, filepath.Join(dir, "stations.yaml"), securityStations)
	path := filepath.Join(dir, "quantrac.yaml")
	write(t, path, cfg)
	return path
}

// secretFile writes a secret, readable by its owner only, and returns its path.
func secretFile(t *testing.T, dir, name, value string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// passwordFile writes a Mosquitto password file with mosquitto_passwd, from the same Debian
// package as the broker (the tool docker-compose.yml and SECURITY.md use), for user → password.
func passwordFile(t *testing.T, dir string, users map[string]string) string {
	t.Helper()
	tool, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		t.Fatalf("mosquitto_passwd not found (Debian package mosquitto; run scripts/deps.sh): %v", err)
	}
	p := filepath.Join(dir, "passwd")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for user, pw := range users {
		if out, err := exec.Command(tool, "-b", p, user, pw).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_passwd %s: %v\n%s", user, err, out)
		}
	}
	return p
}

// shippedACL is the Mosquitto ACL file users deploy.
func shippedACL(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../deploy/acl")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// launchQuantrac starts quantrac without waiting for it to be ready (startQuantrac waits), with
// extra environment variables and flags. It is killed when the test ends.
func launchQuantrac(t *testing.T, cfgPath string, env []string, args ...string) *quantrac {
	t.Helper()
	port := testenv.FreePort(t)
	q := &quantrac{t: t, addr: fmt.Sprintf("127.0.0.1:%d", port), logPath: filepath.Join(filepath.Dir(cfgPath), "quantrac.log"),
		args: append([]string{"run", "-config", cfgPath, "-web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "-log.level", "debug"}, args...)}
	logf, err := os.OpenFile(q.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	q.cmd = exec.Command(bin.quantrac, q.args...)
	q.cmd.Env = append(os.Environ(), env...)
	q.cmd.Stdout, q.cmd.Stderr = logf, logf
	if err := q.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	q.exited = make(chan struct{})
	go func() { _ = q.cmd.Wait(); logf.Close(); close(q.exited) }()
	t.Cleanup(func() {
		q.signal(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("quantrac log (tail):\n%s", tail(q.logPath, 40))
		}
	})
	return q
}

// waitReady waits until /readyz answers 200 through get.
func (q *quantrac) waitReady(get func(path string) (string, int)) {
	q.t.Helper()
	testenv.Eventually(q.t, 60*time.Second, func() (bool, string) {
		q.mustRun()
		body, code := get("/readyz")
		return code == http.StatusOK, fmt.Sprintf("readyz %d %s", code, body)
	})
}

// mustRun fails the test if quantrac has exited.
func (q *quantrac) mustRun() {
	q.t.Helper()
	select {
	case <-q.exited:
		q.t.Fatalf("quantrac exited:\n%s", tail(q.logPath, 30))
	default:
	}
}

// logText returns quantrac's log so far.
func (q *quantrac) logText() string {
	b, err := os.ReadFile(q.logPath)
	if err != nil {
		q.t.Fatal(err)
	}
	return string(b)
}

// assertNoSecrets fails if any secret appears in text (a log or a command's output).
func assertNoSecrets(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	if text == "" {
		t.Errorf("%s is empty: nothing to check for secrets", what)
	}
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s contains the secret %q", what, s)
		}
	}
}

// checkOutput runs `quantrac check` on cfgPath and returns its exit code and output.
func checkOutput(t *testing.T, cfgPath string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(bin.quantrac, "check", "-config", cfgPath)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, string(out)
}

// httpsGet returns a GET function for a quantrac serving TLS, trusting ca, with basic auth
// when user is set.
func httpsGet(q *quantrac, ca *testCA, user, password string) func(path string) (string, int) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: ca.pool(), ServerName: brokerName, MinVersion: tls.VersionTLS12}}}
	return func(path string) (string, int) {
		req, err := http.NewRequest(http.MethodGet, "https://"+q.addr+path, nil)
		if err != nil {
			return err.Error(), 0
		}
		if user != "" {
			req.SetBasicAuth(user, password)
		}
		resp, err := c.Do(req)
		if err != nil {
			return err.Error(), 0
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.StatusCode
	}
}

// publisher is an MQTT client publishing as a station (or any account).
type publisher struct {
	t *testing.T
	c mqtt.Client
}

// connectPublisher connects to url as user (no password when password is ""), with tc for
// ssl:// and wss:// URLs.
func connectPublisher(t *testing.T, url, clientID, user, password string, tc *tls.Config) *publisher {
	t.Helper()
	o := mqtt.NewClientOptions().AddBroker(url).SetClientID(clientID).SetCleanSession(true).
		SetConnectTimeout(10 * time.Second).SetAutoReconnect(false).SetProtocolVersion(4)
	if user != "" {
		o.SetUsername(user).SetPassword(password)
	}
	if tc != nil {
		o.SetTLSConfig(tc)
	}
	c := mqtt.NewClient(o)
	if tok := c.Connect(); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		t.Fatalf("station %s cannot connect to %s: %v", user, url, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return &publisher{t: t, c: c}
}

// publish publishes payload on topic with QoS 1 and waits for the broker's acknowledgement.
// A publish the broker's ACL denies is acknowledged too (MQTT 3.1.1 has no way to say no),
// and the broker handles a client's messages in order: once a later publish is acknowledged,
// the denied one has been dropped.
func (s *publisher) publish(topic, payload string) {
	s.t.Helper()
	if tok := s.c.Publish(topic, 1, false, payload); !tok.WaitTimeout(15*time.Second) || tok.Error() != nil {
		s.t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// pm25Message is a native JSON message of one pm25 value measured age ago; extra adds members
// (`, "station": "X"`).
func pm25Message(age time.Duration, value float64, extra string) string {
	ts := time.Now().Add(-age).UTC().Format(time.RFC3339)
	return fmt.Sprintf(`{"time": %q%s, "readings": {"pm25": %g}}`, ts, extra, value)
}

// pm25Count counts the pm25 values stored for station.
func pm25Count(in *testenv.Influx, station string) int {
	return in.Count("quantrac", fmt.Sprintf(`SELECT count("pm25") FROM "air" WHERE "station" = '%s'`, station))
}

// pki is the test's certificates: a CA, the broker's (and web server's) certificate, client
// certificates for quantrac and a station, and an unrelated CA.
type pki struct {
	ca, other         *testCA
	server            certFiles
	quantrac, station certFiles
}

func newPKI(t *testing.T, dir string) *pki {
	t.Helper()
	ca := newCA(t, dir, "ca")
	return &pki{
		ca: ca, other: newCA(t, dir, "other-ca"),
		server:   ca.server("server", brokerName, "localhost"),
		quantrac: ca.client("quantrac", "quantrac"), station: ca.client("station", "LC-AQ-01"),
	}
}

// tlsBroker starts Mosquitto with the shipped ACL, a password file for quantrac and the two
// stations, and the given extra listeners (their lines after `listener`).
func tlsBroker(t *testing.T, dir string, listeners ...[]string) *testenv.Broker {
	t.Helper()
	pw := passwordFile(t, dir, map[string]string{"quantrac": quantracPassword, "LC-AQ-01": stationPassword, "LC-AQ-02": stationPassword})
	o := testenv.MosquittoOptions{DenyAnonymous: true, ExtraConfig: []string{"password_file " + pw, "acl_file " + shippedACL(t)}}
	for _, l := range listeners {
		o.ExtraListeners = append(o.ExtraListeners, testenv.Listener{Lines: l})
	}
	return testenv.Mosquitto(t, o)
}

// firstLineWith returns the first line of text containing every one of subs, or "".
func firstLineWith(text string, subs ...string) string {
	for _, l := range strings.Split(text, "\n") {
		if !slices.ContainsFunc(subs, func(s string) bool { return !strings.Contains(l, s) }) {
			return l
		}
	}
	return ""
}

// addStation adds a station account to the password file passwd with the shipped script
// deploy/mosquitto/add-station.sh, and returns the password it generated.
func addStation(t *testing.T, passwd, id string) string {
	t.Helper()
	script, err := filepath.Abs("../../deploy/mosquitto/add-station.sh")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(script, passwd, id).Output()
	if err != nil {
		t.Fatalf("add-station.sh %s: %v", id, err)
	}
	pw := strings.TrimSpace(string(out))
	if len(pw) < 20 || strings.ContainsAny(pw, " \n") {
		t.Fatalf("add-station.sh printed %q, not one password", out)
	}
	return pw
}

// shippedListeners returns the listener blocks of deploy/mosquitto/tls.conf, in order, each
// without its `listener` line (testenv puts every listener on a free loopback port) and
// with the container's certificate paths replaced by the test's.
func shippedListeners(t *testing.T, p *pki) [][]string {
	t.Helper()
	data, err := os.ReadFile("../../deploy/mosquitto/tls.conf")
	if err != nil {
		t.Fatal(err)
	}
	paths := strings.NewReplacer("/mosquitto/config/certs/server.crt", p.server.Cert,
		"/mosquitto/config/certs/server.key", p.server.Key, "/mosquitto/config/certs/ca.crt", p.ca.CertFile)
	var blocks [][]string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "listener "):
			blocks = append(blocks, nil)
		case len(blocks) == 0:
			t.Fatalf("tls.conf: %q before the first listener", line)
		default:
			blocks[len(blocks)-1] = append(blocks[len(blocks)-1], paths.Replace(line))
		}
	}
	if len(blocks) != 3 {
		t.Fatalf("tls.conf has %d listeners, want 3 (TLS, mutual TLS, wss)", len(blocks))
	}
	return blocks
}

// fileBytes returns the content of a file.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
