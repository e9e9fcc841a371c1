package load

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/mqttconn"
	"github.com/quantrac/quantrac/internal/sim"
)

// MQTTOptions configures the broker connections.
type MQTTOptions struct {
	Broker   string // tcp://host:1883, ssl://, ws://
	ClientID string // this connection's client id (stable: the session is kept by it)
	Username string
	Password string
	TLS      *tls.Config // nil: paho's default for ssl:// brokers
	QoS      byte        // 0 or 1
	// InFlight is how many publishes may await their acknowledgement at once (default 1000,
	// at most 65535: MQTT packet ids are 16 bits).
	InFlight int
	// Status publishes each station's retained online status at (re)connect and offline at
	// the end, and sets the will where it makes sense (see Dial).
	Status         bool
	ConnectTimeout time.Duration // default 30s
	Logger         *slog.Logger
}

// StatusTopic is the topic of a station's online/offline status (README.md, "Payloads").
func StatusTopic(station string) string { return "stations/" + station + "/status" }

// DataTopic is the topic of a station's readings (README.md, "Payloads").
func DataTopic(station string, kind quantrac.Kind) string {
	return "stations/" + station + "/" + string(kind)
}

// Status payloads.
const (
	Online  = "online"
	Offline = "offline"
)

// Conn is one MQTT connection carrying the messages of some stations. It is a Sink.
type Conn struct {
	opts     MQTTOptions
	client   mqtt.Client
	stations []*quantrac.Station
	log      *slog.Logger

	window     []mqtt.Token // ring of publishes awaiting their acknowledgement
	head, n    int
	stats      Stats
	connects   atomic.Int64 // successful connections so far (paho's on-connect handler)
	statusSeen int64        // connections whose online status was published
}

// Dial connects to the broker for the given stations and publishes their online status.
// MQTT allows one will per connection, so the station's will (its status topic, "offline",
// retained) is set only when the connection carries exactly one station; with several, a
// lost connection leaves their status "online" until they reconnect, and a clean end
// publishes "offline" for each.
//
// The session is persistent (clean session off): after a reconnect paho resends the publishes
// not yet acknowledged, so nothing sent at QoS 1 is lost.
func Dial(ctx context.Context, o MQTTOptions, stations []*quantrac.Station) (*Conn, error) {
	if o.InFlight <= 0 {
		o.InFlight = 1000
	}
	o.InFlight = min(o.InFlight, 65535)
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Conn{opts: o, stations: stations, log: o.Logger.With("client_id", o.ClientID), window: make([]mqtt.Token, o.InFlight)}
	co := mqtt.NewClientOptions().AddBroker(o.Broker).SetClientID(o.ClientID).
		SetUsername(o.Username).SetPassword(o.Password).
		SetCleanSession(false).SetAutoReconnect(true).SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).SetMaxReconnectInterval(10 * time.Second).
		SetKeepAlive(30 * time.Second).SetCustomOpenConnectionFn(mqttconn.Open).
		SetOnConnectHandler(func(mqtt.Client) { c.connects.Add(1) }).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) { c.log.Warn("connection lost, reconnecting", "err", err) })
	if o.TLS != nil {
		co.SetTLSConfig(o.TLS)
	}
	if o.Status && len(stations) == 1 {
		co.SetWill(StatusTopic(stations[0].ID), Offline, 1, true)
	}
	c.client = mqtt.NewClient(co)
	tok := c.client.Connect()
	timer := time.NewTimer(o.ConnectTimeout)
	defer timer.Stop()
	select {
	case <-tok.Done():
	case <-ctx.Done():
		c.client.Disconnect(0)
		return nil, ctx.Err()
	case <-timer.C:
		c.client.Disconnect(0)
		return nil, fmt.Errorf("mqtt %s: no connection within %s", o.Broker, o.ConnectTimeout)
	}
	if err := tok.Error(); err != nil {
		return nil, fmt.Errorf("mqtt %s: %w", o.Broker, err)
	}
	c.statusSeen = 1
	if err := c.publishStatus(ctx, Online); err != nil {
		c.client.Disconnect(0)
		return nil, err
	}
	return c, nil
}

// publishStatus publishes every station's status, retained at QoS 1, and waits for the acks.
func (c *Conn) publishStatus(ctx context.Context, status string) error {
	if !c.opts.Status {
		return nil
	}
	toks := make([]mqtt.Token, 0, len(c.stations))
	for _, st := range c.stations {
		toks = append(toks, c.client.Publish(StatusTopic(st.ID), 1, true, status))
	}
	for _, t := range toks {
		if err := wait(ctx, t); err != nil {
			return fmt.Errorf("publish %s status: %w", status, err)
		}
	}
	c.stats.Status += int64(len(toks))
	return nil
}

// Send publishes one message without waiting for its acknowledgement; it waits only for the
// oldest publish when InFlight publishes are outstanding.
func (c *Conn) Send(ctx context.Context, m *sim.Message, payload []byte) error {
	if n := c.connects.Load(); n > c.statusSeen {
		c.statusSeen = n
		if err := c.publishStatus(ctx, Online); err != nil {
			c.log.Warn("republishing online status after reconnect", "err", err)
		}
	}
	if c.n == len(c.window) {
		if err := c.settleOldest(ctx); err != nil {
			return err
		}
	}
	tok := c.client.Publish(DataTopic(m.ID, m.Kind), c.opts.QoS, false, payload)
	c.window[(c.head+c.n)%len(c.window)] = tok
	c.n++
	c.stats.Sent++
	return nil
}

// settleOldest waits for the oldest outstanding publish and counts its outcome.
func (c *Conn) settleOldest(ctx context.Context) error {
	tok := c.window[c.head]
	switch err := wait(ctx, tok); {
	case err == nil:
		c.stats.Acked++
	case ctx.Err() != nil:
		return ctx.Err()
	case c.opts.QoS > 0 && !errors.Is(err, mqtt.ErrNotConnected):
		// The connection broke while sending. paho keeps a QoS 1 publish in its store until
		// the PUBACK and resends it after reconnecting, under a token we do not see.
		c.stats.Resent++
		c.log.Debug("publish interrupted, paho resends it after reconnecting", "err", err)
	default:
		c.stats.Failed++
		c.log.Debug("publish failed", "err", err)
	}
	c.window[c.head] = nil
	c.head = (c.head + 1) % len(c.window)
	c.n--
	return nil
}

// Close waits for the outstanding publishes, publishes the stations' offline status and
// disconnects. Publishes still unconfirmed when ctx ends count as failed.
func (c *Conn) Close(ctx context.Context) (Stats, error) {
	var err error
	for c.n > 0 {
		if e := c.settleOldest(ctx); e != nil {
			c.stats.Failed += int64(c.n)
			err = fmt.Errorf("%d publishes unconfirmed: %w", c.n, e)
			break
		}
	}
	if err == nil {
		err = c.publishStatus(ctx, Offline)
	}
	c.client.Disconnect(250)
	return c.stats, err
}

// wait waits for a token or ctx and returns the token's error.
func wait(ctx context.Context, t mqtt.Token) error {
	select {
	case <-t.Done():
		return t.Error()
	case <-ctx.Done():
		return errors.Join(ctx.Err(), errors.New("not acknowledged"))
	}
}
