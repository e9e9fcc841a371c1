package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/testenv"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPrintRegistry(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"-stations", "9", "-print-registry", "-seed", "5"}, &out, &errOut); err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	reg, err := quantrac.ParseRegistry(out.Bytes(), "stdout", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if reg.Len() != 9 || reg.Station("SIM-AQ-0006") == nil || reg.Station("SIM-WW-0003") == nil {
		t.Errorf("registry of %d stations: %s", reg.Len(), out.String())
	}
}

func TestFlagErrors(t *testing.T) {
	tests := [][]string{
		{}, // no stations
		{"-stations", "3", "-stations-file", "x"}, // both
		{"-stations-file", "x.yaml", "-print-registry"},
		{"-stations", "3", "-format", "xml"},
		{"-stations", "3", "-out", "/tmp/x"}, // -out needs tt10
		{"-stations", "3", "-qos", "2"},
		{"-stations", "3", "-bad", "1.5"},
		{"-stations", "3", "-start", "yesterday"},
		{"-stations", "3", "-layout", "tree"},
		{"-stations", "3", "extra"},
		{"-stations", "3", "-faults", "stuck,drift"},
		{"-stations", "3", "-faults", "all", "-fault-rate", "2"},
	}
	for _, args := range tests {
		var errOut bytes.Buffer
		if err := run(args, &bytes.Buffer{}, &errOut); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	var errOut bytes.Buffer
	if err := run([]string{"-h"}, &bytes.Buffer{}, &errOut); err == nil || !strings.Contains(errOut.String(), "-stations-file") {
		t.Errorf("-h: %v\n%s", err, errOut.String())
	}
}

// A day of 5-minute files for three stations, written as a backfill: one complete file per
// record set, in the dated layout, named after province, facility, station and local time.
func TestTT10Files(t *testing.T) {
	dir := t.TempDir()
	var errOut bytes.Buffer
	args := []string{"-stations", "3", "-format", "tt10", "-out", dir, "-rate", "0", "-count", "864",
		"-start", "2026-11-28T00:00:00+07:00", "-step", "5m"}
	if err := run(args, &bytes.Buffer{}, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(errOut.String(), "summary: sent=864 acked=864") || strings.Contains(errOut.String(), "faults") {
		t.Errorf("summary:\n%s", errOut.String())
	}
	perStation := map[string]int{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if len(parts) != 5 || parts[1] != "2026" || parts[2] != "11" || parts[3] != "28" ||
			!strings.HasPrefix(parts[4], "LC_SIM_"+parts[0]+"_20261128") || !strings.HasSuffix(parts[4], ".txt") {
			t.Errorf("unexpected file %s", rel)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Contains(b, []byte("\t00")) || (b[len(b)-1] != '\n') {
			t.Errorf("%s is not a complete record set: %q", rel, b)
		}
		perStation[parts[0]]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"SIMAQ0001", "SIMAQ0002", "SIMWW0001"} {
		if perStation[s] != 288 {
			t.Errorf("%s: %d files, want 288", s, perStation[s])
		}
	}
}

// -faults all injects every kind of fault and says how many readings each touched.
func TestFaultsSummary(t *testing.T) {
	var errOut bytes.Buffer
	args := []string{"-stations", "3", "-format", "tt10", "-out", t.TempDir(), "-rate", "0", "-count", "864",
		"-start", "2026-11-28T00:00:00+07:00", "-step", "5m", "-faults", "all", "-fault-rate", "0.05"}
	if err := run(args, &bytes.Buffer{}, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var stuck, spike, ratio, sentinel int
	i := strings.Index(errOut.String(), "stationsim: faults")
	if i < 0 {
		t.Fatalf("no faults line in\n%s", errOut.String())
	}
	line := errOut.String()[i:]
	if _, err := fmt.Sscanf(line, "stationsim: faults    stuck=%d spike=%d pm_ratio=%d sentinel=%d", &stuck, &spike, &ratio, &sentinel); err != nil {
		t.Fatalf("%v in\n%s", err, errOut.String())
	}
	if stuck < 48 || spike == 0 || ratio == 0 || sentinel == 0 {
		t.Errorf("faults stuck=%d spike=%d pm_ratio=%d sentinel=%d: want every kind, stuck ≥ 4 h", stuck, spike, ratio, sentinel)
	}
}

// stationsim -stations-file feeds a broker: every message arrives on its station's topic.
func TestPublishStationsFile(t *testing.T) {
	broker := testenv.Mosquitto(t, testenv.MosquittoOptions{})
	file := filepath.Join(t.TempDir(), "stations.yaml")
	reg := "stations:\n" +
		"  - {id: LC-AQ-01, kind: air, location: {lat: 22.39, lon: 103.45}, tags: {province: Lai Châu}}\n" +
		"  - {id: LC-WW-01, kind: wastewater, location: {lat: 22.35, lon: 103.50}, regulations: ['QCVN-40:2011/B'], coefficients: {kq: 0.9, kf: 1.0}}\n"
	if err := os.WriteFile(file, []byte(reg), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	got := map[string]int{}
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("sub"))
	if tok := sub.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer sub.Disconnect(100)
	tok := sub.Subscribe("stations/+/+", 1, func(_ mqtt.Client, m mqtt.Message) {
		mu.Lock()
		got[m.Topic()]++
		mu.Unlock()
	})
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	for _, format := range []string{"json", "senml", "line", "tt10"} {
		var errOut bytes.Buffer
		args := []string{"-broker", broker.URL(), "-stations-file", file, "-rate", "0", "-count", "10", "-format", format, "-conns", "2"}
		if err := run(args, &bytes.Buffer{}, &errOut); err != nil {
			t.Fatalf("%s: %v\n%s", format, err, errOut.String())
		}
		if !strings.Contains(errOut.String(), "summary: sent=10 acked=10 resent=0 failed=0 readings=75") {
			t.Errorf("%s summary:\n%s", format, errOut.String())
		}
	}
	testenv.Eventually(t, 5*time.Second, func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		ok := got["stations/LC-AQ-01/air"] == 20 && got["stations/LC-WW-01/wastewater"] == 20 &&
			got["stations/LC-AQ-01/status"] == 8 && got["stations/LC-WW-01/status"] == 8
		return ok, fmt.Sprint(got)
	})
}
