package ingest

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac/internal/testenv"
)

// logBuffer is a concurrency-safe log destination for tests that read what was logged.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// runSource starts s.Run and returns a function that stops it (cancel, wait for Run, Close)
// as the daemon does on SIGTERM; the test's cleanup calls it too.
func runSource(t *testing.T, s *MQTTSource) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			s.Close()
		})
	}
	t.Cleanup(stop)
	return stop
}

// publisher connects a plain paho client to the broker for the test.
func publisher(t *testing.T, b *testenv.Broker, id string) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID(id))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publisher connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func publishOne(t *testing.T, c mqtt.Client, topic, payload string) {
	t.Helper()
	if tok := c.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// receive waits for the next message from s.
func receive(t *testing.T, s *MQTTSource, timeout time.Duration) Message {
	t.Helper()
	select {
	case m, ok := <-s.Messages():
		if !ok {
			t.Fatal("Messages closed")
		}
		return m
	case <-time.After(timeout):
		t.Fatalf("no message within %v", timeout)
	}
	return Message{}
}

// dynsecDenySubscribe configures Mosquitto's dynamic security plugin: anonymous clients may
// publish and receive but not subscribe (the broker answers SUBACK 0x80), and may administer
// the plugin through $CONTROL, which the test uses to grant the subscription later.
const dynsecDenySubscribe = `{
  "defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true, "subscribe": false, "unsubscribe": true},
  "clients": [],
  "groups": [{"groupname": "anonymous", "roles": [{"rolename": "admin"}]}],
  "anonymousGroup": "anonymous",
  "roles": [{"rolename": "admin", "acls": [
    {"acltype": "publishClientSend", "topic": "$CONTROL/dynamic-security/#", "allow": true}]}]
}`

// dynsecAllowStations lets every client subscribe. (Granting a role instead would make the
// plugin disconnect the clients concerned, and the test is about retrying on one connection.)
const dynsecAllowStations = `{"commands": [{"command": "setDefaultACLAccess", "acls": [{"acltype": "subscribe", "allow": true}]}]}`

// A SUBSCRIBE the broker refuses (its access control denies the filter: SUBACK 0x80) leaves
// the source not ready and is retried with backoff on the same connection: once the broker
// allows it, the subscription is granted and messages flow.
func TestSubscribeRetriedUntilGranted(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "dynamic-security.json")
	if err := os.WriteFile(cfg, []byte(dynsecDenySubscribe), 0o600); err != nil {
		t.Fatal(err)
	}
	b := testenv.Mosquitto(t, testenv.MosquittoOptions{ExtraConfig: []string{
		"plugin " + testenv.DynamicSecurityPlugin(t), "plugin_opt_config_file " + cfg}})
	logs := &logBuffer{}
	s := NewMQTTSource(MQTTOptions{Broker: b.URL(), ClientID: "sub-retry", Topics: []string{"stations/+/+"},
		QoS: 1, MaxInflight: 10, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	runSource(t, s)

	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		return strings.Count(logs.String(), "the broker refused the subscription") >= 2, "no retried refused subscription logged:\n" + logs.String()
	})
	if s.Connected() {
		t.Fatal("Connected (ready) while the broker refuses the subscription")
	}
	admin := publisher(t, b, "sub-retry-admin")
	publishOne(t, admin, "$CONTROL/dynamic-security/v1", dynsecAllowStations)
	testenv.Eventually(t, 40*time.Second, func() (bool, string) {
		return s.Connected(), "not subscribed after the broker allowed it:\n" + logs.String()
	})
	if n := strings.Count(logs.String(), "connected to MQTT broker"); n != 1 {
		t.Errorf("%d connections: the subscription must be retried on the same connection:\n%s", n, logs.String())
	}
	publishOne(t, publisher(t, b, "sub-retry-pub"), "stations/S-1/air", "hello")
	m := receive(t, s, 10*time.Second)
	if m.Topic != "stations/S-1/air" || string(m.Payload) != "hello" {
		t.Errorf("received %s %q", m.Topic, m.Payload)
	}
	m.Ack()
}

// After a clean stop (Run's context cancelled once every message taken was acknowledged, then
// Close), the broker has every acknowledgement: a restart with the same persistent session
// receives nothing again.
func TestCleanStopNoRedelivery(t *testing.T) {
	const n = 3000
	b := testenv.Mosquitto(t, testenv.MosquittoOptions{MaxInflight: 2 * n, MaxQueued: 10 * n})
	opts := MQTTOptions{Broker: b.URL(), ClientID: "clean-stop", Topics: []string{"stations/+/+"}, QoS: 1, MaxInflight: 2 * n}
	s := NewMQTTSource(opts)
	stop := runSource(t, s)
	testenv.Eventually(t, 20*time.Second, func() (bool, string) { return s.Connected(), "not subscribed" })
	pub := publisher(t, b, "clean-stop-pub")
	for i := range n {
		pub.Publish(fmt.Sprintf("stations/S-%d/air", i%7), 1, false, fmt.Sprint(i))
	}
	// Take every message, then acknowledge them all at once right before stopping: as many
	// PUBACKs as possible are still on their way when Close disconnects.
	msgs := make([]Message, 0, n)
	for range n {
		msgs = append(msgs, receive(t, s, 20*time.Second))
	}
	for _, m := range msgs {
		m.Ack()
	}
	stop()

	again := NewMQTTSource(opts)
	runSource(t, again)
	testenv.Eventually(t, 20*time.Second, func() (bool, string) { return again.Connected(), "not subscribed after the restart" })
	redelivered := 0
	for deadline := time.After(3 * time.Second); ; {
		select {
		case m := <-again.Messages():
			redelivered++
			m.Ack()
			continue
		case <-deadline:
		}
		break
	}
	if redelivered > 0 {
		t.Errorf("%d of %d acknowledged messages redelivered after a clean stop", redelivered, n)
	}
}

// quantrac sends each PUBACK when its message is durable, so PUBACKs can leave in another
// order than their PUBLISHes came (README "Acknowledgement order"). Mosquitto matches each
// PUBACK to its message by packet id: the message acknowledged second-first is not delivered
// again, the one left unacknowledged is.
func TestOutOfOrderPubAckHonoured(t *testing.T) {
	b := testenv.Mosquitto(t, testenv.MosquittoOptions{})
	opts := MQTTOptions{Broker: b.URL(), ClientID: "ack-order", Topics: []string{"stations/+/+"}, QoS: 1, MaxInflight: 10}
	s := NewMQTTSource(opts)
	stop := runSource(t, s)
	testenv.Eventually(t, 20*time.Second, func() (bool, string) { return s.Connected(), "not subscribed" })
	pub := publisher(t, b, "ack-order-pub")
	publishOne(t, pub, "stations/S-1/air", "first")
	publishOne(t, pub, "stations/S-1/air", "second")
	first, second := receive(t, s, 10*time.Second), receive(t, s, 10*time.Second)
	if string(first.Payload) != "first" || string(second.Payload) != "second" {
		t.Fatalf("received %q then %q", first.Payload, second.Payload)
	}
	second.Ack() // out of order; first is never acknowledged
	stop()

	again := NewMQTTSource(opts)
	runSource(t, again)
	testenv.Eventually(t, 20*time.Second, func() (bool, string) { return again.Connected(), "not subscribed after the restart" })
	publishOne(t, pub, "stations/S-1/air", "third")
	seen := map[string]bool{}
	for !seen["first"] || !seen["third"] {
		m := receive(t, again, 20*time.Second)
		seen[string(m.Payload)] = true
		m.Ack()
		if seen["second"] {
			t.Fatal("the message acknowledged out of order was delivered again")
		}
	}
}
