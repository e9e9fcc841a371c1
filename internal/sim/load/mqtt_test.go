package load

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/internal/testenv"
)

// counter is a plain subscriber that keeps every message it receives on stations/#.
type counter struct {
	mu     sync.Mutex
	data   map[string]int // distinct data messages (topic + payload) → times received
	total  int            // data messages received, duplicates included
	status map[string]string
	bad    []string
}

func subscribe(t *testing.T, url, id string, clean bool) (*counter, mqtt.Client) {
	t.Helper()
	c := &counter{data: map[string]int{}, status: map[string]string{}}
	handler := func(_ mqtt.Client, m mqtt.Message) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if strings.HasSuffix(m.Topic(), "/status") {
			c.status[m.Topic()] = string(m.Payload())
			return
		}
		var doc struct{ Station string }
		if err := json.Unmarshal(m.Payload(), &doc); err != nil || "stations/"+doc.Station+"/" != m.Topic()[:len(doc.Station)+10] {
			c.bad = append(c.bad, m.Topic()+" "+string(m.Payload()))
		}
		c.data[m.Topic()+" "+string(m.Payload())]++
		c.total++
	}
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(clean).
		SetAutoReconnect(true).SetConnectRetryInterval(100 * time.Millisecond).SetMaxReconnectInterval(time.Second).
		SetOnConnectHandler(func(cl mqtt.Client) { cl.Subscribe("stations/#", 1, handler) })
	cl := mqtt.NewClient(opts)
	if tok := cl.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscriber connect: %v", tok.Error())
	}
	t.Cleanup(func() { cl.Disconnect(100) })
	return c, cl
}

func (c *counter) snapshot() (distinct, total int, status map[string]string, bad []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := map[string]string{}
	for k, v := range c.status {
		st[k] = v
	}
	return len(c.data), c.total, st, append([]string(nil), c.bad...)
}

func dialAll(t *testing.T, url string, stations []*quantrac.Station, conns int) []Sink {
	t.Helper()
	groups := make([][]*quantrac.Station, conns)
	for i, st := range stations {
		groups[i%conns] = append(groups[i%conns], st)
	}
	var sinks []Sink
	for i, g := range groups {
		c, err := Dial(context.Background(), MQTTOptions{Broker: url, ClientID: fmt.Sprintf("%s-%d", t.Name(), i),
			QoS: 1, InFlight: 50, Status: true}, g)
		if err != nil {
			t.Fatal(err)
		}
		sinks = append(sinks, c)
	}
	return sinks
}

// A QoS 1 run over several connections delivers every message, once, to a subscriber, and
// leaves each station's retained status offline.
func TestPublishToMosquitto(t *testing.T) {
	broker := testenv.Mosquitto(t, testenv.MosquittoOptions{})
	sub, _ := subscribe(t, broker.URL(), "counter", true)
	cfg := testConfig(t, 7)
	cfg.Count, cfg.Rate, cfg.Step = 700, 0, time.Second
	stats, err := Run(context.Background(), cfg, dialAll(t, broker.URL(), cfg.Stations, 3))
	if err != nil {
		t.Fatal(err)
	}
	if stats.Sent != 700 || stats.Acked != 700 || stats.Failed != 0 || stats.Status != 14 {
		t.Errorf("stats %+v", stats)
	}
	// Each station's "offline" follows its "online" on another connection: wait for the last.
	offline := func(status map[string]string) int {
		n := 0
		for _, st := range cfg.Stations {
			if status[StatusTopic(st.ID)] == Offline {
				n++
			}
		}
		return n
	}
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		d, n, st, _ := sub.snapshot()
		return d == 700 && n == 700 && offline(st) == 7,
			fmt.Sprintf("%d distinct of %d data messages, %d statuses, %d offline", d, n, len(st), offline(st))
	})
	_, _, _, bad := sub.snapshot()
	if len(bad) > 0 {
		t.Errorf("%d messages not on their station's topic, e.g. %s", len(bad), bad[0])
	}
	// The retained status of a station reaches a subscriber that comes later.
	late, _ := subscribe(t, broker.URL(), "late", true)
	testenv.Eventually(t, 5*time.Second, func() (bool, string) {
		_, _, st, _ := late.snapshot()
		return len(st) == 7, fmt.Sprintf("%d retained statuses", len(st))
	})
}

// A connection that carries one station sets that station's will: when the connection dies,
// the broker publishes the station offline.
func TestWillOfSingleStationConnection(t *testing.T) {
	broker := testenv.Mosquitto(t, testenv.MosquittoOptions{})
	sub, _ := subscribe(t, broker.URL(), "counter", true)
	st, _ := sim.Stations(1, 1)
	c, err := Dial(context.Background(), MQTTOptions{Broker: broker.URL(), ClientID: "will", QoS: 1, Status: true}, st)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 5*time.Second, func() (bool, string) {
		_, _, s, _ := sub.snapshot()
		return s[StatusTopic(st[0].ID)] == Online, fmt.Sprint(s)
	})
	// Another client with the same id takes the session over: the broker drops the first
	// connection without a DISCONNECT, so the will fires.
	thief := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("will").SetAutoReconnect(false))
	if tok := thief.Connect(); !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	testenv.Eventually(t, 5*time.Second, func() (bool, string) {
		_, _, s, _ := sub.snapshot()
		return s[StatusTopic(st[0].ID)] == Offline, fmt.Sprint(s)
	})
	thief.Disconnect(0)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, _ = c.Close(ctx)
}

// When the broker restarts in the middle of a run, the connections reconnect, paho resends
// what was not acknowledged, and every message arrives (at QoS 1 possibly twice).
func TestPublishSurvivesBrokerRestart(t *testing.T) {
	broker := testenv.Mosquitto(t, testenv.MosquittoOptions{Persistence: true, MaxQueued: 100000})
	sub, _ := subscribe(t, broker.URL(), "counter-persistent", false)
	cfg := testConfig(t, 4)
	cfg.Count, cfg.Rate, cfg.Step, cfg.Drain = 600, 200, time.Second, 60*time.Second
	sinks := dialAll(t, broker.URL(), cfg.Stations, 2)
	type result struct {
		stats Stats
		err   error
	}
	done := make(chan result, 1)
	go func() {
		s, err := Run(context.Background(), cfg, sinks)
		done <- result{s, err}
	}()
	testenv.Eventually(t, 10*time.Second, func() (bool, string) {
		d, _, _, _ := sub.snapshot()
		return d >= 150, fmt.Sprintf("%d received", d)
	})
	broker.Restart()
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	if r.stats.Sent != 600 || r.stats.Acked+r.stats.Resent != 600 || r.stats.Failed != 0 {
		t.Errorf("stats %+v", r.stats)
	}
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		d, n, _, _ := sub.snapshot()
		return d == 600, fmt.Sprintf("%d distinct of %d received", d, n)
	})
	_, n, _, _ := sub.snapshot()
	t.Logf("600 messages arrived, %d with redeliveries; %d resent by paho", n, r.stats.Resent)
}
