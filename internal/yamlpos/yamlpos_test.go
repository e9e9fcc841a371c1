package yamlpos

import (
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

const doc = `mqtt:
  broker: tcp://x
  tls:
    ca_file: a
rules:
  files:
    - one
    - two
limits:
  - {parameter: pm25}
  -
    parameter: no2
`

func TestSequenceLines(t *testing.T) {
	if got := SequenceLines([]byte(doc), "limits"); !slices.Equal(got, []int{10, 12}) {
		t.Errorf("limits at lines %v, want [10 12]", got)
	}
	if got := SequenceLines([]byte(doc), "stations"); got != nil {
		t.Errorf("a missing key: %v", got)
	}
	if got := SequenceLines([]byte("{"), "limits"); got != nil {
		t.Errorf("a document that does not parse: %v", got)
	}
}

func TestLine(t *testing.T) {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(doc), &n); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]int{"mqtt.tls.ca_file": 4, "rules.files[1]": 8, "mqtt.tls.cert_file": 3, "nats": 0} {
		if got := Line(&n, key); got != want {
			t.Errorf("Line(%s) = %d, want %d", key, got, want)
		}
	}
}
