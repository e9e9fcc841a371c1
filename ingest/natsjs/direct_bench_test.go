package natsjs

import (
	"context"
	"fmt"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/quantrac/quantrac/internal/testenv"
)

// BenchmarkDirectMQTTStreamLeaderKill is the PUBACK question under a real fault: a station
// publishes QoS 1 to node n1's MQTT listener as fast as PUBACKs come, while the node leading
// the R3 stream (not n1) is SIGKILLed and restarted. It reports how many PUBACKed messages
// the stream does not hold (lost_acked). An experiment, not a pass/fail test: the loss
// depends on timing (BENCHMARKS.md, README "Which path").
//
//	go test -run '^$' -bench BenchmarkDirectMQTTStreamLeaderKill -benchtime 1x ./ingest/natsjs
func BenchmarkDirectMQTTStreamLeaderKill(b *testing.B) {
	c := testenv.NATSCluster(b, testenv.NATSOptions{})
	ctx := context.Background()
	_, js := connect(b, c)
	s, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "QUANTRAC", Subjects: []string{"stations.>"}, Replicas: 3})
	if err != nil {
		b.Fatal(err)
	}
	// The stream's leader must not be n1, whose listener the station uses.
	testenv.Eventually(b, 30*time.Second, func() (bool, string) {
		info, err := s.Info(ctx)
		if err != nil || info.Cluster == nil {
			return false, fmt.Sprint(err)
		}
		if info.Cluster.Leader == "n1" {
			_, _ = js.Conn().Request("$JS.API.STREAM.LEADER.STEPDOWN.QUANTRAC", nil, 5*time.Second)
			return false, "leader is n1; stepping down"
		}
		return info.Cluster.Leader != "", "no leader"
	})
	info, _ := s.Info(ctx)
	var leader *testenv.NATSNode
	for _, n := range c.Nodes {
		if n.Name == info.Cluster.Leader {
			leader = n
		}
	}
	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(c.Nodes[0].MQTTURL()).SetClientID("station").
		SetAutoReconnect(true).SetMaxReconnectInterval(200 * time.Millisecond).SetCleanSession(true))
	if tok := pub.Connect(); tok.Wait() && tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	defer pub.Disconnect(100)
	acked, failed := 0, 0
	killed := false
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if i == 2000 && !killed {
			go func() { leader.Kill(); time.Sleep(3 * time.Second); leader.Start() }()
			killed = true
		}
		tok := pub.Publish("stations/S-1/air", 1, false, fmt.Sprintf(`{"n": %d}`, i))
		if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
			acked++
		} else {
			failed++ // not PUBACKed: the station would send it again; not counted as lost
			time.Sleep(20 * time.Millisecond)
		}
	}
	var stored uint64
	testenv.Eventually(b, 30*time.Second, func() (bool, string) {
		info, err := s.Info(ctx)
		if err != nil {
			return false, err.Error()
		}
		stored = info.State.Msgs
		return leader.Pid() != 0, "leader node not back"
	})
	time.Sleep(2 * time.Second)
	if info, err := s.Info(ctx); err == nil {
		stored = info.State.Msgs
	}
	b.ReportMetric(float64(acked), "puback")
	b.ReportMetric(float64(stored), "stored")
	b.ReportMetric(float64(int64(acked)-int64(stored)), "lost_acked")
	b.Logf("QoS 1 PUBLISHes to n1's MQTT listener while %s (stream leader) was SIGKILLed and restarted: %d PUBACKed, %d not, %d stored in the stream",
		leader.Name, acked, failed, stored)
}
