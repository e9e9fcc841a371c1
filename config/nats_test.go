package config

import (
	"strings"
	"testing"
)

func TestNATSDefaultsAndValid(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "stations.yaml", "stations: []\n", 0o644)
	write(t, dir, "nats.creds", "-----BEGIN NATS USER JWT-----\n", 0o600)
	p := write(t, dir, "q.yaml", `
source: nats
nats:
  urls: [nats://10.0.0.1:4222, tls://10.0.0.2:4222]
  member: m1
  credentials_file: nats.creds
stations_file: stations.yaml
`, 0o644)
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.NATS
	if cfg.Source != SourceNATS || n.Stream != "QUANTRAC" || n.Partitions != 16 || n.Group != "quantrac" || n.Replicas != 3 ||
		len(n.Subjects) != 1 || n.Subjects[0] != "stations.>" || n.Member != "m1" {
		t.Errorf("nats block = %+v", n)
	}
	if !strings.HasPrefix(n.CredentialsFile, dir) {
		t.Errorf("credentials_file %q not resolved against the config's directory", n.CredentialsFile)
	}
	def, err := Load("")
	if err != nil {
		t.Fatal(err)
	}
	if def.Source != SourceMQTT {
		t.Errorf("default source = %q, want mqtt", def.Source)
	}
}

func TestNATSErrorsNameFileKeyAndReason(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "stations.yaml", "stations: []\n", 0o644)
	write(t, dir, "open.creds", "x", 0o644)
	p := write(t, dir, "q.yaml", `
source: nats
nats:
  urls: [http://a:4222, "nats://u:pw@b:4222"]
  stream: "bad.name"
  subjects: ["stations.>.x"]
  partitions: 0
  group: "g g"
  replicas: 7
  credentials_file: open.creds
stations_file: stations.yaml
`, 0o644)
	_, err := Load(p)
	if err == nil {
		t.Fatal("invalid nats block accepted")
	}
	msg := err.Error()
	for _, want := range []string{
		"q.yaml:4: nats.urls[0]: scheme \"http\" not supported",
		"nats.urls[1]: credentials in the URL are not allowed",
		"q.yaml:5: nats.stream: \"bad.name\" is not a stream name",
		"nats.subjects[0]: \"stations.>.x\" is not a NATS subject filter",
		"q.yaml:7: nats.partitions: 0 out of range",
		"nats.group: \"g g\" is not a consumer group name",
		"nats.member: must be set when source is nats",
		"nats.replicas: 7 out of range",
		"nats.credentials_file: " + dir + "/open.creds is readable by everyone",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("errors lack %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "pw@") {
		t.Errorf("a password in a URL reached the error:\n%s", msg)
	}
}

func TestUnknownSource(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "stations.yaml", "stations: []\n", 0o644)
	p := write(t, dir, "q.yaml", "source: kafka\nstations_file: stations.yaml\n", 0o644)
	_, err := Load(p)
	if err == nil || !strings.Contains(err.Error(), "q.yaml:1: source: \"kafka\" is not a source (want mqtt or nats)") {
		t.Fatalf("err = %v", err)
	}
}
