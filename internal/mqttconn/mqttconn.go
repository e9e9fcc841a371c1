// Package mqttconn opens broker connections for paho that read through a buffer and
// coalesce writes (ClientOptions.SetCustomOpenConnectionFn(mqttconn.Open)).
//
// paho writes every packet — every PUBACK of a QoS 1 consumer — with its own write call and
// reads each packet in three small reads, so at tens of thousands of messages per second a
// client spends most of its CPU in system calls (profiles of stationsim, quantrac and qbench's
// counting subscriber all showed it). Reads go through a bufio.Reader; Write appends to a
// buffer that one flusher goroutine writes out at once, so while one write is on its way the
// next packets gather behind it. Nothing waits for a timer: at low rates every packet leaves
// immediately, so acknowledgements are never held back.
//
// Close after a DISCONNECT waits for the broker to close its side first (bounded): the
// broker reads a connection's packets in order and closes it on DISCONNECT, so by then it has
// processed every acknowledgement written before. Closing at once would let a restarted
// client take over the session before the broker read them (it then redelivers messages that
// were acknowledged), or reset the connection and make the broker discard them.
package mqttconn

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/quantrac/quantrac/internal/brokerurl"
)

// maxPending bounds the bytes waiting to be written; Write blocks beyond it.
const maxPending = 1 << 20

// closeFlush bounds how long Close waits for pending bytes (paho's DISCONNECT) to leave.
const closeFlush = 2 * time.Second

// closeLinger bounds how long Close, after a DISCONNECT, waits for the broker to close its side.
const closeLinger = 2 * time.Second

// CloseTimeout is the longest Close takes: a client's disconnect must allow for it
// (paho's Disconnect quiesce) to return only once the broker has closed the connection.
const CloseTimeout = closeFlush + closeLinger

// disconnectPacket is an MQTT DISCONNECT, as paho writes it: in one Write.
var disconnectPacket = []byte{0xe0, 0x00}

// bufferedConn is a net.Conn with buffered reads and coalesced writes.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader

	mu           sync.Mutex
	wake         *sync.Cond // flusher: data pending, or closing
	room         *sync.Cond // writers: the buffer was written out
	pending      []byte
	spare        []byte
	err          error // sticky write error
	closing      bool
	disconnected bool          // a DISCONNECT was written: the broker will close its side
	done         chan struct{} // closed when the flusher has ended

	readEnded chan struct{} // closed when a Read fails: the broker closed, or the connection broke
	readOnce  sync.Once
	closeOnce sync.Once
	closeErr  error
}

func newBufferedConn(c net.Conn) *bufferedConn {
	b := &bufferedConn{Conn: c, r: bufio.NewReaderSize(c, 64<<10), done: make(chan struct{}), readEnded: make(chan struct{})}
	b.wake = sync.NewCond(&b.mu)
	b.room = sync.NewCond(&b.mu)
	go b.flush()
	return b
}

// Read reads through the buffer: one system call brings in many small packets.
func (b *bufferedConn) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil {
		b.readOnce.Do(func() { close(b.readEnded) })
	}
	return n, err
}

// Write queues p for the flusher. A write error of earlier data is returned by the next call.
func (b *bufferedConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.err == nil && !b.closing && len(b.pending) >= maxPending {
		b.room.Wait()
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.closing {
		return 0, net.ErrClosed
	}
	b.pending = append(b.pending, p...)
	b.disconnected = bytes.Equal(p, disconnectPacket)
	b.wake.Signal()
	return len(p), nil
}

// flush writes out what is pending until the connection closes or a write fails.
func (b *bufferedConn) flush() {
	defer close(b.done)
	b.mu.Lock()
	defer b.mu.Unlock()
	for {
		for len(b.pending) == 0 && !b.closing && b.err == nil {
			b.wake.Wait()
		}
		if len(b.pending) == 0 || b.err != nil {
			b.room.Broadcast()
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
		b.room.Broadcast()
	}
}

// Close writes out what is pending (for at most closeFlush) and closes the connection. After
// a DISCONNECT it first shuts down the writing side and waits, for at most closeLinger, until
// the broker has closed its side (a Read ends). paho calls Close twice (the writer after the
// DISCONNECT, then the disconnect itself): the second call waits for the first.
func (b *bufferedConn) Close() error {
	b.closeOnce.Do(func() { b.closeErr = b.close() })
	return b.closeErr
}

func (b *bufferedConn) close() error {
	b.mu.Lock()
	b.closing = true
	b.wake.Signal()
	b.room.Broadcast()
	b.mu.Unlock()
	flushed := wait(b.done, closeFlush)
	b.mu.Lock()
	linger := flushed && b.disconnected && b.err == nil
	b.mu.Unlock()
	if cw, ok := b.Conn.(interface{ CloseWrite() error }); linger && ok && cw.CloseWrite() == nil {
		wait(b.readEnded, closeLinger) // paho's reader gets EOF when the broker closes
	}
	err := b.Conn.Close()
	<-b.done // a write blocked on a dead peer fails once the connection is closed
	return err
}

// wait waits for ch to close, for at most d, and reports whether it did.
func wait(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}

// Open dials the broker for paho (ClientOptions.CustomOpenConnectionFn) and wraps TCP and
// TLS connections in a buffered connection. WebSocket connections are left as paho makes them.
func Open(uri *url.URL, o mqtt.ClientOptions) (net.Conn, error) {
	d := &net.Dialer{Timeout: o.ConnectTimeout}
	var (
		c   net.Conn
		err error
	)
	switch s := uri.Scheme; {
	case brokerurl.WebSocket(s):
		u := *uri
		u.User = nil
		return mqtt.NewWebsocket(u.String(), o.TLSConfig, o.ConnectTimeout, o.HTTPHeaders, o.WebsocketOptions)
	case brokerurl.TLS(s):
		c, err = tls.DialWithDialer(d, "tcp", uri.Host, o.TLSConfig)
	case brokerurl.Known(s):
		c, err = d.Dial("tcp", uri.Host)
	default:
		return nil, fmt.Errorf("unknown broker scheme %q", uri.Scheme)
	}
	if err != nil {
		return nil, err
	}
	return newBufferedConn(c), nil
}
