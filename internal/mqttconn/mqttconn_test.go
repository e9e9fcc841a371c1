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
