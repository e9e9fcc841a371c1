package tlsfiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfig(t *testing.T) {
	if tc, err := (Files{}).Config("mqtt"); tc != nil || err != nil {
		t.Errorf("zero Files: %v %v, want nil nil", tc, err)
	}
	tc, err := Files{ServerName: "broker.example", InsecureSkipVerify: false}.Config("mqtt")
	if err != nil || tc.ServerName != "broker.example" || tc.MinVersion == 0 {
		t.Errorf("server name only: %+v %v", tc, err)
	}
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(notPEM, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		f    Files
		want string
	}{
		{Files{CAFile: filepath.Join(dir, "missing.pem")}, "influx CA file"},
		{Files{CAFile: notPEM}, "no certificate found"},
		{Files{CertFile: notPEM, KeyFile: notPEM}, "influx client certificate"},
	} {
		if _, err := tc.f.Config("influx"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want it to mention %q", tc.f, err, tc.want)
		}
	}
}
