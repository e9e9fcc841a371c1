package natsjs

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/internal/testenv"
)

// PUBACK question (README.md, "Which path: the PUBACK question"; docs/decisions/0004).
// nats-server v2.15.3 server/mqtt.go, mqttInitiateMsgDelivery: a QoS 1 PUBLISH is delivered to
// NATS subscribers with processInboundClientMsg — which hands it to the stream that captures
// the subject, without waiting for that stream to store it — and then stored in the MQTT
// listener's own stream $MQTT_msgs; the PUBACK is sent when $MQTT_msgs acknowledges that store
// (mqttPipelineStoreAndPubAck). So the PUBACK says nothing about our stream: when it cannot
// store the message (full, no leader during an election, no quorum for its replicas) the
// station is told "received" and the message is not in it. $MQTT_msgs is an interest stream for
// MQTT subscribers: nothing of it is kept for us.
//
// This test shows it: a stream that refuses new messages (full, discard new) still lets
// every PUBLISH be PUBACKed. The safe path is the relay (internal/relay), which acknowledges
// MQTT only after the stream's own publish acknowledgement.
func TestMQTTPubAckDoesNotWaitForTheStream(t *testing.T) {
	c := testenv.NATSCluster(t, testenv.NATSOptions{})
	_, js := connect(t, c)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "QUANTRAC", Subjects: []string{"stations.>"}, Replicas: 3,
		MaxMsgs: 5, Discard: jetstream.DiscardNew}); err != nil {
		t.Fatal(err)
	}
	pub := publisher(t, c.Nodes[0].MQTTURL(), "station-1")
	for i := range 20 {
		if err := publishAcked(pub, "stations/S-1/air", fmt.Sprintf(`{"pm25": %d}`, i)); err != nil {
			t.Fatalf("PUBLISH %d: %v", i, err)
		}
	}
	// Every PUBLISH was PUBACKed; give the stream time to store whatever it would store.
	time.Sleep(time.Second)
	if n := streamMsgs(t, js, "QUANTRAC"); n != 5 {
		t.Fatalf("the stream holds %d messages; want 5 (its limit) — 20 were PUBACKed", n)
	}
	t.Logf("20 QoS 1 PUBLISHes PUBACKed by the NATS MQTT listener, 15 of them not in the stream")
}

// testSource runs a Source until the test ends.
type testSource struct {
	*Source
	t        *testing.T
	reg      *prometheus.Registry
	cancel   context.CancelFunc
	done     chan error
	mu       sync.Mutex
	acquired [][]int
}

func startSource(t *testing.T, c *testenv.NATS, l Layout, member string, ackWait time.Duration) *testSource {
	t.Helper()
	ts := &testSource{t: t, reg: prometheus.NewRegistry(), done: make(chan error, 1)}
	ts.Source = New(Options{Conn: ConnOptions{URLs: c.URLList()}, Layout: l, Member: member, AckWait: ackWait, MaxInflight: 100,
		Registerer: ts.reg, OnAcquire: func(_ context.Context, parts []int) error {
			ts.mu.Lock()
			defer ts.mu.Unlock()
			ts.acquired = append(ts.acquired, slices.Clone(parts))
			return nil
		}})
	ctx, cancel := context.WithCancel(context.Background())
	ts.cancel = cancel
	go func() { ts.done <- ts.Run(ctx) }()
	t.Cleanup(ts.stop)
	testenv.Eventually(t, 30*time.Second, func() (bool, string) { return ts.Connected(), "not consuming" })
	return ts
}

func (ts *testSource) stop() {
	if ts.cancel == nil {
		return
	}
	ts.cancel()
	if err := <-ts.done; err != nil {
		ts.t.Errorf("Run: %v", err)
	}
	for range ts.Messages() {
	}
	ts.Close()
	ts.cancel = nil
}

func (ts *testSource) acquisitions() [][]int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return slices.Clone(ts.acquired)
}

// receive takes n messages, failing after timeout.
func receive(t *testing.T, ch <-chan ingest.Message, n int, timeout time.Duration) []ingest.Message {
	t.Helper()
	var out []ingest.Message
	deadline := time.After(timeout)
	for len(out) < n {
		select {
		case m := <-ch:
			out = append(out, m)
		case <-deadline:
			t.Fatalf("received %d of %d messages", len(out), n)
		}
	}
	return out
}

// A member's instance acquires its partitions before their first message is delivered,
// delivers messages with their MQTT topic, and a message it does not acknowledge comes back.
func TestSourceDeliversAfterAcquiring(t *testing.T) {
	c := testenv.NATSCluster(t, testenv.NATSOptions{})
	_, js := connect(t, c)
	l := testLayout(t, 4)
	src := startSource(t, c, l, "m1", 2*time.Second)
	pub := publisher(t, c.Nodes[2].MQTTURL(), "station-sim")
	for i := range 30 {
		if err := publishAcked(pub, fmt.Sprintf("stations/S-%d/air", i%10), `{"pm25": 1}`); err != nil {
			t.Fatal(err)
		}
	}
	msgs := receive(t, src.Messages(), 30, 30*time.Second)
	if acq := src.acquisitions(); len(acq) != 1 || !slices.Equal(acq[0], []int{0, 1, 2, 3}) {
		t.Errorf("acquisitions before delivery = %v, want one of every partition", acq)
	}
	for _, m := range msgs {
		if st := l.Partitioning.stationOf(mustSubject(t, m.Topic)); st == "" {
			t.Errorf("topic %q is not a station topic", m.Topic)
		}
		m.Ack()
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		n := streamMsgs(t, js, l.GroupStream())
		return n == 0, fmt.Sprintf("%d messages left in the work queue after acknowledging all", n)
	})
	if err := publishAcked(pub, "stations/S-1/air", `{"pm25": 2}`); err != nil {
		t.Fatal(err)
	}
	first := receive(t, src.Messages(), 1, 10*time.Second)[0]
	again := receive(t, src.Messages(), 1, 10*time.Second)[0] // not acknowledged: delivered again after the ack wait
	if string(again.Payload) != string(first.Payload) || again.Topic != "stations/S-1/air" {
		t.Errorf("redelivered %s %s, want %s %s", again.Topic, again.Payload, first.Topic, first.Payload)
	}
	again.Ack()
	if v := testutil.ToFloat64(src.m.redeliveries); v < 1 {
		t.Errorf("quantrac_nats_redeliveries_total = %v", v)
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		v := testutil.ToFloat64(src.m.pinnedG)
		return v == 1 && testutil.ToFloat64(src.m.assigned) == 4, fmt.Sprintf("pinned %v, assigned %v", v, testutil.ToFloat64(src.m.assigned))
	})
}

func mustSubject(t *testing.T, topic string) string {
	t.Helper()
	s, err := TopicToSubject(topic)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Two instances of one member: only the pinned one receives; when it stops, the standby
// acquires the partitions (rebuild) and receives the rest, including what the first left
// unacknowledged.
func TestStandbyTakesOver(t *testing.T) {
	c := testenv.NATSCluster(t, testenv.NATSOptions{})
	l := testLayout(t, 4)
	a := startSource(t, c, l, "m1", 2*time.Second)
	b := startSource(t, c, l, "m1", 2*time.Second)
	pub := publisher(t, c.Nodes[0].MQTTURL(), "station-sim")
	for i := range 10 {
		if err := publishAcked(pub, fmt.Sprintf("stations/S-%d/air", i), `{"pm25": 1}`); err != nil {
			t.Fatal(err)
		}
	}
	// Whichever is pinned gets all ten; the other none.
	var pinned, standby *testSource
	select {
	case m := <-a.Messages():
		m.Ack()
		pinned, standby = a, b
	case m := <-b.Messages():
		m.Ack()
		pinned, standby = b, a
	case <-time.After(30 * time.Second):
		t.Fatal("no instance received a message")
	}
	for _, m := range receive(t, pinned.Messages(), 8, 10*time.Second) {
		m.Ack()
	}
	unacked := receive(t, pinned.Messages(), 1, 10*time.Second)[0] // left unacknowledged
	if n := len(standby.Messages()); n != 0 || len(standby.acquisitions()) != 0 {
		t.Fatalf("the standby received %d messages, acquired %v", n, standby.acquisitions())
	}
	pinned.stop()
	for i := range 5 {
		if err := publishAcked(pub, fmt.Sprintf("stations/S-%d/air", i), `{"pm25": 2}`); err != nil {
			t.Fatal(err)
		}
	}
	got := receive(t, standby.Messages(), 6, 30*time.Second)
	if !slices.ContainsFunc(got, func(m ingest.Message) bool {
		return string(m.Payload) == string(unacked.Payload) && m.Topic == unacked.Topic
	}) {
		t.Errorf("the message left unacknowledged by the stopped instance was not delivered to the standby")
	}
	if acq := standby.acquisitions(); len(acq) != 1 || len(acq[0]) != 4 {
		t.Errorf("standby acquisitions = %v, want all 4 partitions once", acq)
	}
}
