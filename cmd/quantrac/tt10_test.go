package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/internal/testenv"
)

const tt10Stations = `stations:
  - id: LC-WW-01
    kind: wastewater
    aliases: [NUO001]
`

// tt10Dir writes quantrac.yaml (broker, stations.yaml) and returns it with a watched folder.
func tt10Dir(t *testing.T, broker, stations string) (cfg, watch string) {
	t.Helper()
	dir := t.TempDir()
	if stations != "" {
		if err := os.WriteFile(filepath.Join(dir, "stations.yaml"), []byte(stations), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg = filepath.Join(dir, "quantrac.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("mqtt: {broker: %q, client_id: tt10-cmd-test}\nstations_file: stations.yaml\n", broker)), 0o644); err != nil {
		t.Fatal(err)
	}
	watch = filepath.Join(dir, "ftp")
	if err := os.Mkdir(watch, 0o755); err != nil {
		t.Fatal(err)
	}
	return cfg, watch
}

func TestTT10CommandErrors(t *testing.T) {
	cfg, watch := tt10Dir(t, "tcp://127.0.0.1:1", tt10Stations)
	noReg, watch2 := tt10Dir(t, "tcp://127.0.0.1:1", "")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no folder", []string{"-config", cfg}, 2, "-watch DIR is required"},
		{"stray argument", []string{"-watch", watch, "-config", cfg, "extra"}, 2, "-watch DIR is required"},
		{"bad flag", []string{"-watch", watch, "-interval", "soon"}, 2, "invalid value"},
		{"bad log level", []string{"-watch", watch, "-config", cfg, "-log.level", "loud"}, 2, "-log.level"},
		{"not a folder", []string{"-watch", cfg, "-config", cfg}, 1, "is not a folder"},
		{"no registry", []string{"-watch", watch2, "-config", noReg}, 1, "stations.yaml: no such file"},
		{"broker down", []string{"-watch", watch, "-config", cfg, "-once", "-connect.timeout", "1500ms"}, 1, "cannot connect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := tt10Command(tc.args, &out, &errOut)
			if code != tc.code || !strings.Contains(errOut.String(), tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tc.code, tc.want)
			}
		})
	}
}

// -once publishes the complete files of the folder to a real broker, moves them, rejects what
// it cannot route, and prints a summary line.
func TestTT10CommandOnce(t *testing.T) {
	b := testenv.Mosquitto(t, testenv.MosquittoOptions{})
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID("tt10-cmd-sub"))
	if tok := sub.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer sub.Disconnect(100)
	got := make(chan string, 10)
	if tok := sub.Subscribe("stations/+/+", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m.Topic() + " " + string(m.Payload()) }); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	cfg, watch := tt10Dir(t, b.URL(), tt10Stations)
	stamp := time.Now().Add(-time.Hour).In(time.FixedZone("ICT", 7*3600)).Format("20060102150405")
	files := map[string]string{
		"NUO001/x/LC_KCN_NUO001_" + stamp + ".txt": "COD\t80\tmg/L\t" + stamp + "\t00\n",
		"LC_KCN_NUO001_" + stamp + ".txt":          "TSS\t10\tmg/L\t" + stamp + "\t00\n",
		"LC_KCN_NUO999_" + stamp + ".txt":          "TSS\t10\tmg/L\t" + stamp + "\t00\n",
	}
	for rel, content := range files {
		p := filepath.Join(watch, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	if code := tt10Command([]string{"-watch", watch, "-config", cfg, "-once", "-settle", "0"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if s := out.String(); !strings.HasPrefix(s, "summary: done=2 ") || !strings.Contains(s, " unknown_station=1 ") || !strings.HasSuffix(s, " waiting=0 failed=0\n") {
		t.Errorf("summary %q", s)
	}
	for i := range 2 {
		select {
		case m := <-got:
			if !strings.HasPrefix(m, "stations/LC-WW-01/wastewater ") {
				t.Errorf("message %d: %q", i, m)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d messages received, want 2", i)
		}
	}
	for rel := range files {
		sub := ".done"
		if strings.Contains(rel, "NUO999") {
			sub = ".rejected"
		}
		if _, err := os.Stat(filepath.Join(watch, sub, rel)); err != nil {
			t.Errorf("%s not in %s: %v", rel, sub, err)
		}
	}
}
