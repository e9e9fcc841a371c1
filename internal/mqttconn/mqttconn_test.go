package mqttconn

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// pair returns a bufferedConn and the server side of a loopback TCP connection.
func pair(t *testing.T) (*bufferedConn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return newBufferedConn(c), s
}

// Everything written arrives in order, and Close writes out what is still pending.
func TestBufferedConnWritesInOrder(t *testing.T) {
	b, s := pair(t)
	var want bytes.Buffer
	got := make(chan []byte)
	go func() {
		all, _ := io.ReadAll(s)
		got <- all
	}()
	for i := range 20000 {
		p := bytes.Repeat([]byte{byte(i)}, 1+i%300)
		want.Write(p)
		if n, err := b.Write(p); err != nil || n != len(p) {
			t.Fatalf("write %d: %d, %v", i, n, err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if all := <-got; !bytes.Equal(all, want.Bytes()) {
		t.Fatalf("received %d bytes, want %d (equal prefix: %v)", len(all), want.Len(), bytes.HasPrefix(want.Bytes(), all))
	}
	if _, err := b.Write([]byte("x")); err == nil {
		t.Error("write after close succeeded")
	}
}

func TestBufferedConnReads(t *testing.T) {
	b, s := pair(t)
	defer b.Close()
	go func() { _, _ = s.Write([]byte{0x40, 0x02, 0x00, 0x01}) }() // a PUBACK
	buf := make([]byte, 4)
	if _, err := io.ReadFull(b, buf); err != nil || buf[0] != 0x40 || buf[3] != 1 {
		t.Fatalf("read %v, %v", buf, err)
	}
}

// Once the peer is gone, writes fail (the error of an earlier write surfaces on a later one).
func TestBufferedConnWriteError(t *testing.T) {
	b, s := pair(t)
	defer b.Close()
	s.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := b.Write(make([]byte, 4096)); err != nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("writes to a closed peer keep succeeding")
		}
		time.Sleep(time.Millisecond)
	}
}

// After a DISCONNECT, Close half-closes and waits for the peer (the broker) to close its side
// before closing: everything written before is then read by the peer. A concurrent second
// Close (paho makes one) waits for the first. Without a DISCONNECT, Close does not wait.
func TestCloseAfterDisconnectWaitsForPeer(t *testing.T) {
	b, s := pair(t)
	go func() { // paho's reader: reads until the peer closes
		_, _ = io.Copy(io.Discard, b)
	}()
	if _, err := b.Write([]byte{0x40, 0x02, 0x00, 0x01}); err != nil { // a PUBACK
		t.Fatal(err)
	}
	if _, err := b.Write(disconnectPacket); err != nil {
		t.Fatal(err)
	}
	peerRead := make(chan []byte)
	const peerDelay = 300 * time.Millisecond
	go func() { // the broker: reads to the client's FIN, takes its time, then closes
		all, _ := io.ReadAll(s)
		time.Sleep(peerDelay)
		s.Close()
		peerRead <- all
	}()
	start := time.Now()
	closed := make(chan error, 2)
	for range 2 {
		go func() { closed <- b.Close() }()
	}
	for range 2 {
		if err := <-closed; err != nil {
			t.Errorf("Close: %v", err)
		}
		if took := time.Since(start); took < peerDelay {
			t.Errorf("Close returned after %v, before the peer closed (%v)", took, peerDelay)
		}
	}
	if all := <-peerRead; !bytes.Equal(all, []byte{0x40, 0x02, 0x00, 0x01, 0xe0, 0x00}) {
		t.Errorf("peer read % x", all)
	}
}

func TestCloseWithoutDisconnectDoesNotWait(t *testing.T) {
	b, s := pair(t)
	go func() { _, _ = io.Copy(io.Discard, b) }()
	go func() { _, _ = io.Copy(io.Discard, s) }() // a peer that never closes
	if _, err := b.Write([]byte{0x40, 0x02, 0x00, 0x01}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > closeLinger/2 {
		t.Errorf("Close without a DISCONNECT took %v", took)
	}
}
