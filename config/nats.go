package config

import (
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
)

// Sources, the values of the source key.
const (
	SourceMQTT = "mqtt" // an MQTT broker (Mosquitto): the embedded single-box setup
	SourceNATS = "nats" // a NATS JetStream cluster, as a member of a partitioned consumer group
)

// NATS is the JetStream cluster quantrac consumes from when source is nats (README.md, "Scaling
// out").
type NATS struct {
	// URLs are the cluster's nodes (nats:// or tls://); the client reconnects to any of them.
	URLs []string `yaml:"urls"`
	// Stream is the replicated stream that captures the stations' subjects.
	Stream string `yaml:"stream"`
	// Subjects are the stream's subjects (stations publish MQTT topic stations/X/air, which
	// the server's MQTT listener turns into subject stations.X.air).
	Subjects []string `yaml:"subjects"`
	// Partitions is the number of partitions of the consumer group: the most members it can
	// have. It is fixed when the group is created.
	Partitions int `yaml:"partitions"`
	// Group is the partitioned consumer group's name.
	Group string `yaml:"group"`
	// Member is this instance's member name. Instances with the same member name share its
	// partitions: the server pins one, the others stand by.
	Member string `yaml:"member"`
	// Replicas is the replication of the stream and of the group's stream (3 for R3).
	Replicas int `yaml:"replicas"`
	// CredentialsFile is a NATS .creds file (user JWT and NKey seed), or empty.
	CredentialsFile string `yaml:"credentials_file"`
	TLS             TLS    `yaml:"tls"`
}

// DefaultNATS returns the nats block's defaults (README.md, "Configuration reference").
func DefaultNATS() NATS {
	return NATS{Stream: "QUANTRAC", Subjects: []string{"stations.>"}, Partitions: 16, Group: "quantrac", Replicas: 3}
}

// natsSchemes are the URL schemes the NATS client dials.
var natsSchemes = []string{"nats", "tls"}

// validateSource checks the source key and, when it is nats, the nats block.
func (c *Config) validateSource(p *problems) {
	n := &c.NATS
	switch c.Source {
	case SourceMQTT:
		if len(n.URLs) == 0 {
			return // the nats block is used by source nats, the relay and quantrac cluster
		}
	case SourceNATS:
	default:
		p.add("source", "%q is not a source (want %s or %s)", c.Source, SourceMQTT, SourceNATS)
		return
	}
	if len(n.URLs) == 0 {
		p.add("nats.urls", "at least one server URL is needed when source is nats (nats://host:4222)")
	}
	for i, s := range n.URLs {
		u, err := url.Parse(s)
		key := fmt.Sprintf("nats.urls[%d]", i)
		switch {
		case err != nil || u.Host == "":
			p.add(key, "%q is not a URL like nats://host:4222", redactURL(s))
		case u.User != nil:
			p.add(key, "credentials in the URL are not allowed: use nats.credentials_file")
		case !slices.Contains(natsSchemes, u.Scheme):
			p.add(key, "scheme %q not supported (want one of %v)", u.Scheme, natsSchemes)
		}
	}
	if !validName(n.Stream) {
		p.add("nats.stream", "%q is not a stream name (letters, digits, - and _)", n.Stream)
	}
	if !validName(n.Group) {
		p.add("nats.group", "%q is not a consumer group name (letters, digits, - and _)", n.Group)
	}
	switch {
	case n.Member == "" && c.Source == SourceNATS:
		p.add("nats.member", "must be set when source is nats: instances with the same member share its partitions (one pinned, the others standby)")
	case n.Member != "" && !validName(n.Member):
		p.add("nats.member", "%q is not a member name (letters, digits, - and _)", n.Member)
	}
	if len(n.Subjects) == 0 {
		p.add("nats.subjects", "at least one subject is needed")
	}
	for i, s := range n.Subjects {
		if !validSubject(s) {
			p.add(fmt.Sprintf("nats.subjects[%d]", i), "%q is not a NATS subject filter", s)
		}
	}
	if n.Partitions < 1 || n.Partitions > 1024 {
		p.add("nats.partitions", "%d out of range (1..1024)", n.Partitions)
	}
	if n.Replicas < 1 || n.Replicas > 5 {
		p.add("nats.replicas", "%d out of range (1..5; 3 survives the loss of any one node)", n.Replicas)
	}
	if n.CredentialsFile != "" {
		if info, err := os.Stat(n.CredentialsFile); err != nil {
			p.add("nats.credentials_file", "%v", unwrapPathError(err))
		} else if info.Mode().Perm()&0o004 != 0 {
			// It holds the NKey seed: a credential like a password.
			p.add("nats.credentials_file", "%s is readable by everyone (mode %v); chmod 600 it", n.CredentialsFile, info.Mode().Perm())
		}
	}
	validateTLS(p, "nats.tls", n.TLS)
}

// validName reports whether s can name a stream, consumer or member: no spaces, dots,
// wildcards or path separators.
func validName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, r := range s {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// validSubject reports whether s is a NATS subject filter: non-empty tokens separated by
// dots, '*' a whole token, '>' only as the last token, no whitespace.
func validSubject(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return false
		case t == ">" && i != len(toks)-1:
			return false
		case len(t) > 1 && strings.ContainsAny(t, "*>"):
			return false
		}
	}
	return true
}
