package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// brokerName is the DNS name in the test broker's and InfluxDB proxy's certificates. They have
// no IP address, so a client connecting to 127.0.0.1 must set server_name: what a deployment
// behind a load balancer or with an IP-less certificate does.
const brokerName = "broker.quantrac.test"

// testCA is a certificate authority made for one test: ECDSA P-256, valid for an hour.
type testCA struct {
	t    *testing.T
	dir  string
	name string
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	// CertFile is the CA certificate (PEM), what clients and servers are given as ca_file.
	CertFile string
}

// newCA makes a CA named name and writes its certificate to dir/name.crt.
func newCA(t *testing.T, dir, name string) *testCA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"quantrac tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	ca := &testCA{t: t, dir: dir, name: name, cert: cert, key: key, CertFile: filepath.Join(dir, name+".crt")}
	writePEM(t, ca.CertFile, "CERTIFICATE", der, 0o644)
	return ca
}

// certFiles are a certificate and its private key on disk.
type certFiles struct{ Cert, Key string }

// server issues a server certificate for the DNS names (no IP addresses).
func (ca *testCA) server(file string, dnsNames ...string) certFiles {
	ca.t.Helper()
	return ca.issue(file, &x509.Certificate{
		Subject:     pkix.Name{CommonName: dnsNames[0]},
		DNSNames:    dnsNames,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
}

// client issues a client certificate whose common name is cn (Mosquitto's
// use_identity_as_username takes it as the username).
func (ca *testCA) client(file, cn string) certFiles {
	ca.t.Helper()
	return ca.issue(file, &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

func (ca *testCA) issue(file string, tmpl *x509.Certificate) certFiles {
	t := ca.t
	t.Helper()
	key := newKey(t)
	tmpl.SerialNumber = serial(t)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	f := certFiles{Cert: filepath.Join(ca.dir, file+".crt"), Key: filepath.Join(ca.dir, file+".key")}
	writePEM(t, f.Cert, "CERTIFICATE", der, 0o644)
	// Private keys are secrets: quantrac refuses key files readable by everyone.
	writePEM(t, f.Key, "PRIVATE KEY", keyDER, 0o600)
	return f
}

// pool is a certificate pool holding only this CA, for the test's own clients.
func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// clientTLS is the TLS configuration of a test client trusting ca, optionally with a client
// certificate.
func (ca *testCA) clientTLS(cert *certFiles) *tls.Config {
	ca.t.Helper()
	tc := &tls.Config{RootCAs: ca.pool(), ServerName: brokerName, MinVersion: tls.VersionTLS12}
	if cert != nil {
		kp, err := tls.LoadX509KeyPair(cert.Cert, cert.Key)
		if err != nil {
			ca.t.Fatal(err)
		}
		tc.Certificates = []tls.Certificate{kp}
	}
	return tc
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func serial(t *testing.T) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func writePEM(t *testing.T, path, typ string, der []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), mode); err != nil {
		t.Fatal(err)
	}
}

// TestSecurityCertsVerify checks the test PKI itself: a server certificate verifies for its
// DNS name against its CA only, never for 127.0.0.1, and a client certificate verifies as a
// client. Were this broken, the TLS tests below could pass for the wrong reason.
func TestSecurityCertsVerify(t *testing.T) {
	dir := t.TempDir()
	ca, other := newCA(t, dir, "ca"), newCA(t, dir, "other-ca")
	srv, cli := ca.server("server", brokerName), ca.client("client", "LC-AQ-01")
	load := func(f certFiles) *x509.Certificate {
		kp, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			t.Fatal(err)
		}
		return kp.Leaf
	}
	if _, err := load(srv).Verify(x509.VerifyOptions{Roots: ca.pool(), DNSName: brokerName}); err != nil {
		t.Errorf("server cert does not verify: %v", err)
	}
	if _, err := load(srv).Verify(x509.VerifyOptions{Roots: other.pool(), DNSName: brokerName}); err == nil {
		t.Error("server cert verifies against another CA")
	}
	if err := load(srv).VerifyHostname(net.IPv4(127, 0, 0, 1).String()); err == nil {
		t.Error("server cert is valid for 127.0.0.1: server_name would not be exercised")
	}
	if _, err := load(cli).Verify(x509.VerifyOptions{Roots: ca.pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client cert does not verify: %v", err)
	}
}
