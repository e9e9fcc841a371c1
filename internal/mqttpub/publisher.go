// Package mqttpub publishes messages at QoS 1 and waits for each PUBACK: the TT10 file
// watcher and `quantrac replay` hand their messages to the broker with it, so that the
// daemon ingests them like any station's.
package mqttpub

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/quantrac/quantrac/internal/retry"
)

// Options configures a Publisher.
type Options struct {
	Broker             string
	ClientID           string
	Username, Password string
	TLS                *tls.Config   // nil: paho's default for ssl:// brokers, none for tcp://
	AckTimeout         time.Duration // how long a publish waits for its PUBACK (default 30s)
	Logger             *slog.Logger
	Registerer         prometheus.Registerer // for the connected gauge; may be nil
	// GaugeName names the 0/1 connected gauge registered with Registerer.
	GaugeName, GaugeHelp string
}

// Publisher publishes at QoS 1 and waits for each PUBACK. It uses a clean session: what is in
// flight lives with the caller (a file stays in place, a quarantined message in InfluxDB,
// until acknowledged), so a restarted caller simply publishes again what was not
// acknowledged.
type Publisher struct {
	o         Options
	client    mqtt.Client
	connected atomic.Bool
}

// ErrNoAck is returned when the broker did not acknowledge a publish within AckTimeout.
var ErrNoAck = errors.New("no PUBACK from the broker in time")

// New builds the publisher and registers its gauge; it does no I/O.
func New(o Options) *Publisher {
	if o.AckTimeout <= 0 {
		o.AckTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Publisher{o: o}
	opts := mqtt.NewClientOptions().
		AddBroker(o.Broker).
		SetClientID(o.ClientID).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(false).
		SetMaxReconnectInterval(30 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetOnConnectHandler(func(mqtt.Client) {
			m.connected.Store(true)
			o.Logger.Info("connected to MQTT broker", "broker", o.Broker)
		}).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			m.connected.Store(false)
			o.Logger.Warn("lost MQTT connection; reconnecting", "err", err)
		})
	if o.Username != "" {
		opts.SetUsername(o.Username)
		opts.SetPassword(o.Password)
	}
	if o.TLS != nil {
		opts.SetTLSConfig(o.TLS)
	}
	m.client = mqtt.NewClient(opts)
	if o.Registerer != nil {
		o.Registerer.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: o.GaugeName, Help: o.GaugeHelp,
		}, func() float64 {
			if m.connected.Load() {
				return 1
			}
			return 0
		}))
	}
	return m
}

// Connect makes one connection attempt.
func (m *Publisher) Connect(ctx context.Context) error {
	tok := m.client.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("connect to %s: %w", m.o.Broker, err)
		}
		// paho runs the on-connect handler on its own goroutine, maybe after this returns.
		m.connected.Store(true)
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ConnectRetry connects, retrying with backoff (1 s doubling to 30 s, jittered) until it succeeds or
// ctx is done; after that paho reconnects by itself.
func (m *Publisher) ConnectRetry(ctx context.Context) error {
	b := retry.Backoff{First: time.Second, Max: 30 * time.Second}
	for {
		err := m.Connect(ctx)
		if err == nil || ctx.Err() != nil {
			return err
		}
		d := b.Next()
		m.o.Logger.Error("cannot connect to MQTT broker; retrying", "broker", m.o.Broker, "err", err, "retry_in", d)
		if !retry.Wait(ctx, d) {
			return ctx.Err()
		}
	}
}

// Connected reports whether the connection is up.
func (m *Publisher) Connected() bool { return m.connected.Load() }

// Publish sends payload to topic at QoS 1 and waits for the broker's PUBACK.
func (m *Publisher) Publish(ctx context.Context, topic string, payload []byte) error {
	tok := m.client.Publish(topic, 1, false, payload)
	t := time.NewTimer(m.o.AckTimeout)
	defer t.Stop()
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return ErrNoAck
	}
}

// Close disconnects, waiting up to half a second for the connection to close cleanly.
func (m *Publisher) Close() {
	if m.client.IsConnectionOpen() {
		m.client.Disconnect(500)
	}
	m.connected.Store(false)
}
