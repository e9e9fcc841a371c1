package testenv

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// A 3-node cluster stores an R3 stream, keeps taking messages with one node SIGKILLed, and the
// node comes back with its store and catches up.
func TestNATSClusterKillAndRestart(t *testing.T) {
	c := NATSCluster(t, NATSOptions{})
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	publish := func(n int) {
		for i := range n {
			Eventually(t, 20*time.Second, func() (bool, string) {
				_, err := js.Publish(ctx, "t.x", []byte(fmt.Sprint(i)))
				return err == nil, fmt.Sprint(err)
			})
		}
	}
	publish(10)
	c.Nodes[0].Kill()
	if c.Nodes[0].Pid() != 0 {
		t.Error("a killed node has a pid")
	}
	publish(10)
	c.Nodes[0].Start()
	Eventually(t, 30*time.Second, func() (bool, string) {
		info, err := s.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		current := 0
		for _, r := range info.Cluster.Replicas {
			if r.Current {
				current++
			}
		}
		return info.State.Msgs == 20 && current == 2, fmt.Sprintf("%d messages, %d current followers", info.State.Msgs, current)
	})
	if !strings.HasPrefix(c.Nodes[2].MQTTURL(), "tcp://127.0.0.1:") {
		t.Errorf("MQTT URL %s", c.Nodes[2].MQTTURL())
	}
}

func TestNATSServerNeverFromPATH(t *testing.T) {
	b := natsServerBinary()
	_, err := b.find(func(string) string { return "" }, func(string) (string, error) { return "/usr/sbin/nats-server", nil })
	if err == nil || !strings.Contains(err.Error(), "nats-server not found") {
		t.Errorf("nats-server found on PATH: err = %v", err)
	}
}
