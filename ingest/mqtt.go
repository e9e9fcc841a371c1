package ingest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac/internal/brokerurl"
	"github.com/quantrac/quantrac/internal/mqttconn"
	"github.com/quantrac/quantrac/internal/retry"
	"github.com/quantrac/quantrac/internal/tlsfiles"
)

// MQTTOptions configures the MQTT subscriber.
type MQTTOptions struct {
	Broker                                string
	ClientID                              string
	Topics                                []string
	QoS                                   byte
	Username                              string
	Password                              string
	CAFile, CertFile, KeyFile, ServerName string
	InsecureSkipVerify                    bool
	// MaxInflight bounds the messages received but not yet acknowledged (the queue size).
	MaxInflight int
	Logger      *slog.Logger
	Registerer  prometheus.Registerer
}

// MQTTSource subscribes to the broker with a persistent session and manual acknowledgement,
// and delivers messages on a bounded channel.
type MQTTSource struct {
	opts      MQTTOptions
	out       chan Message
	connected atomic.Bool
	// reconnecting is true from a lost connection until paho's reconnect succeeds.
	reconnecting atomic.Bool
	// conns counts connections made and lost: a subscribe retry loop runs only while the
	// connection it started on is the current one.
	conns   atomic.Uint64
	mu      sync.RWMutex // guards stopped against sends on the closed channel
	stopped bool
	client  mqtt.Client
	gauge   prometheus.GaugeFunc
	log     *slog.Logger
}

// NewMQTTSource builds an MQTTSource; it does no I/O.
func NewMQTTSource(o MQTTOptions) *MQTTSource {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &MQTTSource{opts: o, out: make(chan Message, max(o.MaxInflight, 1)), log: o.Logger}
	s.gauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "quantrac_mqtt_connected", Help: "1 while connected to the MQTT broker.",
	}, func() float64 {
		if s.connected.Load() {
			return 1
		}
		return 0
	})
	if o.Registerer != nil {
		o.Registerer.MustRegister(s.gauge)
	}
	return s
}

// Messages is the channel of received messages; it is closed when Run returns.
func (s *MQTTSource) Messages() <-chan Message { return s.out }

// Connected reports whether the broker connection is up and the topics are subscribed.
func (s *MQTTSource) Connected() bool { return s.connected.Load() }

// Run connects (retrying with backoff), subscribes on every connect, and delivers messages
// until ctx is done. Then it stops consuming — messages that arrive later are left
// unacknowledged for the broker to redeliver — and closes the Messages channel, but stays
// connected so that the messages already taken can still be acknowledged. Close disconnects.
func (s *MQTTSource) Run(ctx context.Context) error {
	defer s.stopConsuming()
	opts, err := s.clientOptions(ctx)
	if err != nil {
		return err
	}
	client := mqtt.NewClient(opts)
	s.mu.Lock()
	s.client = client
	s.mu.Unlock()
	b := retry.Backoff{First: time.Second, Max: 30 * time.Second}
	for {
		tok := client.Connect()
		tok.Wait()
		if tok.Error() == nil {
			break
		}
		d := b.Next()
		s.logConnectError("cannot connect to MQTT broker; retrying", tok.Error(), "retry_in", d)
		if !retry.Wait(ctx, d) {
			return nil
		}
	}
	<-ctx.Done()
	return nil
}

func (s *MQTTSource) stopConsuming() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.stopped = true
		close(s.out)
	}
}

// closeQuiesce bounds Close. paho's Disconnect returns as soon as the connection is closed,
// which mqttconn does only once the broker has closed its side (mqttconn.CloseTimeout at most).
const closeQuiesce = mqttconn.CloseTimeout + time.Second

// Close disconnects from the broker, after Run has returned and the messages taken have been
// acknowledged. It returns once the broker has closed the connection, so it has read every
// acknowledgement sent before: a clean stop leaves nothing for the broker to redeliver, even
// to a client that reconnects at once with the same session.
func (s *MQTTSource) Close() {
	s.mu.Lock()
	client := s.client
	s.mu.Unlock()
	if client != nil && client.IsConnectionOpen() {
		client.Disconnect(uint(closeQuiesce / time.Millisecond))
	}
	s.connected.Store(false)
}

// Subscription retries: a refused or unanswered SUBSCRIBE is sent again after subscribeRetry,
// doubling up to maxSubscribeRetry, for as long as the connection lasts (a new connection
// subscribes anew). subscribeTimeout bounds the wait for the broker's SUBACK.
const (
	subscribeRetry    = time.Second
	maxSubscribeRetry = 30 * time.Second
	subscribeTimeout  = 10 * time.Second
)

// subscribe subscribes to the topics on connection conn of c, retrying with backoff until the
// broker grants every filter, the connection is lost or replaced, or ctx is done. The source
// is Connected (and /readyz ready) only once subscribed: a station publishing as soon as
// quantrac is ready must not publish into a subscription that does not exist.
func (s *MQTTSource) subscribe(ctx context.Context, c mqtt.Client, conn uint64) {
	current := func() bool { return s.conns.Load() == conn && c.IsConnectionOpen() }
	b := retry.Backoff{First: subscribeRetry, Max: maxSubscribeRetry}
	for {
		err := s.subscribeOnce(ctx, c)
		if err == nil {
			if current() {
				s.connected.Store(true)
				s.log.Info("subscribed", "topics", s.opts.Topics)
			}
			return
		}
		if ctx.Err() != nil || !current() {
			return
		}
		d := b.Next()
		s.log.Error("MQTT subscribe failed; retrying", "topics", s.opts.Topics, "err", err, "retry_in", d)
		if !retry.Wait(ctx, d) {
			return
		}
	}
}

// subscribeOnce sends one SUBSCRIBE for every topic and waits for the SUBACK. It fails when no
// SUBACK comes, or when the SUBACK refuses a filter (return code 0x80, as Mosquitto answers a
// subscription its ACL denies): paho reports the latter only in the token's Result.
func (s *MQTTSource) subscribeOnce(ctx context.Context, c mqtt.Client) error {
	filters := make(map[string]byte, len(s.opts.Topics))
	for _, t := range s.opts.Topics {
		filters[t] = s.opts.QoS
	}
	tok := c.SubscribeMultiple(filters, s.handler(ctx))
	select {
	case <-tok.Done():
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(subscribeTimeout):
		return fmt.Errorf("no SUBACK within %v", subscribeTimeout)
	}
	if err := tok.Error(); err != nil {
		return err
	}
	st, ok := tok.(*mqtt.SubscribeToken)
	if !ok {
		return nil
	}
	var refused []string
	for _, t := range s.opts.Topics {
		if code, ok := st.Result()[t]; !ok || code >= 0x80 {
			refused = append(refused, t)
		}
	}
	if len(refused) > 0 {
		return fmt.Errorf("the broker refused the subscription to %v (is quantrac's account allowed to read them in the broker's ACL?)", refused)
	}
	return nil
}

func (s *MQTTSource) clientOptions(ctx context.Context) (*mqtt.ClientOptions, error) {
	o := mqtt.NewClientOptions().
		AddBroker(s.opts.Broker).
		SetClientID(s.opts.ClientID).
		SetCleanSession(false).
		SetStore(newSessionStore()).
		SetAutoAckDisabled(!autoAck).
		// Buffered reads and coalesced PUBACK writes: paho alone makes three read calls per
		// message and one write per acknowledgement (BENCHMARKS.md).
		SetCustomOpenConnectionFn(mqttconn.Open).
		// Order matters: the handler runs on paho's router goroutine, so a full queue stops
		// reading from the broker (bounded memory, no goroutine per message).
		SetOrderMatters(true).
		SetAutoReconnect(true).
		SetConnectRetry(false).
		SetMaxReconnectInterval(30 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second)
	if s.opts.Username != "" {
		o.SetUsername(s.opts.Username)
		o.SetPassword(s.opts.Password)
	}
	if s.opts.CAFile != "" || s.opts.CertFile != "" || s.opts.InsecureSkipVerify || s.opts.ServerName != "" {
		tc, err := tlsConfig(s.opts)
		if err != nil {
			return nil, err
		}
		o.SetTLSConfig(tc)
	}
	o.SetOnConnectHandler(func(c mqtt.Client) {
		conn := s.conns.Add(1)
		s.reconnecting.Store(false)
		s.log.Info("connected to MQTT broker", "broker", s.opts.Broker)
		// Subscribe on every connect: a broker that lost the session still gets our filters.
		go s.subscribe(ctx, c, conn)
	})
	o.SetConnectionLostHandler(func(_ mqtt.Client, err error) {
		s.conns.Add(1) // ends the lost connection's subscribe retries
		s.connected.Store(false)
		s.log.Warn("lost MQTT connection; reconnecting", "err", err)
	})
	o.SetReconnectingHandler(func(mqtt.Client, *mqtt.ClientOptions) {
		s.reconnecting.Store(true)
		s.log.Info("reconnecting to MQTT broker", "broker", s.opts.Broker)
	})
	o.SetConnectionNotificationHandler(func(_ mqtt.Client, n mqtt.ConnectionNotification) {
		// Run logs the first connection's failures; these are paho's automatic reconnects
		// (a broker certificate renewed by another CA, an account removed, ...).
		if f, ok := n.(mqtt.ConnectionNotificationFailed); ok && s.reconnecting.Load() {
			s.logConnectError("cannot reconnect to MQTT broker; retrying", f.Reason)
		}
	})
	// Messages of the persistent session that arrive before the subscription is restored.
	o.SetDefaultPublishHandler(s.handler(ctx))
	return o, nil
}

// handler queues a message. It blocks only when MaxInflight messages are waiting, which is
// the backpressure we want: the broker stops sending until we acknowledge.
func (s *MQTTSource) handler(ctx context.Context) mqtt.MessageHandler {
	return func(_ mqtt.Client, m mqtt.Message) {
		// m.Ack sends the PUBACK (PUBREC at QoS 2) when the store calls it, once the message is
		// durable: out of the order the PUBLISHes came in, unlike MQTT 3.1.1 §4.6 asks, so that
		// one held message does not hold back every other. Mosquitto matches acknowledgements
		// by packet id (README, "Acknowledgement order"; TestOutOfOrderPubAckHonoured).
		msg := Message{Topic: m.Topic(), Payload: m.Payload(), Received: time.Now(), Ack: m.Ack}
		s.mu.RLock()
		defer s.mu.RUnlock()
		if s.stopped {
			return
		}
		select {
		case s.out <- msg:
		case <-ctx.Done():
		}
	}
}

func tlsConfig(o MQTTOptions) (*tls.Config, error) {
	return tlsfiles.Files{CAFile: o.CAFile, CertFile: o.CertFile, KeyFile: o.KeyFile, ServerName: o.ServerName,
		InsecureSkipVerify: o.InsecureSkipVerify}.Config("mqtt")
}

// logConnectError logs a failed connection with its cause and, when there is one, a hint
// naming the setting to fix.
func (s *MQTTSource) logConnectError(msg string, err error, args ...any) {
	attrs := []any{"broker", s.opts.Broker, "err", err}
	if hint := connectHint(err, s.opts); hint != "" {
		attrs = append(attrs, "hint", hint)
	}
	s.log.Error(msg, append(attrs, args...)...)
}

// connectHint says in words what an operator setting up TLS or broker accounts must fix for
// a connection error, so that the log line names the cause and the setting: "" when the
// error needs no explanation (a refused or timed-out connection says it all).
func connectHint(err error, o MQTTOptions) string {
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	msg := err.Error()
	switch {
	case errors.As(err, &unknownCA):
		return "the broker's certificate is not signed by a CA in mqtt.tls.ca_file (or the system's CAs when ca_file is empty)"
	case errors.As(err, &hostname):
		return "the broker's certificate does not hold the broker's host name: use that name in mqtt.broker or set mqtt.tls.server_name"
	case errors.As(err, &invalid):
		return "the broker's certificate is not valid (expired, not yet valid, or not a server certificate)"
	case errors.Is(err, packets.ErrorRefusedBadUsernameOrPassword), errors.Is(err, packets.ErrorRefusedNotAuthorised):
		return "the broker refused the credentials: check mqtt.username and the password (mqtt.password_file or QUANTRAC_MQTT_PASSWORD), or the client certificate"
	case strings.Contains(msg, "tls: certificate required"), strings.Contains(msg, "tls: handshake failure") && strings.Contains(msg, "remote error"):
		return "the broker requires a client certificate: set mqtt.tls.cert_file and mqtt.tls.key_file"
	case strings.Contains(msg, "tls: unknown certificate authority"), strings.Contains(msg, "tls: bad certificate"):
		return "the broker does not accept the client certificate in mqtt.tls.cert_file (not signed by the broker's cafile?)"
	case strings.Contains(msg, "tls: first record does not look like a TLS handshake"):
		return "the broker's port does not speak TLS: use tcp:// (or ws://) or the broker's TLS port"
	case o.CertFile == "" && usesTLS(o.Broker) && (strings.Contains(msg, "connection reset by peer") || strings.HasSuffix(msg, "EOF")):
		// With TLS 1.3 the broker refuses a missing client certificate after the client's
		// handshake is done: the client sees a reset or EOF as often as the alert.
		return "the broker closed the TLS connection: if it requires a client certificate, set mqtt.tls.cert_file and mqtt.tls.key_file"
	}
	return ""
}

// usesTLS reports whether a broker URL's scheme is one paho dials with TLS.
func usesTLS(broker string) bool {
	scheme, _, _ := strings.Cut(broker, "://")
	return brokerurl.TLS(scheme)
}
