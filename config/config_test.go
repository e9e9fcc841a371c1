package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quantrac/quantrac/ingest/payload"
)

func write(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadValid(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "stations.yaml", "stations: []\n", 0o644)
	write(t, dir, "pw", "s3cret\n", 0o600)
	p := write(t, dir, "q.yaml", `
mqtt:
  broker: ssl://broker.example:8883
  client_id: quantrac-a
  qos: 1
  username: quantrac
  password_file: pw
influx:
  url: http://127.0.0.1:8086
  bucket: quantrac/autogen
  batch_size: 100
  flush_interval: 250ms
spool: {dir: ./spool, max_bytes: 2GiB}
stations_file: stations.yaml
limits: {max_payload_bytes: 1024}
`, 0o644)
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MQTT.Password.Value() != "s3cret" {
		t.Errorf("password = %q", cfg.MQTT.Password.Value())
	}
	if cfg.Spool.MaxBytes != 2<<30 || cfg.Spool.Dir != filepath.Join(dir, "spool") {
		t.Errorf("spool = %+v", cfg.Spool)
	}
	if cfg.Influx.FlushInterval.Milliseconds() != 250 || cfg.Limits.MaxAge.Hours() != 720 {
		t.Errorf("durations: %v %v", cfg.Influx.FlushInterval, cfg.Limits.MaxAge)
	}
	if s := cfg.MQTT.Password.String(); s != "<redacted>" {
		t.Errorf("secret prints as %q", s)
	}
}

func TestLoadErrorsNameFileLineKey(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "mqtt:\n  brokr: tcp://x:1\n", []string{"q.yaml", "line 2", "brokr"}},
		{"bad qos", "mqtt:\n  qos: 3\n", []string{"q.yaml:2", "mqtt.qos", "not an MQTT QoS"}},
		{"qos 0", "mqtt:\n  qos: 0\n", []string{"q.yaml:2", "mqtt.qos: 0 is refused", "no acknowledgement", "use 1 or 2"}},
		{"missing stations", "stations_file: nope.yaml\n", []string{"q.yaml:1", "stations_file", "no such file"}},
		{"bad broker", "mqtt:\n  broker: http://x:1\n", []string{"q.yaml:2", "mqtt.broker", "scheme"}},
		{"bad size", "spool:\n  max_bytes: lots\n", []string{"q.yaml", "lots"}},
		{"bad filter", "mqtt:\n  topics: [\"a/#/b\"]\n", []string{"mqtt.topics[0]", "filter"}},
		{"world-readable secret", "influx:\n  token_file: tok\n", []string{"influx.token_file", "readable by everyone"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			write(t, dir, "tok", "user:pass", 0o644)
			_, err := Load(write(t, dir, "q.yaml", tc.yaml, 0o644))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "user:pass") {
				t.Errorf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestSecretFromEnvironment(t *testing.T) {
	t.Setenv(EnvInfluxToken, "admin:pw")
	cfg, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Influx.Token.Value() != "admin:pw" {
		t.Errorf("token = %q", cfg.Influx.Token.Value())
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]Bytes{"1GiB": 1 << 30, "512MiB": 512 << 20, "100MB": 1e8, "42": 42} {
		got, err := ParseBytes(in)
		if err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if Bytes(1<<30).String() != "1GiB" {
		t.Errorf("String = %s", Bytes(1<<30))
	}
}

func TestWebMapTiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "stations.yaml", "stations: []\n", 0o644)
	for _, tc := range []struct{ tiles, want string }{
		{"https://tile.example.org/{z}/{x}/{y}.png", ""},
		{"http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png", ""},
		{"tile.example.org/{z}/{x}/{y}.png", "is not an http(s) URL"},
		{"ftp://tile.example.org/{z}/{x}/{y}.png", "is not an http(s) URL"},
		{"https://tile.example.org/{z}/{x}.png", "must contain {z}, {x} and {y}"},
		{"https://user:pw@tile.example.org/{z}/{x}/{y}.png", "credentials in the URL are not allowed"},
	} {
		p := write(t, dir, "q.yaml", "stations_file: stations.yaml\nweb:\n  map_tiles: \""+tc.tiles+"\"\n", 0o644)
		cfg, err := Load(p)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.tiles, err)
		case tc.want == "" && cfg.Web.MapTiles != tc.tiles:
			t.Errorf("%s: loaded %q", tc.tiles, cfg.Web.MapTiles)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "q.yaml:3: web.map_tiles")):
			t.Errorf("%s: error %v, want %q at q.yaml:3: web.map_tiles", tc.tiles, err, tc.want)
		}
	}
}

// web.editors holds user names; an empty one, one with surrounding spaces or a colon (which
// basic auth cannot send) is refused naming file, line and the element's key; anything but a
// list of names is a decoding error naming its line.
func TestWebEditors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "stations.yaml", "stations: []\n", 0o644)
	cfg, err := Load(write(t, dir, "q.yaml", "stations_file: stations.yaml\nweb:\n  editors: [ann, bob]\n", 0o644))
	if err != nil || len(cfg.Web.Editors) != 2 || cfg.Web.Editors[1] != "bob" {
		t.Fatalf("valid editors: %+v, %v", cfg, err)
	}
	if cfg, _ := Load(""); len(cfg.Web.Editors) != 0 {
		t.Errorf("default editors %v, want none (nobody writes)", cfg.Web.Editors)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"web:\n  editors:\n    - ann\n    - \"\"\n", `q.yaml:4: web.editors[1]: must be a user name of the web config's basic_auth_users, not empty`},
		{"web:\n  editors:\n    - ann\n    - ann \n    - \" bob\"\n", `q.yaml:5: web.editors[2]: " bob" has leading or trailing spaces`},
		{"web:\n  editors:\n    - \"a:b\"\n", `q.yaml:3: web.editors[0]: "a:b" contains a colon`},
		{"web:\n  editors: ann\n", "line 2: cannot unmarshal !!str `ann` into []string"},
		{"web:\n  editors: [{name: ann}]\n", "line 2: cannot unmarshal !!map into string"},
		{"web:\n  editor: [ann]\n", "line 2: field editor not found"},
	} {
		_, err := Load(write(t, dir, "q.yaml", tc.yaml, 0o644))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

// Every payload format name quantrac prints (payload.Format.String) is accepted in
// mqtt.formats as printed, and an unknown one is refused naming those names.
func TestFormatNamesAsPrinted(t *testing.T) {
	dir := t.TempDir()
	for f := payload.Auto; f <= payload.DataLine; f++ {
		yml := fmt.Sprintf("mqtt:\n  formats: {\"legacy/%d/#\": %s}\n", f, f)
		if _, err := Load(write(t, dir, "q.yaml", yml, 0o644)); err != nil {
			t.Errorf("format %s as printed is refused: %v", f, err)
		}
	}
	_, err := Load(write(t, dir, "q.yaml", "mqtt:\n  formats: {\"legacy/#\": csv}\n", 0o644))
	if err == nil || !strings.Contains(err.Error(), `q.yaml:2: mqtt.formats: format "csv" for "legacy/#": unknown payload format "csv" (want auto, json, senml, line or tt10)`) {
		t.Errorf("unknown format: %v", err)
	}
}

// Two mqtt.formats filters that can match one topic with as many literal levels each are
// refused, naming both and a topic they share; one more specific than the other is fine.
func TestFormatFilterTies(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ formats, want string }{
		{`{"legacy/#": tt10, "legacy/+/air": json}`, ""},
		{`{"a/+": json, "b/+": tt10}`, ""},
		{`{"a/+/c": json, "a/b": tt10}`, ""},
		{`{"a/+": json, "+/b": tt10}`, `filters "+/b" and "a/+" both match topic "a/b" with 1 literal levels each`},
		{`{"a/#": json, "a/+": tt10}`, `filters "a/#" and "a/+" both match topic "a/x" with 1 literal levels each`},
		{`{"#": json, "+/+": tt10}`, `filters "#" and "+/+" both match topic "x/x" with 0 literal levels each`},
		{`{"a/#": json, "+": tt10}`, ""}, // 1 and 0 literal levels: a/# wins on "a"
		{`{"a/b/#": json, "a/+/c/#": tt10}`, `filters "a/+/c/#" and "a/b/#" both match topic "a/b/c" with 2 literal levels each`},
		{`{"a/b/#": json, "a/+/c/d": tt10}`, ""},
		{`{"a/b/#": json, "+/b/c": tt10}`, `filters "+/b/c" and "a/b/#" both match topic "a/b/c" with 2 literal levels each`},
		{`{"x/b/#": json, "a/+/c": tt10}`, ""},
	} {
		_, err := Load(write(t, dir, "q.yaml", "mqtt:\n  formats: "+tc.formats+"\n", 0o644))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.formats, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), "q.yaml:2: mqtt.formats: "+tc.want)):
			t.Errorf("%s: error %v, want q.yaml:2: mqtt.formats: %s", tc.formats, err, tc.want)
		}
	}
}
