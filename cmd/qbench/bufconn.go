package main

import (
	"bufio"
	"net"
	"net/url"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// The counting subscriber must cost as little as possible, so that the broker-only rate is
// the broker's ceiling rather than the subscriber's. paho reads each packet in three small
// reads and writes each PUBACK with its own write call: at tens of thousands of messages a
// second that is most of a plain paho client's CPU. bufConn reads through a bufio.Reader and
// coalesces writes (one flusher goroutine writes whatever gathered while the previous write
// was on its way), as stationsim's connections do (internal/sim/load/netconn.go).
type bufConn struct {
	net.Conn
	r *bufio.Reader

	mu      sync.Mutex
	wake    *sync.Cond
	pending []byte
	spare   []byte
	err     error
	closing bool
	done    chan struct{}
}

// dialBuffered is paho's CustomOpenConnectionFn for tcp:// brokers.
func dialBuffered(uri *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", uri.Host, o.ConnectTimeout)
	if err != nil {
		return nil, err
	}
	b := &bufConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10), done: make(chan struct{})}
	b.wake = sync.NewCond(&b.mu)
	go b.flush()
	return b, nil
}

// Read reads through the buffer.
func (b *bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// Write queues p for the flusher; an earlier write error is returned.
func (b *bufConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.closing {
		return 0, net.ErrClosed
	}
	b.pending = append(b.pending, p...)
	b.wake.Signal()
	return len(p), nil
}

func (b *bufConn) flush() {
	defer close(b.done)
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		for len(b.pending) == 0 && !b.closing && b.err == nil {
			b.wake.Wait()
		}
		if len(b.pending) == 0 || b.err != nil {
			return
		}
		data := b.pending
		b.pending = b.spare[:0]
		b.mu.Unlock()
		_, err := b.Conn.Write(data)
		b.mu.Lock()
		b.spare = data[:0]
		if err != nil {
			b.err = err
		}
	}
}

// Close writes out what is pending (at most 2 s) and closes the connection.
func (b *bufConn) Close() error {
	b.mu.Lock()
	b.closing = true
	b.wake.Signal()
	b.mu.Unlock()
	select {
	case <-b.done:
	case <-time.After(2 * time.Second):
	}
	err := b.Conn.Close()
	<-b.done
	return err
}
