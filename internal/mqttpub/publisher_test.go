package mqttpub

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/quantrac/quantrac/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The MQTT publisher delivers a file, byte for byte, at QoS 1 to a real Mosquitto, and
// Publish returns only after the broker's PUBACK; without a connection it fails at once.
func TestMQTTPublish(t *testing.T) {
	b := testenv.Mosquitto(t, testenv.MosquittoOptions{})
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID("tt10-test-sub"))
	if tok := sub.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer sub.Disconnect(100)
	got := make(chan mqtt.Message, 1)
	if tok := sub.Subscribe("stations/#", 1, func(_ mqtt.Client, m mqtt.Message) { got <- m }); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}

	reg := prometheus.NewRegistry()
	pub := New(Options{Broker: b.URL(), ClientID: "tt10-test", AckTimeout: 5 * time.Second, Registerer: reg,
		GaugeName: "quantrac_tt10_mqtt_connected", GaugeHelp: "1 while connected."})
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := pub.Publish(ctx, "stations/LC-WW-01/wastewater", []byte("x")); err == nil {
		t.Error("publish before connecting succeeded")
	}
	if err := pub.ConnectRetry(ctx); err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if !pub.Connected() {
		t.Error("not reported connected")
	}
	const connected = `# HELP quantrac_tt10_mqtt_connected 1 while connected.
# TYPE quantrac_tt10_mqtt_connected gauge
quantrac_tt10_mqtt_connected 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(connected)); err != nil {
		t.Error(err)
	}
	file := []byte("\ufeffCOD\t80,5\tmg/L\t20260101120000\t00\r\nTSS\t10\tmg/L\t20260101120000\t02\r\n")
	if err := pub.Publish(ctx, "stations/LC-WW-01/wastewater", file); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		if m.Topic() != "stations/LC-WW-01/wastewater" || string(m.Payload()) != string(file) || m.Qos() != 1 {
			t.Errorf("received %s %q qos %d", m.Topic(), m.Payload(), m.Qos())
		}
	case <-ctx.Done():
		t.Fatal("nothing received")
	}
	// A cancelled publish returns the context's error.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if err := pub.Publish(cctx, "stations/LC-WW-01/wastewater", file); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled publish: %v", err)
	}
}
