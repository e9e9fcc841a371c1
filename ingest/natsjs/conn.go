package natsjs

import (
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/quantrac/quantrac/internal/tlsfiles"
)

// ConnOptions are how to reach the cluster.
type ConnOptions struct {
	URLs            []string
	CredentialsFile string
	TLS             tlsfiles.Files
	// Name names the connection in the server's monitoring (the instance: member and host).
	Name   string
	Logger *slog.Logger
}

// Connect connects to any node of the cluster and keeps reconnecting, to any node, forever:
// JetStream calls fail meanwhile and succeed again once a node answers. A first connection
// that fails is retried in the background too (nats.RetryOnFailedConnect), so Connect
// returns at once with a connection that is not connected yet.
func Connect(o ConnOptions) (*nats.Conn, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.ReconnectJitter(250*time.Millisecond, time.Second),
		nats.PingInterval(5 * time.Second),
		nats.MaxPingsOutstanding(3),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("lost the NATS connection; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("reconnected to NATS", "server", c.ConnectedUrlRedacted())
		}),
		nats.ConnectHandler(func(c *nats.Conn) {
			log.Info("connected to NATS", "server", c.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Warn("NATS asynchronous error", "subject", subj, "err", err)
		}),
	}
	if o.CredentialsFile != "" {
		opts = append(opts, nats.UserCredentials(o.CredentialsFile))
	}
	tc, err := o.TLS.Config("nats")
	if err != nil {
		return nil, err
	}
	if tc != nil {
		opts = append(opts, nats.Secure(tc))
	}
	return nats.Connect(strings.Join(o.URLs, ","), opts...)
}
