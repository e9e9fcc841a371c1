package e2e

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"golang.org/x/crypto/bcrypt"

	"github.com/quantrac/quantrac/internal/testenv"
)

// quantrac ingests through the shipped Mosquitto TLS listeners (deploy/mosquitto/tls.conf):
// TLS with a password (the broker's certificate checked against mqtt.tls.ca_file and
// server_name), mutual TLS where the client certificate is the identity, and MQTT over
// secure WebSocket (wss://). Its log and `quantrac check` never show a secret.
func TestSecurityMQTTTLS(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir)
	broker := tlsBroker(t, dir, shippedListeners(t, p)...) // TLS, mutual TLS, wss
	influx := authInflux(t)
	token := secretFile(t, dir, "influx_token", "admin:"+influxPassword)
	secrets := []string{quantracPassword, stationPassword, influxPassword}

	for i, tc := range []struct {
		name, url string
		mqtt      string   // mqtt section beyond broker and client id
		env       []string // quantrac's extra environment
		client    bool     // the station publishes with its certificate, not a password
	}{
		{name: "tls", url: "ssl://" + broker.ListenerAddr(0),
			mqtt: fmt.Sprintf("username: quantrac\npassword_file: %s\ntls: {ca_file: %s, server_name: %s}",
				secretFile(t, dir, "mqtt_password", quantracPassword), p.ca.CertFile, brokerName)},
		{name: "mutual-tls", url: "ssl://" + broker.ListenerAddr(1), client: true,
			mqtt: fmt.Sprintf("tls: {ca_file: %s, cert_file: %s, key_file: %s, server_name: %s}",
				p.ca.CertFile, p.quantrac.Cert, p.quantrac.Key, brokerName)},
		{name: "wss", url: "wss://" + broker.ListenerAddr(2),
			mqtt: fmt.Sprintf("username: quantrac\ntls: {ca_file: %s, server_name: %s}", p.ca.CertFile, brokerName),
			env:  []string{"QUANTRAC_MQTT_PASSWORD=" + quantracPassword}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := t.TempDir()
			cfg := qconfig{
				mqtt:   fmt.Sprintf("broker: %s\n%s", tc.url, tc.mqtt),
				influx: fmt.Sprintf("url: %s\ntoken_file: %s", influx.URL(), token),
			}.write(t, sub)
			q := launchQuantrac(t, cfg, tc.env)
			q.waitReady(q.get)
			var st *publisher
			if tc.client {
				st = connectPublisher(t, tc.url, "st-"+tc.name, "", "", p.ca.clientTLS(&p.station))
			} else {
				st = connectPublisher(t, tc.url, "st-"+tc.name, "LC-AQ-01", stationPassword, p.ca.clientTLS(nil))
			}
			before := pm25Count(influx, "LC-AQ-01")
			st.publish("stations/LC-AQ-01/air", pm25Message(time.Duration(i+1)*time.Minute, 21.5, ""))
			testenv.Eventually(t, 30*time.Second, func() (bool, string) {
				n := pm25Count(influx, "LC-AQ-01")
				return n == before+1, fmt.Sprintf("%d pm25 values, want %d", n, before+1)
			})
			if log := q.logText(); !strings.Contains(log, "connected to MQTT broker") || !strings.Contains(log, tc.url) {
				t.Errorf("log does not say it connected to %s", tc.url)
			}
			assertNoSecrets(t, "quantrac log", q.logText(), secrets...)
			code, out := checkOutput(t, cfg, tc.env...)
			if code != 0 || !strings.Contains(out, "ok") {
				t.Errorf("quantrac check: exit %d\n%s", code, out)
			}
			assertNoSecrets(t, "quantrac check output", out, secrets...)
		})
	}
}

// A wrong CA, a wrong password, a missing client certificate or a certificate for another
// name: quantrac says why in its log, /readyz fails, and it keeps retrying rather than exit.
func TestSecurityMQTTRefused(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir)
	broker := tlsBroker(t, dir, shippedListeners(t, p)[:2]...) // TLS, mutual TLS
	influx := authInflux(t)
	token := secretFile(t, dir, "influx_token", "admin:"+influxPassword)
	const wrongPassword = "Wpw-3a7c1e-not-the-password"
	goodPW := secretFile(t, dir, "good_pw", quantracPassword)
	badPW := secretFile(t, dir, "bad_pw", wrongPassword)

	for _, tc := range []struct {
		name, url, mqtt string
		want            []string // in the log line
	}{
		{"wrong CA", "ssl://" + broker.ListenerAddr(0),
			fmt.Sprintf("username: quantrac\npassword_file: %s\ntls: {ca_file: %s, server_name: %s}", goodPW, p.other.CertFile, brokerName),
			[]string{"certificate signed by unknown authority", "not signed by a CA in mqtt.tls.ca_file"}},
		{"wrong password", "ssl://" + broker.ListenerAddr(0),
			fmt.Sprintf("username: quantrac\npassword_file: %s\ntls: {ca_file: %s, server_name: %s}", badPW, p.ca.CertFile, brokerName),
			[]string{"the broker refused the credentials"}},
		{"no client certificate", "ssl://" + broker.ListenerAddr(1),
			fmt.Sprintf("tls: {ca_file: %s, server_name: %s}", p.ca.CertFile, brokerName),
			[]string{"client certificate", "set mqtt.tls.cert_file and mqtt.tls.key_file"}},
		{"certificate for another name", "ssl://" + broker.ListenerAddr(0),
			fmt.Sprintf("username: quantrac\npassword_file: %s\ntls: {ca_file: %s}", goodPW, p.ca.CertFile),
			[]string{"x509: cannot validate certificate for 127.0.0.1", "set mqtt.tls.server_name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := qconfig{
				mqtt:   fmt.Sprintf("broker: %s\n%s", tc.url, tc.mqtt),
				influx: fmt.Sprintf("url: %s\ntoken_file: %s", influx.URL(), token),
			}.write(t, t.TempDir())
			q := launchQuantrac(t, cfg, nil)
			testenv.Eventually(t, 30*time.Second, func() (bool, string) {
				q.mustRun()
				log := q.logText()
				n := strings.Count(log, "cannot connect to MQTT broker; retrying")
				return n >= 2, fmt.Sprintf("%d failed attempts logged", n)
			})
			line := firstLineWith(q.logText(), "cannot connect to MQTT broker")
			t.Log(line)
			for _, w := range tc.want {
				if !strings.Contains(line, w) {
					t.Errorf("log line does not say %q:\n%s", w, line)
				}
			}
			body, code := q.get("/readyz")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "mqtt") {
				t.Errorf("/readyz = %d %s, want 503 naming mqtt", code, body)
			}
			if v := q.metric("quantrac_mqtt_connected"); v != 0 {
				t.Errorf("quantrac_mqtt_connected = %v", v)
			}
			q.mustRun()
			assertNoSecrets(t, "quantrac log", q.logText(), quantracPassword, wrongPassword, influxPassword)
		})
	}
}

// After a broker restart with a certificate quantrac does not trust (renewed by another CA),
// the automatic reconnects fail with a log line that says why, /readyz fails, and once the
// certificate is fixed quantrac reconnects by itself.
func TestSecurityMQTTReconnectRefused(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir)
	broker := tlsBroker(t, dir, shippedListeners(t, p)[0])
	influx := authInflux(t)
	cfg := qconfig{
		mqtt: fmt.Sprintf("broker: ssl://%s\nusername: quantrac\npassword_file: %s\ntls: {ca_file: %s, server_name: %s}",
			broker.ListenerAddr(0), secretFile(t, dir, "mqtt_password", quantracPassword), p.ca.CertFile, brokerName),
		influx: fmt.Sprintf("url: %s\ntoken_file: %s", influx.URL(), secretFile(t, dir, "influx_token", "admin:"+influxPassword)),
	}.write(t, t.TempDir())
	q := launchQuantrac(t, cfg, nil)
	q.waitReady(q.get)

	good := [2][]byte{fileBytes(t, p.server.Cert), fileBytes(t, p.server.Key)}
	renewed := p.other.server("renewed", brokerName, "localhost")
	swap := func(cert, key []byte) {
		t.Helper()
		write(t, p.server.Cert, string(cert))
		if err := os.WriteFile(p.server.Key, key, 0o600); err != nil {
			t.Fatal(err)
		}
		broker.Restart()
	}
	swap(fileBytes(t, renewed.Cert), fileBytes(t, renewed.Key))
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		q.mustRun()
		line := firstLineWith(q.logText(), "cannot reconnect to MQTT broker", "certificate signed by unknown authority", "mqtt.tls.ca_file")
		return line != "", "reconnect errors:\n" + tail(q.logPath, 5)
	})
	if body, code := q.get("/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz = %d %s while the broker is not trusted", code, body)
	}
	swap(good[0], good[1])
	q.waitReady(q.get)
	assertNoSecrets(t, "quantrac log", q.logText(), quantracPassword, influxPassword)
}

// With the shipped ACL (deploy/acl) and per-station accounts made by the shipped
// deploy/mosquitto/add-station.sh, a station can publish only under its own topic:
// publishing as another station gets nothing into InfluxDB, a payload naming another station
// is forbidden, quantrac's own account cannot publish readings, and a station cannot read
// what others publish. Its own topic works.
func TestSecurityShippedACL(t *testing.T) {
	dir := t.TempDir()
	pw := passwordFile(t, dir, map[string]string{"quantrac": quantracPassword})
	pw1, pw2 := addStation(t, pw, "LC-AQ-01"), addStation(t, pw, "LC-AQ-02")
	broker := testenv.Mosquitto(t, testenv.MosquittoOptions{DenyAnonymous: true,
		ExtraConfig: []string{"password_file " + pw, "acl_file " + shippedACL(t)}})
	influx := authInflux(t)
	cfg := qconfig{
		mqtt:   fmt.Sprintf("broker: %s\nusername: quantrac\npassword_file: %s", broker.URL(), secretFile(t, dir, "mqtt_password", quantracPassword)),
		influx: fmt.Sprintf("url: %s\ntoken_file: %s", influx.URL(), secretFile(t, dir, "influx_token", "admin:"+influxPassword)),
	}.write(t, dir)
	q := launchQuantrac(t, cfg, nil)
	q.waitReady(q.get)

	// LC-AQ-02 listens to everything it can: the ACL lets a station read nothing.
	spy := connectPublisher(t, broker.URL(), "spy", "LC-AQ-02", pw2, nil)
	seen := make(chan string, 10)
	if tok := spy.c.Subscribe("stations/#", 1, func(_ mqtt.Client, m mqtt.Message) { seen <- m.Topic() }); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	// quantrac's account is read-only: a leaked ingester password cannot inject readings.
	connectPublisher(t, broker.URL(), "ingester", "quantrac", quantracPassword, nil).
		publish("stations/LC-AQ-01/air", pm25Message(4*time.Minute, 400, ""))
	st := connectPublisher(t, broker.URL(), "lc-aq-01", "LC-AQ-01", pw1, nil)
	st.publish("stations/LC-AQ-02/air", pm25Message(3*time.Minute, 300, ""))                        // denied by the broker
	st.publish("stations/LC-AQ-01/air", pm25Message(2*time.Minute, 200, `, "station": "LC-AQ-02"`)) // forbidden by quantrac
	st.publish("stations/LC-AQ-01/air", pm25Message(time.Minute, 21.5, ""))                         // its own: accepted

	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := pm25Count(influx, "LC-AQ-01")
		return n == 1, fmt.Sprintf("%d pm25 values of LC-AQ-01", n)
	})
	if n := pm25Count(influx, "LC-AQ-02"); n != 0 {
		t.Errorf("%d readings landed as LC-AQ-02, published by LC-AQ-01", n)
	}
	if n := influx.Count("quantrac", `SELECT count("pm25") FROM "air" WHERE "pm25" >= 200`); n != 0 {
		t.Errorf("%d of the denied or forbidden readings landed", n)
	}
	// Only the two messages the ACL let through reached quantrac.
	for result, want := range map[string]float64{"": 2, `{result="accepted"}`: 1, `{result="forbidden"}`: 1} {
		if got := q.metric("quantrac_messages_total" + result); got != want {
			t.Errorf("quantrac_messages_total%s = %v, want %v", result, got, want)
		}
	}
	select {
	case topic := <-seen:
		t.Errorf("station LC-AQ-02 read a message on %s", topic)
	default:
	}
	assertNoSecrets(t, "quantrac log", q.logText(), quantracPassword, pw1, pw2, influxPassword)
}

// With -web.config.file (exporter-toolkit: TLS and bcrypt basic auth), every endpoint answers
// only over TLS and only with the password: 401 without it or with a wrong one, 200 with it.
func TestSecurityWebConfig(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir)
	broker, influx := testenv.Mosquitto(t, testenv.MosquittoOptions{}), authInflux(t)
	hash, err := bcrypt.GenerateFromPassword([]byte(metricsPassword), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	write(t, webConfig, fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n",
		p.server.Cert, p.server.Key, hash))
	cfg := qconfig{mqtt: "broker: " + broker.URL(), influx: fmt.Sprintf("url: %s\ntoken_file: %s",
		influx.URL(), secretFile(t, dir, "influx_token", "admin:"+influxPassword))}.write(t, dir)
	q := launchQuantrac(t, cfg, nil, "-web.config.file", webConfig)
	q.waitReady(httpsGet(q, p.ca, "prometheus", metricsPassword))

	for _, tc := range []struct {
		name, path string
		get        func(string) (string, int)
		want       int
	}{
		{"metrics without password", "/metrics", httpsGet(q, p.ca, "", ""), http.StatusUnauthorized},
		{"metrics with a wrong password", "/metrics", httpsGet(q, p.ca, "prometheus", "guess"), http.StatusUnauthorized},
		{"metrics as another user", "/metrics", httpsGet(q, p.ca, "admin", metricsPassword), http.StatusUnauthorized},
		{"api without password", "/api/v1/stations", httpsGet(q, p.ca, "", ""), http.StatusUnauthorized},
		{"readyz without password", "/readyz", httpsGet(q, p.ca, "", ""), http.StatusUnauthorized},
		{"healthz without password", "/healthz", httpsGet(q, p.ca, "", ""), http.StatusUnauthorized},
		{"plain HTTP", "/metrics", q.get, http.StatusBadRequest},
		{"metrics with the password", "/metrics", httpsGet(q, p.ca, "prometheus", metricsPassword), http.StatusOK},
		{"api with the password", "/api/v1/stations", httpsGet(q, p.ca, "prometheus", metricsPassword), http.StatusOK},
	} {
		body, code := tc.get(tc.path)
		if code != tc.want {
			t.Errorf("%s: GET %s = %d, want %d: %.200s", tc.name, tc.path, code, tc.want, body)
		}
		if has := strings.Contains(body, "quantrac_messages_total") || strings.Contains(body, "LC-AQ-01"); has != (code == http.StatusOK) {
			t.Errorf("%s: body with data = %v at status %d", tc.name, has, code)
		}
	}
	assertNoSecrets(t, "quantrac log", q.logText(), metricsPassword, influxPassword)
}

// rebuildError starts the log line of a failed rebuild of the rule state from InfluxDB.
const rebuildError = "cannot rebuild rule state from InfluxDB"

// InfluxDB with auth-enabled: with the right token ("user:password" on 1.8, from a file or
// QUANTRAC_INFLUX_TOKEN) points land; with a wrong one nothing lands, the log says why, and
// quantrac consumes nothing (the broker keeps the data) until InfluxDB lets it rebuild.
func TestSecurityInfluxAuth(t *testing.T) {
	dir := t.TempDir()
	broker, influx := testenv.Mosquitto(t, testenv.MosquittoOptions{}), authInflux(t)
	const wrongPassword = "Wpw-8d1f2b-not-the-influx-password"
	for _, tc := range []struct {
		name, db, influx string
		env              []string
		lands            bool
	}{
		{name: "token file", db: "quantrac", lands: true,
			influx: "token_file: " + secretFile(t, dir, "influx_token", "admin:"+influxPassword)},
		{name: "token from environment", db: "fromenv", lands: true,
			env: []string{"QUANTRAC_INFLUX_TOKEN=admin:" + influxPassword}},
		{name: "wrong token", db: "wrongtoken", lands: false,
			influx: "token_file: " + secretFile(t, dir, "wrong_token", "admin:"+wrongPassword)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			influx.CreateDatabase(tc.db)
			cfg := qconfig{mqtt: "broker: " + broker.URL(),
				influx: fmt.Sprintf("url: %s\nbucket: %s/autogen\n%s", influx.URL(), tc.db, tc.influx)}.write(t, t.TempDir())
			q := launchQuantrac(t, cfg, tc.env)
			if tc.lands {
				q.waitReady(q.get)
			}
			st := connectPublisher(t, broker.URL(), "st-"+tc.db, "", "", nil)
			st.publish("stations/LC-AQ-01/air", pm25Message(time.Minute, 21.5, ""))
			count := func() int {
				return influx.Count(tc.db, `SELECT count("pm25") FROM "air"`)
			}
			if tc.lands {
				testenv.Eventually(t, 30*time.Second, func() (bool, string) {
					return count() == 1, fmt.Sprintf("%d points", count())
				})
				if v := q.metric("quantrac_write_errors_total"); v != 0 {
					t.Errorf("quantrac_write_errors_total = %v", v)
				}
			} else {
				// quantrac does not consume before its rule state is rebuilt from InfluxDB
				// (the broker keeps the messages), so it is the rebuild that must say why.
				testenv.Eventually(t, 30*time.Second, func() (bool, string) {
					q.mustRun()
					line := firstLineWith(q.logText(), rebuildError, "HTTP 401", "authorization failed")
					return line != "", "no log line says InfluxDB refused quantrac's token"
				})
				if body, code := q.get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "rebuilding rule state") {
					t.Errorf("/readyz %d %s, want 503 saying the rule state waits for InfluxDB", code, body)
				}
				if n, w := count(), q.metric("quantrac_points_written_total"); n != 0 || w != 0 {
					t.Errorf("%d points stored, %v counted written with a wrong token", n, w)
				}
			}
			assertNoSecrets(t, "quantrac log", q.logText(), influxPassword, wrongPassword)
		})
	}
}

// InfluxDB over HTTPS (here behind a TLS-terminating proxy, as often deployed): quantrac
// trusts influx.tls.ca_file, for writes and for the rule-window rebuild at start; with another
// CA nothing is written and the log says why.
func TestSecurityInfluxHTTPS(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir)
	broker, influx := testenv.Mosquitto(t, testenv.MosquittoOptions{}), authInflux(t)
	target, err := url.Parse(influx.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(target))
	cert, err := tls.LoadX509KeyPair(p.server.Cert, p.server.Key)
	if err != nil {
		t.Fatal(err)
	}
	proxy.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	proxy.StartTLS()
	t.Cleanup(proxy.Close)
	// The certificate names localhost, not 127.0.0.1.
	httpsURL := fmt.Sprintf("https://localhost:%d", proxy.Listener.Addr().(*net.TCPAddr).Port)
	token := secretFile(t, dir, "influx_token", "admin:"+influxPassword)

	for i, tc := range []struct {
		name string
		ca   *testCA
	}{{"CA file", p.ca}, {"another CA", p.other}} {
		t.Run(tc.name, func(t *testing.T) {
			before := pm25Count(influx, "LC-AQ-01")
			cfg := qconfig{mqtt: "broker: " + broker.URL(),
				influx: fmt.Sprintf("url: %s\ntoken_file: %s\ntls: {ca_file: %s}", httpsURL, token, tc.ca.CertFile)}.write(t, t.TempDir())
			q := launchQuantrac(t, cfg, nil)
			st := connectPublisher(t, broker.URL(), fmt.Sprint("st-https-", i), "", "", nil)
			if tc.ca == p.ca {
				q.waitReady(q.get)
				st.publish("stations/LC-AQ-01/air", pm25Message(time.Duration(i+1)*time.Minute, 21.5, ""))
				testenv.Eventually(t, 30*time.Second, func() (bool, string) {
					n := pm25Count(influx, "LC-AQ-01")
					return n == before+1, fmt.Sprintf("%d points, want %d", n, before+1)
				})
				// A rebuild that ignored influx.tls fails on the certificate (a transient
				// EOF from the proxy, retried, is not that).
				if line := firstLineWith(q.logText(), rebuildError, "certificate"); line != "" {
					t.Errorf("the rebuild query does not use influx.tls:\n%s", line)
				}
				return
			}
			st.publish("stations/LC-AQ-01/air", pm25Message(time.Duration(i+1)*time.Minute, 21.5, ""))
			testenv.Eventually(t, 30*time.Second, func() (bool, string) {
				q.mustRun()
				line := firstLineWith(q.logText(), rebuildError, "certificate signed by unknown authority")
				return line != "", "no log line says InfluxDB's certificate is not trusted"
			})
			if n := pm25Count(influx, "LC-AQ-01"); n != before {
				t.Errorf("%d points written through an untrusted TLS connection", n-before)
			}
		})
	}
}

// Untrusted input is bounded (payload bytes, readings per message, backlog length, string
// length) and cannot grow label cardinality: an unknown station or parameter never creates a
// metric series or an InfluxDB tag value (or field); every message is still counted and kept.
func TestSecurityUntrustedInput(t *testing.T) {
	dir := t.TempDir()
	broker, influx := testenv.Mosquitto(t, testenv.MosquittoOptions{}), authInflux(t)
	cfg := qconfig{mqtt: "broker: " + broker.URL(),
		influx: fmt.Sprintf("url: %s\ntoken_file: %s", influx.URL(), secretFile(t, dir, "influx_token", "admin:"+influxPassword)),
		extra:  "limits: {max_payload_bytes: 2048, max_readings: 5, max_array: 3}\n"}.write(t, dir)
	q := launchQuantrac(t, cfg, nil)
	q.waitReady(q.get)
	st := connectPublisher(t, broker.URL(), "untrusted", "", "", nil)
	at := func(m int) string { return time.Now().Add(-time.Duration(m) * time.Minute).UTC().Format(time.RFC3339) }
	backlog := strings.Repeat(pm25Message(time.Hour, 1, "")+",", 4)
	for _, m := range []struct{ what, topic, payload string }{
		{"unknown_station", "stations/EVIL-0001/air", pm25Message(time.Minute, 10, "")},
		{"unknown_station, line protocol in the id", "stations/EVIL,x=y/air", pm25Message(time.Minute, 10, "")},
		{"forbidden: an air station's wastewater", "stations/LC-AQ-01/wastewater", pm25Message(time.Minute, 10, "")},
		{"forbidden: outside the station's topic allow-list", "stations/LC-AQ-02/status", "online"},
		{"1 accepted, 1 unknown_parameter", "stations/LC-AQ-01/air",
			fmt.Sprintf(`{"time": %q, "readings": {"pm25": 10, "zzinjected": 5}}`, at(1))},
		{"5 accepted, 2 too_many_readings", "stations/LC-AQ-01/air",
			fmt.Sprintf(`{"time": %q, "readings": {"pm25": 1, "pm10": 2, "so2": 3, "no2": 4, "o3": 5, "co": 1, "tsp": 7}}`, at(2))},
		{"too_large", "stations/LC-AQ-01/air", pm25Message(3*time.Minute, 10, `, "pad": "`+strings.Repeat("x", 3000)+`"`)},
		{"malformed: backlog longer than max_array", "stations/LC-AQ-01/air", "[" + strings.TrimSuffix(backlog, ",") + "]"},
		{"malformed: string longer than 256 bytes", "stations/LC-AQ-01/air",
			fmt.Sprintf(`{"time": %q, "readings": {"zz%s": 1}}`, at(4), strings.Repeat("y", 300))},
	} {
		st.publish(m.topic, m.payload)
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		v := q.metric("quantrac_messages_total")
		return v == 9, fmt.Sprintf("%v of 9 messages counted", v)
	})
	for series, want := range map[string]float64{
		`quantrac_messages_total{result="accepted"}`:                   2,
		`quantrac_messages_total{result="unknown_station"}`:            2,
		`quantrac_messages_total{result="forbidden"}`:                  2,
		`quantrac_messages_total{result="too_large"}`:                  1,
		`quantrac_messages_total{result="malformed"}`:                  2,
		`quantrac_readings_total{kind="air"}`:                          6,
		`quantrac_readings_rejected_total{reason="unknown_parameter"}`: 1,
		`quantrac_readings_rejected_total{reason="too_many_readings"}`: 2,
	} {
		if got := q.metric(series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	// Every message not wholly accepted is kept in rejected_messages (7 rejected, 2 partly).
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := influx.Count("quantrac", `SELECT count("error") FROM "rejected_messages"`)
		return n == 9, fmt.Sprintf("%d of 9 messages in rejected_messages", n)
	})
	tooLarge := 0
	for _, s := range influx.Query("quantrac", `SELECT "payload" FROM "rejected_messages" WHERE "reason" = 'too_large'`) {
		for _, row := range s.Rows() {
			tooLarge++
			if p, _ := row["payload"].(string); len(p) != 2048 {
				t.Errorf("too_large payload kept with %d bytes, want its first 2048", len(p))
			}
		}
	}
	if tooLarge != 1 {
		t.Errorf("%d too_large messages kept, want 1", tooLarge)
	}

	metrics, _ := q.get("/metrics")
	for _, bad := range []string{"EVIL", "zzinjected", "yyyyyyyy"} {
		if strings.Contains(metrics, bad) {
			t.Errorf("/metrics mentions %q: %s", bad, firstLineWith(metrics, bad))
		}
	}
	stationLabels := regexp.MustCompile(`station="([^"]*)"`).FindAllStringSubmatch(metrics, -1)
	if len(stationLabels) == 0 {
		t.Error("no station label in /metrics at all: the check is wrong")
	}
	for _, m := range stationLabels {
		if m[1] != "LC-AQ-01" && m[1] != "LC-AQ-02" {
			t.Errorf("/metrics has a series for station %q, not in the registry", m[1])
		}
	}
	var tagValues, fields []string
	for _, s := range influx.Query("quantrac", `SHOW TAG VALUES WITH KEY = "station"`) {
		for _, row := range s.Rows() {
			tagValues = append(tagValues, fmt.Sprint(row["value"]))
		}
	}
	for _, s := range influx.Query("quantrac", `SHOW FIELD KEYS`) {
		for _, row := range s.Rows() {
			fields = append(fields, fmt.Sprint(row["fieldKey"]))
		}
	}
	if len(tagValues) == 0 || !slices.Contains(fields, "pm25") {
		t.Errorf("station tag values %v, fields %v: the queries are wrong", tagValues, fields)
	}
	for _, v := range tagValues {
		if v != "LC-AQ-01" && v != "LC-AQ-02" {
			t.Errorf("InfluxDB has station tag value %q", v)
		}
	}
	for _, f := range fields {
		if strings.HasPrefix(f, "zz") {
			t.Errorf("InfluxDB has field %q from an unknown parameter", f)
		}
	}
}

// `quantrac check` never prints a secret: not when the configuration is valid, not when a
// secret file is refused, not when a password was put in a URL.
func TestSecurityCheckHidesSecrets(t *testing.T) {
	dir := t.TempDir()
	good := secretFile(t, dir, "mqtt_password", quantracPassword)
	open := filepath.Join(dir, "open_password")
	write(t, open, quantracPassword) // 0644: refused
	env := []string{"QUANTRAC_INFLUX_TOKEN=admin:" + influxPassword}
	for _, tc := range []struct {
		name, mqtt string
		code       int
		want       string
	}{
		{"valid", "broker: ssl://b.example:8883\nusername: quantrac\npassword_file: " + good, 0, "ok"},
		{"world-readable password file", "username: quantrac\npassword_file: " + open, 1, "readable by everyone"},
		{"password in the URL", "broker: ssl://quantrac:" + quantracPassword + "@b.example:8883", 1, "credentials in the URL are not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := checkOutput(t, qconfig{mqtt: tc.mqtt, influx: "url: http://127.0.0.1:8086"}.write(t, t.TempDir()), env...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, tc.code, tc.want, out)
			}
			assertNoSecrets(t, "quantrac check output", out, quantracPassword, influxPassword)
		})
	}
}
