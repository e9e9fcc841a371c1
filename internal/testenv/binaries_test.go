package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFindBinary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exe := func(rel string) string {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	explicit := exe("elsewhere/influxd")
	cached := exe("cache/bin/influxd")
	home := exe("home/.cache/quantrac/bin/influxd")
	notExec := filepath.Join(dir, "plain")
	if err := os.WriteFile(notExec, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	onPath := func(string) (string, error) { return "/path/influxd", nil }
	noPath := func(string) (string, error) { return "", errors.New("not found") }

	tests := []struct {
		name     string
		env      map[string]string
		lookPath func(string) (string, error)
		want     string
		wantErr  string // substring of the error
	}{
		{"variable first", map[string]string{EnvInfluxd: explicit, EnvCache: filepath.Join(dir, "cache")}, onPath, explicit, ""},
		{"cache before PATH", map[string]string{EnvCache: filepath.Join(dir, "cache")}, onPath, cached, ""},
		{"cache under HOME", map[string]string{"HOME": filepath.Join(dir, "home")}, onPath, home, ""},
		{"PATH", map[string]string{EnvCache: filepath.Join(dir, "empty")}, onPath, "/path/influxd", ""},
		{"missing", map[string]string{EnvCache: filepath.Join(dir, "empty")}, noPath, "", "scripts/deps.sh"},
		{"variable not executable", map[string]string{EnvInfluxd: notExec}, onPath, "", EnvInfluxd + "=" + notExec},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := influxdBinary().find(func(k string) string { return tt.env[k] }, tt.lookPath)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("find = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFindMosquittoFixedPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "mosquitto")
	if err := os.WriteFile(p, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	b := mosquittoBinary()
	b.fixed = []string{filepath.Join(dir, "nope"), p}
	got, err := b.find(func(string) string { return "" }, func(string) (string, error) { return "", errors.New("no") })
	if err != nil || got != p {
		t.Fatalf("find = %q, %v; want %q", got, err, p)
	}
}
