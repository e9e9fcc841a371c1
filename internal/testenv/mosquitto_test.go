package testenv

import (
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
)

// mqttClient is a paho client whose received payloads arrive on msgs.
type mqttClient struct {
	mqtt.Client
	msgs chan string
}

// connect connects to url as id and reports whether the broker had a session for it.
func connect(t *testing.T, url, id string, clean bool) (*mqttClient, bool, error) {
	t.Helper()
	c := &mqttClient{msgs: make(chan string, 100)}
	opts := mqtt.NewClientOptions().AddBroker(url).SetClientID(id).SetCleanSession(clean).
		SetAutoReconnect(false).SetConnectTimeout(5 * time.Second).
		SetDefaultPublishHandler(func(_ mqtt.Client, m mqtt.Message) { c.msgs <- string(m.Payload()) })
	c.Client = mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatalf("connect %s to %s: timeout", id, url)
	}
	if err := tok.Error(); err != nil {
		return nil, false, err
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c, tok.(*mqtt.ConnectToken).SessionPresent(), nil
}

func mustConnect(t *testing.T, url, id string, clean bool) (*mqttClient, bool) {
	t.Helper()
	c, present, err := connect(t, url, id, clean)
	if err != nil {
		t.Fatalf("connect %s to %s: %v", id, url, err)
	}
	return c, present
}

func wait(t *testing.T, tok mqtt.Token) {
	t.Helper()
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("mqtt: %v", tok.Error())
	}
}

func (c *mqttClient) publish(t *testing.T, topic string, payloads ...string) {
	t.Helper()
	for _, p := range payloads {
		wait(t, c.Publish(topic, 1, false, p))
	}
}

// receive returns the next n payloads, failing the test if they do not come within 10 s.
func (c *mqttClient) receive(t *testing.T, n int) []string {
	t.Helper()
	var got []string
	timeout := time.After(10 * time.Second)
	for len(got) < n {
		select {
		case m := <-c.msgs:
			got = append(got, m)
		case <-timeout:
			t.Fatalf("received %q, want %d messages", got, n)
		}
	}
	return got
}

func TestMosquittoPublishSubscribe(t *testing.T) {
	t.Parallel()
	b := Mosquitto(t, MosquittoOptions{ExtraListeners: []Listener{{}}})
	if !strings.HasPrefix(b.URL(), "tcp://127.0.0.1:") || b.URL() != "tcp://"+b.Addr() {
		t.Fatalf("URL = %q, Addr = %q", b.URL(), b.Addr())
	}
	if b.ListenerAddr(0) == b.Addr() {
		t.Fatalf("extra listener shares the main port %s", b.Addr())
	}
	sub, _ := mustConnect(t, b.URL(), "sub", true)
	wait(t, sub.Subscribe("testenv/#", 1, nil))
	// Published on the extra listener, received on the main one: one broker.
	pub, _ := mustConnect(t, "tcp://"+b.ListenerAddr(0), "pub", true)
	pub.publish(t, "testenv/a", "one", "two")
	if got := sub.receive(t, 2); strings.Join(got, ",") != "one,two" {
		t.Fatalf("received %q, want [one two]", got)
	}
}

// TestMosquittoRestartAndKill checks that Restart keeps the persistent session and its queued
// messages, and Kill (a crash) does not save it.
func TestMosquittoRestartAndKill(t *testing.T) {
	t.Parallel()
	b := Mosquitto(t, MosquittoOptions{Persistence: true})
	url := b.URL()

	sub, _ := mustConnect(t, url, "sub", false)
	wait(t, sub.Subscribe("q/#", 1, nil))
	b.Kill()
	if err := dialable(b.Addr()); err == nil {
		t.Fatal("killed broker still accepts connections")
	}
	b.Start()
	if b.URL() != url {
		t.Fatalf("URL after Start = %s, want %s", b.URL(), url)
	}
	sub, present := mustConnect(t, url, "sub", false)
	if present {
		t.Fatal("session present after Kill: the broker saved what a crash loses")
	}

	wait(t, sub.Subscribe("q/#", 1, nil))
	sub.Disconnect(250)
	pub, _ := mustConnect(t, url, "pub", true)
	pub.publish(t, "q/x", "m1", "m2", "m3")
	pub.Disconnect(250)
	b.Restart()
	sub, present = mustConnect(t, url, "sub", false)
	if !present {
		t.Fatal("no session after Restart of a persistent broker")
	}
	if got := sub.receive(t, 3); strings.Join(got, ",") != "m1,m2,m3" {
		t.Fatalf("queued messages after Restart = %q, want [m1 m2 m3]", got)
	}
}

func TestMosquittoMaxQueued(t *testing.T) {
	t.Parallel()
	b := Mosquitto(t, MosquittoOptions{MaxQueued: 2})
	sub, _ := mustConnect(t, b.URL(), "sub", false)
	wait(t, sub.Subscribe("q/#", 1, nil))
	sub.Disconnect(250)
	pub, _ := mustConnect(t, b.URL(), "pub", true)
	pub.publish(t, "q/x", "m1", "m2", "m3", "m4", "m5")
	sub, _ = mustConnect(t, b.URL(), "sub", false)
	pub.publish(t, "q/x", "end") // delivered after whatever was queued
	var got []string
	for len(got) == 0 || got[len(got)-1] != "end" {
		got = append(got, sub.receive(t, 1)...)
	}
	if want := "m1,m2,end"; strings.Join(got, ",") != want {
		t.Fatalf("received %q with max_queued_messages 2, want %s", got, want)
	}
}

func TestMosquittoExtraConfig(t *testing.T) {
	t.Parallel()
	t.Run("applies to the main listener", func(t *testing.T) {
		t.Parallel()
		// mount_point is a listener option: clients of the main listener live under mp/.
		b := Mosquitto(t, MosquittoOptions{ExtraConfig: []string{"mount_point mp/"}, ExtraListeners: []Listener{{}}})
		sub, _ := mustConnect(t, "tcp://"+b.ListenerAddr(0), "sub", true)
		wait(t, sub.Subscribe("mp/#", 1, nil))
		pub, _ := mustConnect(t, b.URL(), "pub", true)
		pub.publish(t, "x", "mounted")
		if got := sub.receive(t, 1); got[0] != "mounted" {
			t.Fatalf("received %q under mp/#, want mounted", got)
		}
	})
	t.Run("deny anonymous", func(t *testing.T) {
		t.Parallel()
		b := Mosquitto(t, MosquittoOptions{DenyAnonymous: true})
		if _, _, err := connect(t, b.URL(), "anon", true); err == nil {
			t.Fatal("anonymous client accepted with DenyAnonymous")
		}
	})
}

func TestMosquittoConfig(t *testing.T) {
	t.Parallel()
	o := MosquittoOptions{Persistence: true, MaxInflight: 5, MaxQueued: 7,
		ExtraConfig:    []string{"password_file /p"},
		ExtraListeners: []Listener{{Lines: []string{"protocol websockets"}}}}
	got := o.config([]int{1883, 9001}, "/d", true)
	want := []string{"listener 1883 127.0.0.1\n", "allow_anonymous true\n", "persistence true\n",
		"persistence_location /d/\n", "max_inflight_messages 5\n", "max_queued_messages 7\n", "user root\n",
		"password_file /p\nlistener 9001 127.0.0.1\nprotocol websockets\n"}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("config lacks %q:\n%s", w, got)
		}
	}
	zero := MosquittoOptions{}.config([]int{1}, "/d", false)
	for _, absent := range []string{"max_inflight", "max_queued", "user ", "persistence true"} {
		if strings.Contains(zero, absent) {
			t.Errorf("zero options config has %q:\n%s", absent, zero)
		}
	}
}
