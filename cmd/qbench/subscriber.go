package main

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/quantrac/quantrac/internal/mqttconn"
)

// dataTopics is the filter quantrac subscribes to by default.
const dataTopics = "stations/+/+"

// mqttTimeout bounds connects, subscribes and publishes of the benchmark's own clients.
const mqttTimeout = 30 * time.Second

// counter is the broker-only reference consumer: a plain paho subscriber at QoS 1 with a
// persistent session and paho's automatic acknowledgement, which counts messages and keeps
// the time of the first and the last one. It does nothing else, so its rate is what the
// broker can deliver to one Go client on this machine.
type counter struct {
	client mqtt.Client

	n           atomic.Int64
	first, last atomic.Int64 // Unix ns
	connAt      atomic.Int64 // Unix ns: CONNACK received
	target      atomic.Int64
	once        sync.Once
	done        chan struct{}
}

// newCounter returns a counter that closes done when it has received target messages. With
// buffered, its connection reads through a buffer and coalesces its PUBACKs (internal/mqttconn).
func newCounter(brokerURL, clientID string, target int64, buffered bool) *counter {
	c := &counter{done: make(chan struct{})}
	c.target.Store(target)
	opts := mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(clientID).
		SetCleanSession(false).SetAutoReconnect(false).SetKeepAlive(60 * time.Second).
		SetConnectTimeout(mqttTimeout).SetOrderMatters(true).
		// Queued messages of the persistent session arrive before SUBSCRIBE is answered.
		SetDefaultPublishHandler(c.handle)
	if buffered {
		opts.SetCustomOpenConnectionFn(mqttconn.Open)
	}
	c.client = mqtt.NewClient(opts)
	return c
}

func (c *counter) handle(_ mqtt.Client, _ mqtt.Message) {
	now := time.Now().UnixNano()
	n := c.n.Add(1)
	if n == 1 {
		c.first.Store(now)
	}
	c.last.Store(now)
	if n >= c.target.Load() {
		c.once.Do(func() { close(c.done) })
	}
}

// connect connects and subscribes to the data topics at QoS 1.
func (c *counter) connect() error {
	if err := wait(c.client.Connect(), "connect"); err != nil {
		return err
	}
	c.connAt.Store(time.Now().UnixNano())
	return wait(c.client.Subscribe(dataTopics, 1, c.handle), "subscribe")
}

// wait waits for a paho token.
func wait(tok mqtt.Token, what string) error {
	if !tok.WaitTimeout(mqttTimeout) {
		return fmt.Errorf("mqtt %s: no answer within %v", what, mqttTimeout)
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("mqtt %s: %w", what, err)
	}
	return nil
}

// waitDone waits until the target is reached, or timeout, or no message came for idle.
func (c *counter) waitDone(timeout, idle time.Duration) error {
	deadline := time.After(timeout)
	tick := time.NewTicker(idle / 4)
	defer tick.Stop()
	for {
		select {
		case <-c.done:
			return nil
		case <-deadline:
			return fmt.Errorf("subscriber got %d of %d messages in %v", c.n.Load(), c.target.Load(), timeout)
		case <-tick.C:
			last := c.last.Load()
			if last != 0 && time.Since(time.Unix(0, last)) > idle {
				return fmt.Errorf("subscriber got %d of %d messages, then nothing for %v", c.n.Load(), c.target.Load(), idle)
			}
		}
	}
}

// connectedAt is when the connection was up: when Connect returned, or when the first
// message arrived if that was earlier (a persistent session's queue flows at once).
func (c *counter) connectedAt() time.Time {
	t := c.connAt.Load()
	if f := c.first.Load(); f != 0 && f < t {
		t = f
	}
	return time.Unix(0, t)
}

// lastAt is when the last message arrived.
func (c *counter) lastAt() time.Time { return time.Unix(0, c.last.Load()) }

// disconnect closes the connection; the persistent session stays on the broker.
func (c *counter) disconnect() { c.client.Disconnect(250) }

// dropSession removes the broker's persistent session of clientID (connect with clean
// session, disconnect), so that it no longer queues messages.
func dropSession(brokerURL, clientID string) error {
	opts := mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(clientID).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(mqttTimeout)
	c := mqtt.NewClient(opts)
	if err := wait(c.Connect(), "connect "+clientID); err != nil {
		return err
	}
	c.Disconnect(250)
	return nil
}

// publisher is the benchmark's own QoS 1 client for latency probes.
type publisher struct{ client mqtt.Client }

func newPublisher(brokerURL, clientID string) (*publisher, error) {
	opts := mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(clientID).
		SetCleanSession(true).SetAutoReconnect(false).SetConnectTimeout(mqttTimeout)
	p := &publisher{client: mqtt.NewClient(opts)}
	return p, wait(p.client.Connect(), "connect "+clientID)
}

// publish sends one QoS 1 message and waits for its PUBACK.
func (p *publisher) publish(topic string, payload []byte) error {
	return wait(p.client.Publish(topic, 1, false, payload), "publish")
}

func (p *publisher) close() { p.client.Disconnect(250) }
