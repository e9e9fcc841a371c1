// Package tlsfiles builds a client tls.Config from the file paths users configure: a CA
// bundle to verify the server, a client certificate and key for mutual TLS, and the server
// name. quantrac's broker connections (ingest, tt10) and its InfluxDB client share it.
package tlsfiles

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// Files are the TLS settings of one connection.
type Files struct {
	CAFile, CertFile, KeyFile, ServerName string
	InsecureSkipVerify                    bool
}

// IsZero reports whether nothing is set: Go's defaults (the system's CAs, the URL's host)
// apply.
func (f Files) IsZero() bool {
	return f.CAFile == "" && f.CertFile == "" && f.ServerName == "" && !f.InsecureSkipVerify
}

// Config builds the client configuration; what names the connection in errors ("mqtt",
// "influx"). It returns nil, nil when nothing is set.
func (f Files) Config(what string) (*tls.Config, error) {
	if f.IsZero() {
		return nil, nil
	}
	tc := &tls.Config{ServerName: f.ServerName, InsecureSkipVerify: f.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // opt-in, for tests
	if f.CAFile != "" {
		pem, err := os.ReadFile(f.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s CA file: %w", what, err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s CA file %s: no certificate found", what, f.CAFile)
		}
	}
	if f.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s client certificate: %w", what, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
