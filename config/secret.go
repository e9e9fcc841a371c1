package config

import (
	"errors"
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

// resolveSecret reads a secret from file (preferred) or the environment. A file other users
// can read or write is refused (openToOthers).
func resolveSecret(p *problems, key, file, env string, getenv func(string) string) Secret {
	if file == "" {
		return Secret{getenv(env)}
	}
	info, err := os.Stat(file)
	if err != nil {
		p.add(key, "%v", unwrapPathError(err))
		return Secret{}
	}
	if why := openToOthers(file, info.Mode()); why != "" {
		p.add(key, "%s", why)
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

// ReadSecretFile reads a secret from a file, for commands that take a -password-file flag:
// like a configuration's secret files, it must not be open to every user of the host
// (openToOthers) nor be empty; a trailing newline is not part of the secret.
func ReadSecretFile(path string) (Secret, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Secret{}, unwrapPathError(err)
	}
	if why := openToOthers(path, info.Mode()); why != "" {
		return Secret{}, errors.New(why)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return Secret{}, unwrapPathError(err)
	}
	v := strings.TrimRight(string(data), "\r\n")
	if v == "" {
		return Secret{}, fmt.Errorf("%s is empty", path)
	}
	return Secret{v}, nil
}

// openToOthers says why a secret or private key file with this mode is refused, or returns
// "": "others" (every user of the host) must neither read it nor write it. Readable, anyone
// learns the secret; writable, anyone can replace it (a password or key of their choosing).
// Owner and group access are the operator's choice: 0600, or 0640 with a dedicated group.
func openToOthers(path string, mode os.FileMode) string {
	var how string
	switch perm := mode.Perm(); perm & 0o006 {
	case 0:
		return ""
	case 0o004:
		how = "readable"
	case 0o002:
		how = "writable"
	default:
		how = "readable and writable"
	}
	return fmt.Sprintf("%s is %s by everyone (mode %#o); chmod 600 it (or 640 with a dedicated group)", path, how, mode.Perm())
}

var _ fmt.Stringer = Secret{}
