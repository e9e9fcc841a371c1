package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
)

// A loaded configuration printed in every way a program might print it never shows a secret.
func TestSecretsRedactedWhereverPrinted(t *testing.T) {
	const password, token = "mqtt-Pa55word-xyzzy", "admin:influx-t0ken-plugh"
	dir := t.TempDir()
	write(t, dir, "stations.yaml", "stations: []\n", 0o644)
	write(t, dir, "pw", password+"\n", 0o600)
	write(t, dir, "tok", token, 0o640)
	cfg, err := Load(write(t, dir, "q.yaml", "mqtt: {username: quantrac, password_file: pw}\ninflux: {token_file: tok}\n", 0o644))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MQTT.Password.Value() != password || cfg.Influx.Token.Value() != token {
		t.Fatalf("secrets not loaded: %q %q", cfg.MQTT.Password.Value(), cfg.Influx.Token.Value())
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "%v\n%+v\n%#v\n%s\n", cfg, cfg, cfg, cfg.MQTT.Password)
	js, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out.Write(js)
	slog.New(slog.NewTextHandler(&out, nil)).Info("config", "cfg", cfg, "mqtt", cfg.MQTT, "token", cfg.Influx.Token)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("config", "cfg", cfg, "mqtt", cfg.MQTT, "token", cfg.Influx.Token)
	for _, secret := range []string{password, "influx-t0ken-plugh"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("secret %q printed:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "<redacted>") {
		t.Errorf("no <redacted> marker in:\n%s", out.String())
	}
}

// Misplaced credentials and TLS settings that would be silently ignored are errors, and the
// errors never echo the secret.
func TestSecurityConfigProblems(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "pw", "s3cret", 0o600)
	write(t, dir, "ca.crt", "-", 0o644)
	write(t, dir, "open.key", "-", 0o644)
	write(t, dir, "closed.key", "-", 0o600)
	write(t, dir, "c.crt", "-", 0o644)
	for _, tc := range []struct {
		name, yaml string
		want       []string // substrings of the error; nil: no error
	}{
		{"password in broker URL", "mqtt: {broker: \"ssl://quantrac:hunter2@b.example:8883\"}\n",
			[]string{"mqtt.broker", "credentials in the URL", "password_file"}},
		{"password in unparsable broker URL", "mqtt: {broker: \"quantrac:hunter2@b example\"}\n",
			[]string{"mqtt.broker", "xxxxx@b example"}},
		{"password in influx URL", "influx: {url: \"https://admin:hunter2@i.example:8086\"}\n",
			[]string{"influx.url", "credentials in the URL", "token_file"}},
		{"tls with tcp", "mqtt: {broker: \"tcp://b:1883\", tls: {ca_file: ca.crt}}\n",
			[]string{"mqtt.tls", "tcp:// does not use TLS"}},
		{"tls with ws", "mqtt: {broker: \"ws://b:9001\", tls: {server_name: b}}\n",
			[]string{"mqtt.tls", "ws:// does not use TLS"}},
		{"tls with http", "influx: {url: \"http://i:8086\", tls: {ca_file: ca.crt}}\n",
			[]string{"influx.tls", "https://"}},
		{"world-readable key", "mqtt: {broker: \"ssl://b:8883\", tls: {cert_file: c.crt, key_file: open.key}}\n",
			[]string{"mqtt.tls.key_file", "readable by everyone"}},
		{"password without username", "mqtt: {password_file: pw}\n",
			[]string{"mqtt.password_file", "username is empty"}},
		{"tls with ssl", "mqtt: {broker: \"ssl://b:8883\", tls: {ca_file: ca.crt, cert_file: c.crt, key_file: closed.key}}\n", nil},
		{"tls with wss", "mqtt: {broker: \"wss://b:443/mqtt\", tls: {ca_file: ca.crt, server_name: b}}\n", nil},
		{"tls with https", "influx: {url: \"https://i:8086\", tls: {ca_file: ca.crt}}\n", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(write(t, dir, "q.yaml", tc.yaml, 0o644))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			for _, secret := range []string{"hunter2", "s3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks %q: %v", secret, err)
				}
			}
		})
	}
}

// Secret and key files accessible by "others" — readable or writable — are refused with the
// mode and the chmod that fixes it; owner and group access is the operator's choice.
func TestSecretFileModes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "c.crt", "-", 0o644)
	for _, tc := range []struct {
		mode os.FileMode
		want string // "" when accepted
	}{
		{0o600, ""}, {0o640, ""}, {0o660, ""}, {0o400, ""},
		{0o604, "readable by everyone (mode 0604)"},
		{0o644, "readable by everyone (mode 0644)"},
		{0o602, "writable by everyone (mode 0602)"},
		{0o622, "writable by everyone (mode 0622)"},
		{0o606, "readable and writable by everyone (mode 0606)"},
		{0o666, "readable and writable by everyone (mode 0666)"},
	} {
		for _, f := range []struct{ key, yaml string }{
			{"mqtt.password_file", "mqtt: {username: q, password_file: secret}\n"},
			{"influx.token_file", "influx: {token_file: secret}\n"},
			{"mqtt.tls.key_file", "mqtt: {broker: \"ssl://b:8883\", tls: {cert_file: c.crt, key_file: secret}}\n"},
		} {
			path := write(t, dir, "secret", "s3cret", tc.mode)
			if err := os.Chmod(path, tc.mode); err != nil { // not reduced by the umask
				t.Fatal(err)
			}
			_, err := Load(write(t, dir, "q.yaml", f.yaml, 0o644))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("%s mode %#o refused: %v", f.key, tc.mode, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), f.key) ||
				!strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "chmod 600")):
				t.Errorf("%s mode %#o: error %v, want %q and chmod 600", f.key, tc.mode, err, tc.want)
			}
		}
	}
}
