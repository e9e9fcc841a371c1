package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quantrac/quantrac"
)

// Config is the whole configuration file.
type Config struct {
	MQTT         MQTT   `yaml:"mqtt"`
	Influx       Influx `yaml:"influx"`
	Spool        Spool  `yaml:"spool"`
	StationsFile string `yaml:"stations_file"`
	// StationsAllowEmpty lets the registry hold no station (quantrac.RegistryOptions).
	StationsAllowEmpty bool   `yaml:"stations_allow_empty"`
	Rules              Rules  `yaml:"rules"`
	Limits             Limits `yaml:"limits"`
	// Source is where messages come from: "mqtt" (the default) or "nats" (README.md, "Scaling
	// out").
	Source string `yaml:"source"`
	NATS   NATS   `yaml:"nats"`
	Web    Web    `yaml:"web"`
	// QC is the automatic data-quality checks; nil (no qc section) runs none.
	QC *QC `yaml:"qc"`

	// File is the path the configuration was loaded from ("" for defaults).
	File string `yaml:"-"`
	// stationsDefaulted is true when stations_file was not set explicitly.
	stationsDefaulted bool
}

// MQTT is the broker connection.
type MQTT struct {
	Broker        string   `yaml:"broker"`
	ClientID      string   `yaml:"client_id"`
	Topics        []string `yaml:"topics"`
	TopicTemplate string   `yaml:"topic_template"`
	QoS           int      `yaml:"qos"`
	Username      string   `yaml:"username"`
	PasswordFile  string   `yaml:"password_file"`
	TLS           TLS      `yaml:"tls"`
	// Formats forces a payload format for topics matching an MQTT filter, by the name
	// payload.Format prints (json, senml, line, tt10; payload.ParseFormat accepts them and
	// older aliases); other topics are detected from content.
	Formats map[string]string `yaml:"formats"`
	// MaxInflight bounds the messages decoded but not yet acknowledged.
	MaxInflight int `yaml:"max_inflight"`

	// Password is resolved from PasswordFile or QUANTRAC_MQTT_PASSWORD.
	Password Secret `yaml:"-"`
}

// TLS holds file paths for TLS connections.
type TLS struct {
	CAFile             string `yaml:"ca_file"`
	CertFile           string `yaml:"cert_file"`
	KeyFile            string `yaml:"key_file"`
	ServerName         string `yaml:"server_name"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Influx is the InfluxDB connection.
type Influx struct {
	URL           string        `yaml:"url"`
	Org           string        `yaml:"org"`
	Bucket        string        `yaml:"bucket"`
	TokenFile     string        `yaml:"token_file"`
	BatchSize     int           `yaml:"batch_size"`
	FlushInterval time.Duration `yaml:"flush_interval"`
	Timeout       time.Duration `yaml:"timeout"`
	TLS           TLS           `yaml:"tls"`

	// Token is resolved from TokenFile or QUANTRAC_INFLUX_TOKEN ("user:password" on 1.8).
	Token Secret `yaml:"-"`
}

// Spool is the local disk buffer for data InfluxDB has not taken yet.
type Spool struct {
	Dir      string `yaml:"dir"`
	MaxBytes Bytes  `yaml:"max_bytes"`
}

// Rules configures rule files beside the built-in catalog.
type Rules struct {
	Files []string `yaml:"files"`
}

// Web configures the console (the listener and its TLS and basic auth come from flags and the
// exporter-toolkit web config file).
type Web struct {
	// MapTiles is an optional base-map tile URL with {z}, {x} and {y}, e.g.
	// https://tile.example.org/{z}/{x}/{y}.png; without it the map draws the embedded outline.
	MapTiles string `yaml:"map_tiles"`
	// Editors are the users of the web config's basic_auth_users who may write QC spans and
	// approvals (docs/data-quality.md); the others only read.
	Editors []string `yaml:"editors"`
}

// Limits bound what untrusted input may cost.
type Limits struct {
	MaxPayloadBytes int           `yaml:"max_payload_bytes"`
	MaxFutureSkew   time.Duration `yaml:"max_future_skew"`
	MaxAge          time.Duration `yaml:"max_age"`
	MaxReadings     int           `yaml:"max_readings"`
	MaxArray        int           `yaml:"max_array"`
	// CloseDelay is how long after a period's end the wall clock closes it for a station that
	// sent nothing newer, so that a station fallen silent still has its hour and day judged.
	CloseDelay time.Duration `yaml:"close_delay"`
	// AcceptReceiveTime takes readings with no time of their own (line protocol without a
	// timestamp, SenML without bt/t) at the receive time instead of rejecting them no_time;
	// a message redelivered after a crash is then stored twice.
	AcceptReceiveTime bool `yaml:"accept_receive_time"`
}

// Default returns the configuration used when no file is given: a local Mosquitto and
// InfluxDB, as in the demo.
func Default() Config {
	return Config{
		MQTT: MQTT{
			Broker:        "tcp://127.0.0.1:1883",
			ClientID:      "quantrac-1",
			Topics:        []string{"stations/+/+"},
			TopicTemplate: "stations/{station}/{kind}",
			QoS:           1,
			MaxInflight:   20000,
		},
		Influx: Influx{
			URL:           "http://127.0.0.1:8086",
			Bucket:        "quantrac/autogen",
			BatchSize:     5000,
			FlushInterval: time.Second,
			Timeout:       10 * time.Second,
		},
		Spool:             Spool{Dir: "./data/spool", MaxBytes: 1 << 30},
		Source:            SourceMQTT,
		NATS:              DefaultNATS(),
		StationsFile:      "stations.yaml",
		stationsDefaulted: true,
		Limits: Limits{
			MaxPayloadBytes: 256 << 10,
			MaxFutureSkew:   5 * time.Minute,
			MaxAge:          720 * time.Hour,
			MaxReadings:     1000,
			MaxArray:        10000,
			CloseDelay:      30 * time.Minute,
		},
	}
}

// Environment variables that may hold secrets.
const (
	EnvMQTTPassword = "QUANTRAC_MQTT_PASSWORD"
	EnvInfluxToken  = "QUANTRAC_INFLUX_TOKEN"
)

// Load reads, decodes strictly and validates a configuration file. An empty path returns the
// defaults. Relative paths inside the file are resolved against the file's directory.
// All problems are returned joined, each naming file, line (where known), key and reason.
func Load(path string) (*Config, error) {
	cfg := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		if err := decode(data, path, &cfg); err != nil {
			return nil, err
		}
		cfg.File = path
		cfg.resolvePaths(filepath.Dir(path))
	}
	if err := cfg.validate(os.Getenv); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// StationsFileRequired reports whether a missing stations file is an error: it is when the
// file was named in the configuration.
func (c *Config) StationsFileRequired() bool { return !c.stationsDefaulted }

// RegistryOptions returns how the station registry is to be loaded, for every command that
// loads it (run, check, reload, tt10).
func (c *Config) RegistryOptions() quantrac.RegistryOptions {
	return quantrac.RegistryOptions{AllowEmpty: c.StationsAllowEmpty}
}

func decode(data []byte, file string, cfg *Config) error {
	defaultStations := cfg.StationsFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("%s: %s", file, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	cfg.stationsDefaulted = cfg.StationsFile == defaultStations && !bytes.Contains(data, []byte("stations_file"))
	return nil
}

func (c *Config) resolvePaths(dir string) {
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(dir, *p)
		}
	}
	abs(&c.StationsFile)
	abs(&c.MQTT.PasswordFile)
	abs(&c.MQTT.TLS.CAFile)
	abs(&c.MQTT.TLS.CertFile)
	abs(&c.MQTT.TLS.KeyFile)
	abs(&c.Influx.TokenFile)
	abs(&c.Influx.TLS.CAFile)
	abs(&c.Influx.TLS.CertFile)
	abs(&c.Influx.TLS.KeyFile)
	for i := range c.Rules.Files {
		abs(&c.Rules.Files[i])
	}
	abs(&c.NATS.CredentialsFile)
	abs(&c.NATS.TLS.CAFile)
	abs(&c.NATS.TLS.CertFile)
	abs(&c.NATS.TLS.KeyFile)
	abs(&c.Spool.Dir)
}

// BrokerURL returns the parsed broker URL.
func (m *MQTT) BrokerURL() (*url.URL, error) { return url.Parse(m.Broker) }
