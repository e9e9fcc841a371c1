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

// A partitioned node keeps running and serving clients but has no route to the others, which
// keep theirs between them; healed, it has its routes back.
func TestNATSPartitionAndHeal(t *testing.T) {
	c := NATSCluster(t, NATSOptions{Partitionable: true})
	routes := func(n *NATSNode) int {
		var routez struct {
			NumRoutes int `json:"num_routes"`
		}
		if err := GetJSON(n.MonitorURL()+"/routez", &routez); err != nil {
			t.Fatal(err)
		}
		return routez.NumRoutes
	}
	n1, n2 := c.Nodes[0], c.Nodes[1]
	n1.Partition()
	Eventually(t, 20*time.Second, func() (bool, string) {
		return routes(n1) == 0 && routes(n2) > 0, fmt.Sprintf("partitioned: n1 %d routes, n2 %d", routes(n1), routes(n2))
	})
	if err := n1.ready(); err != nil {
		t.Errorf("a partitioned node stopped serving its clients: %v", err)
	}
	n1.Heal()
	Eventually(t, 30*time.Second, func() (bool, string) {
		return routes(n1) > 0, fmt.Sprintf("healed: n1 %d routes", routes(n1))
	})
}
