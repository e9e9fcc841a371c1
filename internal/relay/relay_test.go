package relay

import (
	"context"
	"fmt"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/ingest/natsjs"
	"github.com/quantrac/quantrac/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type running struct {
	t      *testing.T
	r      *Relay
	cancel context.CancelFunc
	done   chan error
}

func startRelay(t *testing.T, broker *testenv.Broker, c *testenv.NATS, l natsjs.Layout) *running {
	t.Helper()
	src := ingest.NewMQTTSource(ingest.MQTTOptions{Broker: broker.URL(), ClientID: "relay-1", Topics: []string{"stations/+/+"}, QoS: 1, MaxInflight: 100})
	rr := &running{r: New(Options{Source: src, Conn: natsjs.ConnOptions{URLs: c.URLList()}, Layout: l, Registerer: prometheus.NewRegistry()}),
		done: make(chan error, 1), t: t}
	ctx, cancel := context.WithCancel(context.Background())
	rr.cancel = cancel
	go func() { rr.done <- rr.r.Run(ctx) }()
	t.Cleanup(rr.stop)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) { return src.Connected() && rr.r.Connected(), "relay not connected" })
	return rr
}

func (rr *running) stop() {
	if rr.cancel != nil {
		rr.cancel()
		if err := <-rr.done; err != nil {
			rr.t.Errorf("Run: %v", err)
		}
		rr.cancel = nil
	}
}

// Where the NATS MQTT listener PUBACKs a message its stream refused (natsjs
// TestMQTTPubAckDoesNotWaitForTheStream), the relay does not acknowledge it: it retries until
// the stream takes it, so nothing acknowledged to a station is lost, and after a restart the
// broker has nothing left to deliver again.
func TestRelayAcksOnlyStored(t *testing.T) {
	broker := testenv.Mosquitto(t, testenv.MosquittoOptions{Persistence: true})
	c := testenv.NATSCluster(t, testenv.NATSOptions{})
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	full := jetstream.StreamConfig{Name: "QUANTRAC", Subjects: []string{"stations.>"}, Replicas: 3, MaxMsgs: 5, Discard: jetstream.DiscardNew}
	if _, err := js.CreateStream(ctx, full); err != nil {
		t.Fatal(err)
	}
	part, _ := natsjs.PartitioningFor("stations/{station}/{kind}", 4)
	l := natsjs.Layout{Stream: "QUANTRAC", Subjects: []string{"stations.>"}, Replicas: 3, Group: "quantrac", Partitioning: part}
	rr := startRelay(t, broker, c, l)

	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("station"))
	if tok := pub.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	for i := range 20 {
		if tok := pub.Publish("stations/S-1/air", 1, false, fmt.Sprintf(`{"pm25": %d}`, i)); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	stored := func() uint64 {
		s, err := js.Stream(ctx, "QUANTRAC")
		if err != nil {
			t.Fatal(err)
		}
		return s.CachedInfo().State.Msgs
	}
	// The relay counts a message forwarded just after its publish ack: wait for both.
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		e, f := testutil.ToFloat64(rr.r.errs), testutil.ToFloat64(rr.r.forwarded)
		return e > 0 && stored() == 5 && f >= 5, fmt.Sprintf("%v publish errors, %d stored, %v forwarded", e, stored(), f)
	})
	if v := testutil.ToFloat64(rr.r.forwarded); v != 5 {
		t.Fatalf("%v messages acknowledged with a full stream, want 5", v)
	}
	full.MaxMsgs = -1
	if _, err := js.UpdateStream(ctx, full); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		return stored() == 20, fmt.Sprintf("%d of 20 stored once the stream has room", stored())
	})
	// Everything was acknowledged to Mosquitto: a new relay on the same session gets nothing.
	rr.stop()
	rr2 := startRelay(t, broker, c, l)
	time.Sleep(2 * time.Second)
	if d, s := testutil.ToFloat64(rr2.r.dups), testutil.ToFloat64(rr2.r.forwarded); d+s != 0 || stored() != 20 {
		t.Errorf("after a restart the relay got %v duplicates and %v new messages; stream holds %d", d, s, stored())
	}
}

// A topic Mosquitto accepts but NATS cannot carry as is (whitespace, a level "*") is relayed
// under an escaped subject that maps back to the same topic, and acknowledged once stored:
// never acknowledged and dropped.
func TestRelayEscapesTopicsNATSCannotCarry(t *testing.T) {
	broker := testenv.Mosquitto(t, testenv.MosquittoOptions{})
	c := testenv.NATSCluster(t, testenv.NATSOptions{})
	part, _ := natsjs.PartitioningFor("stations/{station}/{kind}", 4)
	l := natsjs.Layout{Stream: "QUANTRAC", Subjects: []string{"stations.>"}, Replicas: 3, Group: "quantrac", Partitioning: part}
	rr := startRelay(t, broker, c, l)

	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("station"))
	if tok := pub.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	topics := map[string]string{"stations/LC AQ/air": "stations.LC/20AQ.air", "stations/*/air": "stations./2A.air"}
	for topic := range topics {
		if tok := pub.Publish(topic, 1, false, `{"pm25": 1}`); tok.Wait() && tok.Error() != nil {
			t.Fatal(tok.Error())
		}
	}
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		f, u := testutil.ToFloat64(rr.r.forwarded), testutil.ToFloat64(rr.r.unforwardable)
		return f == 2, fmt.Sprintf("%v forwarded, %v unforwardable", f, u)
	})
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(context.Background(), "QUANTRAC")
	if err != nil {
		t.Fatal(err)
	}
	for topic, subject := range topics {
		m, err := s.GetLastMsgForSubject(context.Background(), subject)
		if err != nil {
			t.Errorf("%q: nothing stored under %q: %v", topic, subject, err)
			continue
		}
		if back := natsjs.SubjectToTopic(m.Subject); back != topic {
			t.Errorf("subject %q maps back to %q, want %q", m.Subject, back, topic)
		}
	}
}

// A topic with no subject at all (MQTT wildcards, which a conforming broker never delivers)
// is counted and left unacknowledged for the broker to deliver again, not acknowledged.
func TestRelayLeavesUnforwardableUnacked(t *testing.T) {
	r := New(Options{Registerer: prometheus.NewRegistry()})
	acked := false
	r.forward(context.Background(), nil, ingest.Message{Topic: "stations/+/air", Ack: func() { acked = true }})
	if acked || testutil.ToFloat64(r.unforwardable) != 1 {
		t.Errorf("acknowledged %v, counted %v unforwardable; want not acknowledged and counted 1", acked, testutil.ToFloat64(r.unforwardable))
	}
}
