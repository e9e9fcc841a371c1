package config

import (
	"fmt"
	"os"
	"strings"
)

// Secret is a password or token. It prints as "<redacted>" in every format so that it never
// reaches a log line or `quantrac check` output.
type Secret struct{ value string }

// NewSecret wraps a value (tests).
func NewSecret(v string) Secret { return Secret{v} }

// Value returns the secret itself; call it only where it is handed to a client.
func (s Secret) Value() string { return s.value }

// IsSet reports whether a secret was given.
func (s Secret) IsSet() bool { return s.value != "" }

// String implements fmt.Stringer.
func (s Secret) String() string {
	if s.value == "" {
		return ""
	}
	return "<redacted>"
}

// GoString implements fmt.GoStringer so %#v redacts too.
func (s Secret) GoString() string { return s.String() }

// MarshalText redacts the secret in JSON, YAML and slog output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// resolveSecret reads a secret from file (preferred) or the environment. A file readable by
// everyone is refused: a secret file must be chmod 0600 or 0640 (as Prometheus and Mosquitto
// users expect), because anyone on the host could read it otherwise.
func resolveSecret(p *problems, key, file, env string, getenv func(string) string) Secret {
	if file == "" {
		return Secret{getenv(env)}
	}
	info, err := os.Stat(file)
	if err != nil {
		p.add(key, "%v", unwrapPathError(err))
		return Secret{}
	}
	if info.Mode().Perm()&0o004 != 0 {
		p.add(key, "%s is readable by everyone (mode %v); chmod 600 it", file, info.Mode().Perm())
		return Secret{}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		p.add(key, "%v", unwrapPathError(err))
		return Secret{}
	}
	v := strings.TrimRight(string(data), "\r\n")
	if v == "" {
		p.add(key, "%s is empty", file)
	}
	return Secret{v}
}

var _ fmt.Stringer = Secret{}
