package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
)

// routeProxy carries the cluster-route connections one node dials to another, so that a test
// can cut them: a network partition on loopback, where a node's own outgoing connections
// cannot be told from another node's by address or port.
type routeProxy struct {
	from, to *NATSNode
	ln       net.Listener
	mu       sync.Mutex
	cut      bool
	conns    map[net.Conn]struct{}
}

func newRouteProxy(tb testing.TB, from, to *NATSNode) *routeProxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &routeProxy{from: from, to: to, ln: ln, conns: map[net.Conn]struct{}{}}
	go p.serve()
	tb.Cleanup(func() { ln.Close(); p.setCut(true) })
	return p
}

func (p *routeProxy) addr() string { return p.ln.Addr().String() }

func (p *routeProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// forward pipes c to the target node's route listener, unless the proxy is cut.
func (p *routeProxy) forward(c net.Conn) {
	up, err := net.Dial("tcp", p.to.route)
	if err != nil {
		c.Close()
		return
	}
	if !p.track(c, up) {
		return
	}
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

// track registers the pair of connections, or closes them when the proxy is cut.
func (p *routeProxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		if p.cut {
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
	}
	return !p.cut
}

// setCut closes every connection and refuses new ones (true), or forwards again (false).
func (p *routeProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// Partition cuts the node off from the other nodes of its cluster (their route connections,
// both ways) while it keeps running and serving its clients. It needs NATSOptions.Partitionable.
func (n *NATSNode) Partition() { n.cluster.cutRoutes(n, true) }

// Heal ends a Partition.
func (n *NATSNode) Heal() { n.cluster.cutRoutes(n, false) }

func (c *NATS) cutRoutes(n *NATSNode, cut bool) {
	if len(c.proxies) == 0 {
		c.tb.Fatal("testenv: Partition needs NATSOptions.Partitionable")
	}
	for _, p := range c.proxies {
		if p.from == n || p.to == n {
			p.setCut(cut)
		}
	}
}

// proxyTo returns the proxy that carries from's route connections to to.
func (c *NATS) proxyTo(from, to *NATSNode) *routeProxy {
	for _, p := range c.proxies {
		if p.from == from && p.to == to {
			return p
		}
	}
	return nil
}
