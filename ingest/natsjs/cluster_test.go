package natsjs

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/quantrac/quantrac/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testLayout is the default layout over the stations/{station}/{kind} template.
func testLayout(t *testing.T, partitions int) Layout {
	t.Helper()
	p, err := PartitioningFor("stations/{station}/{kind}", partitions)
	if err != nil {
		t.Fatal(err)
	}
	return Layout{Stream: "QUANTRAC", Subjects: []string{"stations.>"}, Replicas: 3, Group: "quantrac", Partitioning: p}
}

func connect(t testing.TB, c *testenv.NATS) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(c.URLs())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// publisher is a station-side MQTT client with QoS 1.
func publisher(t *testing.T, url, id string) mqtt.Client {
	t.Helper()
	// The MQTT listener closes a connection (EOF) until its account's JetStream assets exist,
	// which takes the cluster's first elections: try again for a while.
	deadline := time.Now().Add(30 * time.Second)
	for {
		c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true).
			SetAutoReconnect(false).SetConnectTimeout(10 * time.Second))
		tok := c.Connect()
		if tok.WaitTimeout(20*time.Second) && tok.Error() == nil {
			t.Cleanup(func() { c.Disconnect(100) })
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("MQTT connect to %s: %v", url, tok.Error())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// publishAcked publishes QoS 1 and reports whether the PUBACK came.
func publishAcked(c mqtt.Client, topic, payload string) error {
	tok := c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(10 * time.Second) {
		return fmt.Errorf("no PUBACK within 10s")
	}
	return tok.Error()
}

func streamMsgs(t *testing.T, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Msgs
}

// The partition a station's messages land in, as the server's subject transform computes it,
// is the one Partitioning.Partition computes, so that the stations rebuilt on acquiring a
// partition are those whose messages it holds. Station ids with dots (allowed by the
// registry) are the case where the subject token differs from the id.
func TestPartitionMatchesServer(t *testing.T) {
	c := testenv.NATSCluster(t, testenv.NATSOptions{})
	_, js := connect(t, c)
	ctx := context.Background()
	l := testLayout(t, 16)
	if err := Init(ctx, js, l); err != nil {
		t.Fatal(err)
	}
	pub := publisher(t, c.Nodes[1].MQTTURL(), "station-sim")
	var stations []string
	for i := range 40 {
		st := fmt.Sprintf("S-%02d", i)
		if i%4 == 0 {
			st = fmt.Sprintf("LC.AQ.%02d", i)
		}
		stations = append(stations, st)
		if err := publishAcked(pub, "stations/"+st+"/air", `{"pm25": 1}`); err != nil {
			t.Fatal(err)
		}
	}
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		n := streamMsgs(t, js, l.GroupStream())
		return n == 40, fmt.Sprintf("%d of 40 messages in %s", n, l.GroupStream())
	})
	gs, err := js.Stream(ctx, l.GroupStream())
	if err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 40; seq++ {
		m, err := gs.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		part, rest, _ := strings.Cut(m.Subject, ".")
		st := l.Partitioning.stationOf(rest)
		if !slices.Contains(stations, st) {
			t.Fatalf("message %d on %s: station %q not published", seq, m.Subject, st)
		}
		if want := fmt.Sprint(l.Partitioning.Partition(st)); part != want {
			t.Errorf("station %s landed in partition %s, Partition says %s", st, part, want)
		}
		if topic := SubjectToTopic(rest); topic != "stations/"+st+"/air" {
			t.Errorf("subject %s converts back to topic %q", rest, topic)
		}
	}
}

// Init and Join are safe when several instances start at once on an empty cluster: every
// call succeeds, and every member ends up in the group.
func TestConcurrentSetup(t *testing.T) {
	c := testenv.NATSCluster(t, testenv.NATSOptions{})
	_, js := connect(t, c)
	l := testLayout(t, 8)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			ctx := context.Background()
			if errs[i] = Init(ctx, js, l); errs[i] == nil {
				errs[i] = Join(ctx, js, l, fmt.Sprintf("m%d", i))
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	members, err := SetMembers(context.Background(), js, l, []string{"m0"}, nil)
	if err != nil || !slices.Equal(members, []string{"m0", "m1", "m2", "m3"}) {
		t.Errorf("members = %v, %v", members, err)
	}
	l2 := l
	l2.Partitioning.Partitions = 12
	if err := Init(context.Background(), js, l2); err == nil || !strings.Contains(err.Error(), "exists with 8 partitions, not nats.partitions 12") {
		t.Errorf("a different partition count: err = %v", err)
	}
	l3 := l
	l3.Replicas = 1
	if err := Init(context.Background(), js, l3); err == nil || !strings.Contains(err.Error(), "exists with 3 replicas, not nats.replicas 1") {
		t.Errorf("a different replica count: err = %v", err)
	}
}
