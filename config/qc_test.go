package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/qc"
)

// Without a qc section the checks are off; `qc: {}` gives exactly qc.Defaults.
func TestQCAbsentOrEmpty(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Load(write(t, dir, "q.yaml", "limits: {max_age: 24h}\n", 0o644))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QC != nil {
		t.Errorf("no qc section: QC = %+v, want nil (checks off)", cfg.QC)
	}
	cfg, err = Load(write(t, dir, "q.yaml", "qc: {}\n", 0o644))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.QC == nil {
		t.Fatal("qc: {} left QC nil")
	}
	if got, want := cfg.QC.Settings(), qc.Defaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("qc: {} settings = %+v\nwant qc.Defaults() = %+v", got, want)
	}
}

// Every key maps onto qc.Settings; what a parameter leaves out keeps its default.
func TestQCSettings(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Load(write(t, dir, "q.yaml", `qc:
  flatline: 6h
  spike_readings: 2
  pm_ratio_tolerance: 0.2
  pm_ratio_margin: 3
  sentinels: [-999, 65535]
  off: [pm_ratio]
  parameters:
    no2: {flatline: 3h, spike: 300}
    pm10: {floor: 5, off: [spike]}
    ph: {off: []}
    flow: {flatline: 12h}
`, 0o644))
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.QC.Settings()
	def := qc.Defaults()
	if s.Flatline != 6*time.Hour || s.SpikeReadings != 2 || s.PMRatioTolerance != 0.2 || s.PMRatioMargin != 3 {
		t.Errorf("globals = %v %v %v %v", s.Flatline, s.SpikeReadings, s.PMRatioTolerance, s.PMRatioMargin)
	}
	if !reflect.DeepEqual(s.Sentinels, []float64{-999, 65535}) || !reflect.DeepEqual(s.Off, []qc.Check{qc.PMRatio}) {
		t.Errorf("sentinels %v, off %v", s.Sentinels, s.Off)
	}
	if p := s.Params["no2"]; p.Flatline != 3*time.Hour || p.Spike != 300 || p.Floor != def.Params["no2"].Floor {
		t.Errorf("no2 = %+v (floor must stay %v)", p, def.Params["no2"].Floor)
	}
	if p := s.Params["pm10"]; p.Floor != 5 || p.Spike != def.Params["pm10"].Spike || !reflect.DeepEqual(p.Off, []qc.Check{qc.Spike}) {
		t.Errorf("pm10 = %+v", p)
	}
	if !s.On(qc.Flatline, "ph") || def.On(qc.Flatline, "ph") {
		t.Errorf("ph: {off: []} must turn pH's flat-line check on (default off)")
	}
	if s.On(qc.Spike, "pm10") || s.On(qc.PMRatio, "pm25") || !s.On(qc.Spike, "no2") {
		t.Errorf("off lists not applied")
	}
	if p := s.Params["flow"]; p.Flatline != 12*time.Hour {
		t.Errorf("flow = %+v", p)
	}
	if !reflect.DeepEqual(s.Params["so2"], def.Params["so2"]) {
		t.Errorf("so2 changed: %+v", s.Params["so2"])
	}
	if err := s.Validate(); err != nil {
		t.Errorf("settings from a valid section do not validate: %v", err)
	}
}

// Each mistake is reported at its file:line with its key and the reason.
func TestQCErrorsNameLineKeyReason(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"unknown key", "qc:\n  flatlin: 4h\n", []string{"q.yaml", "line 2", "flatlin"}},
		{"unknown parameter key", "qc:\n  parameters:\n    no2: {spikes: 3}\n", []string{"q.yaml", "line 3", "spikes"}},
		{"empty section", "limits: {max_age: 24h}\nqc:\n", []string{"q.yaml:2: qc: is empty", "qc: {}"}},
		{"bad duration", "qc:\n  flatline: four hours\n", []string{"q.yaml", "line 2", "four hours"}},
		{"short flatline", "qc:\n  flatline: 30s\n", []string{"q.yaml:2: qc.flatline: 30s out of range (1m0s..48h0m0s"}},
		{"spike readings", "qc:\n  spike_readings: 0\n", []string{"q.yaml:2: qc.spike_readings: 0 out of range (1..20"}},
		{"tolerance", "qc:\n  pm_ratio_tolerance: -0.1\n", []string{"q.yaml:2: qc.pm_ratio_tolerance: -0.1 out of range"}},
		{"margin", "qc:\n  pm_ratio_margin: -1\n", []string{"q.yaml:2: qc.pm_ratio_margin: -1 must be"}},
		{"sentinel", "qc:\n  sentinels: [1, .nan]\n", []string{"q.yaml:2: qc.sentinels[1]: NaN is not a value"}},
		{"off", "qc:\n  off:\n    - flatline\n    - stuck\n", []string{`q.yaml:4: qc.off[1]: unknown check "stuck" (want flatline, spike, pm_ratio or sentinel)`}},
		{"unknown parameter", "qc:\n  parameters:\n    nox2: {spike: 3}\n", []string{`q.yaml:3: qc.parameters.nox2: unknown parameter "nox2"`}},
		{"alias", "qc:\n  parameters:\n    NO2: {spike: 3}\n", []string{`q.yaml:3: qc.parameters.NO2: "NO2" is an alias: write the canonical id "no2"`}},
		{"parameter flatline", "qc:\n  parameters:\n    no2:\n      flatline: 72h\n", []string{"q.yaml:4: qc.parameters.no2.flatline: 72h0m0s out of range"}},
		{"parameter spike", "qc:\n  parameters:\n    no2:\n      spike: -5\n", []string{"q.yaml:4: qc.parameters.no2.spike: -5 must be"}},
		{"parameter floor", "qc:\n  parameters:\n    no2:\n      floor: .inf\n", []string{"q.yaml:4: qc.parameters.no2.floor: +Inf is not"}},
		{"parameter off", "qc:\n  parameters:\n    no2:\n      off: [spike, flat]\n", []string{`q.yaml:4: qc.parameters.no2.off[1]: unknown check "flat"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(write(t, dir, "q.yaml", tc.yaml, 0o644))
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
