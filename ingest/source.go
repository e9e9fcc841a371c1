package ingest

import (
	"context"
	"time"
)

// Message is one received message waiting to be decoded.
type Message struct {
	Topic    string // MQTT topic (a NATS subject is given as the topic it was published on)
	Payload  []byte
	Received time.Time
	Ack      func() // acknowledges the message to the broker or stream, once its data is durable
}

// Source delivers received messages and takes their acknowledgements: the MQTT subscriber
// (MQTTSource) or a NATS JetStream consumer (ingest/natsjs; README.md, "Scaling out").
type Source interface {
	// Run connects and delivers messages on Messages until ctx is done, then stops consuming
	// and closes Messages, but keeps the connection so that messages taken can still be
	// acknowledged.
	Run(ctx context.Context) error
	// Messages is the channel of received messages; it is closed when Run returns.
	Messages() <-chan Message
	// Connected reports whether messages can arrive (connected and subscribed).
	Connected() bool
	// Close disconnects, after Run has returned and the messages taken are acknowledged.
	Close()
}
