package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"


	"github.com/quantrac/quantrac/internal/testenv"
)

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

// quantrac ingests through a Mosquitto TLS listener (server certificate checked against
// mqtt.tls.ca_file and server_name), through a mutual-TLS listener where the client
// certificate is the identity, and over MQTT over secure WebSocket (wss://). Its log and
// `quantrac check` never show a secret.
func TestSecurityMQTTTLS(t *testing.T) {
	dir := t.TempDir()
	p := newPKI(t, dir)
	serverTLS := []string{"certfile " + p.server.Cert, "keyfile " + p.server.Key}
	mutualTLS := append(serverTLS[:2:2], "cafile "+p.ca.CertFile, "require_certificate true", "use_identity_as_username true")
	wss := append(serverTLS[:2:2], "protocol websockets")
	broker := tlsBroker(t, dir, serverTLS, mutualTLS, wss)
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
			q := launch(t, cfg, tc.env)
			q.waitReady(q.get)
			var st *station
			if tc.client {
				st = connectStation(t, tc.url, "st-"+tc.name, "", "", p.ca.clientTLS(&p.station))
			} else {
				st = connectStation(t, tc.url, "st-"+tc.name, "LC-AQ-01", stationPassword, p.ca.clientTLS(nil))
			}
			before := pm25Count(influx, "LC-AQ-01")
			st.publish("stations/LC-AQ-01/air", reading(time.Duration(i+1)*time.Minute, 21.5, ""))
			testenv.Eventually(t, 30*time.Second, func() (bool, string) {
				n := pm25Count(influx, "LC-AQ-01")
				return n == before+1, fmt.Sprintf("%d pm25 values, want %d", n, before+1)
			})
			if log := q.log(); !strings.Contains(log, "connected to MQTT broker") || !strings.Contains(log, tc.url) {
				t.Errorf("log does not say it connected to %s", tc.url)
			}
			assertNoSecrets(t, "quantrac log", q.log(), secrets...)
			code, out := checkOutput(t, cfg, tc.env...)
			if code != 0 || !strings.Contains(out, "ok") {
				t.Errorf("quantrac check: exit %d\n%s", code, out)
			}
			assertNoSecrets(t, "quantrac check output", out, secrets...)
		})
	}
}
