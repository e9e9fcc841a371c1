package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validStations = `stations:
  - id: LC-AQ-01
    kind: air
    location: {lat: 22.39, lon: 103.45}
    regulations: [QCVN-05:2023]
    aqi: [vn]
  - id: LC-WW-01
    kind: wastewater
    regulations: [QCVN-40:2011/B]
    coefficients: {kq: 0.9, kf: 1.0}
    limits:
      - {parameter: cod, max: 75, unit: mg/L, period: 1h}
`

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name      string
		config    string
		stations  string
		wantCode  int
		wantLines []string // each must appear in the output
	}{
		{"valid", "stations_file: stations.yaml\n", validStations, 0, []string{"ok (2 stations"}},
		{"unknown key", "stations_file: stations.yaml\nmqtt:\n  qos: 1\n  brokerr: tcp://x:1\n", validStations, 1, []string{"quantrac.yaml", "brokerr"}},
		{"bad qos", "stations_file: stations.yaml\nmqtt:\n  qos: 7\n", validStations, 1, []string{"quantrac.yaml:3: mqtt.qos: 7 is not an MQTT QoS"}},
		{"qos 0", "stations_file: stations.yaml\nmqtt:\n  qos: 0\n", validStations, 1, []string{"quantrac.yaml:3: mqtt.qos: 0 is refused"}},
		{"format as printed", "stations_file: stations.yaml\nmqtt:\n  formats: {\"legacy/#\": tt10}\n", validStations, 0, []string{"ok (2 stations"}},
		{"format alias", "stations_file: stations.yaml\nmqtt:\n  formats: {\"legacy/#\": dataline}\n", validStations, 0, []string{"ok (2 stations"}},
		{"qos 2", "stations_file: stations.yaml\nmqtt:\n  qos: 2\n", validStations, 0, []string{"ok (2 stations"}},
		{"overlapping formats, one more specific", "stations_file: stations.yaml\nmqtt:\n  formats: {\"legacy/#\": tt10, \"legacy/+/air\": json}\n", validStations, 0, []string{"ok (2 stations"}},
		{"overlapping formats tied", "stations_file: stations.yaml\nmqtt:\n  formats: {\"legacy/+\": tt10, \"+/air\": json}\n", validStations, 1,
			[]string{`quantrac.yaml:3: mqtt.formats: filters "+/air" and "legacy/+" both match topic "legacy/air"`}},
		{"accept receive time", "stations_file: stations.yaml\nlimits:\n  accept_receive_time: true\n", validStations, 0, []string{"ok (2 stations"}},
		{"accept receive time not a bool", "stations_file: stations.yaml\nlimits:\n  accept_receive_time: maybe\n", validStations, 1, []string{"quantrac.yaml", "maybe"}},
		{"missing stations file", "stations_file: nowhere.yaml\n", "", 1, []string{"quantrac.yaml:1: stations_file:", "nowhere.yaml", "no such file"}},
		{"unknown kind", "stations_file: stations.yaml\n", "stations:\n  - id: X1\n    kind: river\n", 1, []string{"stations.yaml:2: stations[0].kind: unknown kind \"river\""}},
		{"unknown regulation", "stations_file: stations.yaml\n", "stations:\n  - id: X1\n    kind: air\n    regulations: [QCVN-99:2099]\n", 1, []string{"QCVN-99:2099"}},
		// QCVN 40:2011 without kq and kf must not silently use 1 (rules/README.md).
		{"QCVN 40:2011 without coefficients", "stations_file: stations.yaml\n",
			"stations:\n  - id: LC-WW-02\n    kind: wastewater\n    regulations: [QCVN-40:2011/B]\n    coefficients: {kf: 1.0}\n", 1,
			[]string{"stations.yaml: station LC-WW-02: coefficients.kq: QCVN-40:2011/B multiplies its limits by kq"}},
		{"QCVN 14:2008 without k", "stations_file: stations.yaml\n",
			"stations:\n  - id: LC-WW-03\n    kind: wastewater\n    regulations: [QCVN-14:2008/A]\n", 1,
			[]string{"station LC-WW-03: coefficients.k: QCVN-14:2008/A multiplies its limits by k"}},
		{"bad basis", "stations_file: stations.yaml\n",
			"stations:\n  - id: LC-WW-04\n    kind: wastewater\n    basis: 2h\n", 1, []string{"stations.yaml:2: stations[0].basis: unknown basis \"2h\""}},
		{"tag value line protocol cannot carry", "stations_file: stations.yaml\n", "stations:\n  - id: X1\n    kind: air\n    tags: {site: 'ends\\'}\n", 1,
			[]string{`stations.yaml:2: stations[0].tags.site: value "ends\\" ends in a backslash`}},
		{"tag key InfluxDB refuses", "stations_file: stations.yaml\n", "stations:\n  - id: X1\n    kind: air\n    tags: {time: x}\n", 1,
			[]string{"stations.yaml:2: stations[0].tags.time: tag name must match"}},
		{"empty registry", "stations_file: stations.yaml\n", "stations: []\n", 1, []string{"stations.yaml: stations: no station registered", "stations_allow_empty"}},
		{"empty registry allowed", "stations_file: stations.yaml\nstations_allow_empty: true\n", "stations: []\n", 0, []string{"ok (0 stations"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.stations != "" {
				if err := os.WriteFile(filepath.Join(dir, "stations.yaml"), []byte(tc.stations), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := filepath.Join(dir, "quantrac.yaml")
			if err := os.WriteFile(cfg, []byte(tc.config), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			code := dispatch([]string{"check", "-config", cfg}, &out, &errOut)
			all := out.String() + errOut.String()
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; output:\n%s", code, tc.wantCode, all)
			}
			for _, w := range tc.wantLines {
				if !strings.Contains(all, w) {
					t.Errorf("output lacks %q:\n%s", w, all)
				}
			}
		})
	}
}

func TestCheckNeverPrintsSecrets(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stations.yaml"), []byte(validStations), 0o644); err != nil {
		t.Fatal(err)
	}
	// world-readable: refused
	if err := os.WriteFile(filepath.Join(dir, "pw"), []byte("hunter2-secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "quantrac.yaml")
	if err := os.WriteFile(cfg, []byte("stations_file: stations.yaml\nmqtt:\n  password_file: pw\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := dispatch([]string{"check", "-config", cfg}, &out, &errOut)
	if code == 0 || !strings.Contains(errOut.String(), "readable by everyone") {
		t.Errorf("world-readable password file accepted: %d %s", code, errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), "hunter2") {
		t.Error("check printed the secret")
	}
}

// A station that lists EU-2008/50 without EU-2024/2881 is valid but stops being judged when
// 2024/2881 repeals 2008/50/EC: check warns, naming the station and the stations file, and
// still exits 0; listing both gives no warning.
func TestCheckWarnsRepealedRegulation(t *testing.T) {
	for _, tc := range []struct {
		name, regulations string
		wantWarnings      []string
	}{
		{"2008/50 alone", "[EU-2008/50, EU-2008/50/information]", []string{
			"warning: " + "STATIONS: station DE-BE-01: regulations: EU-2008/50 without EU-2024/2881: Directive 2008/50/EC is repealed from 2026-12-12",
			"warning: " + "STATIONS: station DE-BE-01: regulations: EU-2008/50/information without EU-2024/2881/information",
		}},
		{"with its successors", "[EU-2008/50, EU-2024/2881, EU-2008/50/information, EU-2024/2881/information]", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			stations := filepath.Join(dir, "stations.yaml")
			body := "stations:\n  - id: DE-BE-01\n    kind: air\n    timezone: Europe/Berlin\n    regulations: " + tc.regulations + "\n"
			if err := os.WriteFile(stations, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "quantrac.yaml")
			if err := os.WriteFile(cfg, []byte("stations_file: stations.yaml\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			var out, errOut bytes.Buffer
			if code := dispatch([]string{"check", "-config", cfg}, &out, &errOut); code != 0 {
				t.Fatalf("exit %d, want 0:\n%s%s", code, out.String(), errOut.String())
			}
			if !strings.Contains(out.String(), "ok (1 stations") {
				t.Errorf("no ok line:\n%s", out.String())
			}
			lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
			if errOut.Len() == 0 {
				lines = nil
			}
			if len(lines) != len(tc.wantWarnings) {
				t.Fatalf("%d warning lines, want %d:\n%s", len(lines), len(tc.wantWarnings), errOut.String())
			}
			for i, w := range tc.wantWarnings {
				if want := strings.ReplaceAll(w, "STATIONS", stations); !strings.HasPrefix(lines[i], want) {
					t.Errorf("line %d: %q, want prefix %q", i, lines[i], want)
				}
			}
		})
	}
}
