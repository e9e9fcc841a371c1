package testenv

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// NATSOptions configure a cluster started by [NATSCluster]. The zero value is three nodes.
type NATSOptions struct {
	// Nodes is the cluster size (0: 3). One node makes a single server without routes.
	Nodes int
	// MQTTStreamReplicas is the replication of the MQTT listener's own streams (sessions,
	// $MQTT_msgs); 0 lets the server choose (the cluster size, at most 3).
	MQTTStreamReplicas int
	// Partitionable routes every node's cluster connections through proxies of the test, so
	// that NATSNode.Partition can cut one node off from the others while it runs.
	Partitionable bool
}

// NATSNode is one nats-server of a cluster, with its client, cluster-route, monitoring and
// MQTT listeners on free loopback ports and its JetStream store in the test's directory.
type NATSNode struct {
	Name    string
	proc    *process
	cluster *NATS
	// client, route, monitor and mqtt are "127.0.0.1:port".
	client, route, monitor, mqtt string
}

// NATS is a JetStream cluster run by a test.
type NATS struct {
	tb      testing.TB
	Nodes   []*NATSNode
	proxies []*routeProxy // with NATSOptions.Partitionable: one per ordered pair of nodes
}

// NATSCluster starts a JetStream cluster of nats-server processes on loopback ports, each
// with an MQTT listener, and returns once every node reports JetStream healthy (its meta
// group has a leader). The machine's own nats-server on 4222 is never touched: every port
// is a free one. The nodes are stopped when the test ends.
func NATSCluster(tb testing.TB, opts NATSOptions) *NATS {
	tb.Helper()
	bin := mustFind(tb, natsServerBinary())
	n := cmpOr0(opts.Nodes, 3)
	dir := tb.TempDir()
	ports := freePorts(tb, 4*n)
	c := &NATS{tb: tb}
	for i := range n {
		c.Nodes = append(c.Nodes, &NATSNode{Name: fmt.Sprintf("n%d", i+1), cluster: c,
			client: loopback(ports[4*i]), route: loopback(ports[4*i+1]),
			monitor: loopback(ports[4*i+2]), mqtt: loopback(ports[4*i+3])})
	}
	if opts.Partitionable {
		for _, from := range c.Nodes {
			for _, to := range c.Nodes {
				if from != to {
					c.proxies = append(c.proxies, newRouteProxy(tb, from, to))
				}
			}
		}
	}
	for _, node := range c.Nodes {
		ndir := filepath.Join(dir, node.Name)
		if err := os.MkdirAll(filepath.Join(ndir, "js"), 0o755); err != nil {
			tb.Fatal(err)
		}
		conf := filepath.Join(ndir, "nats.conf")
		if err := os.WriteFile(conf, []byte(c.config(node, ndir, opts)), 0o644); err != nil {
			tb.Fatal(err)
		}
		node.proc = newProcess(tb, "nats-"+node.Name, bin, []string{"-c", conf}, ndir, node.ready)
	}
	// Spawn every node before waiting: a node is healthy only once a quorum of the cluster
	// runs.
	for _, node := range c.Nodes {
		if err := node.proc.spawn(); err != nil {
			tb.Fatalf("testenv: start %s: %v", node.proc.name, err)
		}
	}
	for _, node := range c.Nodes {
		if err := node.proc.waitReady(); err != nil {
			tb.Fatalf("testenv: %s: %v (log: %s)", node.proc.name, err, node.proc.logPath)
		}
	}
	c.waitMeta()
	return c
}

// waitMeta waits until the JetStream meta leader knows every node as a current peer: before
// that, creating an R3 stream fails with "no suitable peers for placement".
func (c *NATS) waitMeta() {
	c.tb.Helper()
	if len(c.Nodes) == 1 {
		return
	}
	Eventually(c.tb, readyTimeout, func() (bool, string) {
		for _, n := range c.Nodes {
			var jsz struct {
				Meta *struct {
					Leader   string `json:"leader"`
					Replicas []struct {
						Current bool `json:"current"`
						Offline bool `json:"offline"`
					} `json:"replicas"`
				} `json:"meta_cluster"`
			}
			if err := GetJSON(n.MonitorURL()+"/jsz", &jsz); err != nil {
				return false, err.Error()
			}
			if jsz.Meta == nil || jsz.Meta.Leader != n.Name {
				continue
			}
			current := 0
			for _, r := range jsz.Meta.Replicas {
				if r.Current && !r.Offline {
					current++
				}
			}
			return current == len(c.Nodes)-1, fmt.Sprintf("meta leader %s has %d current peers of %d", n.Name, current, len(c.Nodes)-1)
		}
		return false, "no meta leader"
	})
}

// GetJSON decodes the JSON document at url (a monitoring endpoint) into v.
func GetJSON(url string, v any) error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

func cmpOr0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// config renders one node's configuration file.
func (c *NATS) config(node *NATSNode, dir string, opts NATSOptions) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# written by quantrac internal/testenv")
	line("server_name: %s", node.Name)
	line("listen: %q", node.client)
	line("http: %q", node.monitor)
	line("jetstream { store_dir: %q, max_memory_store: 256MB, max_file_store: 4GB }", filepath.Join(dir, "js"))
	if len(c.Nodes) > 1 {
		var routes []string
		for _, o := range c.Nodes {
			if o == node {
				continue
			}
			addr := o.route
			if p := c.proxyTo(node, o); p != nil {
				addr = p.addr()
			}
			routes = append(routes, fmt.Sprintf("%q", "nats-route://"+addr))
		}
		advertise := ""
		if len(c.proxies) > 0 {
			// Nodes tell each other their route address and dial it when they are not connected
			// yet (gossip), which would bypass the proxies: advertise one nothing listens on, so
			// that only the configured routes, through the proxies, connect.
			advertise = `, advertise: "127.0.0.1:1"`
		}
		line("cluster { name: quantrac-test, listen: %q, routes: [%s]%s }", node.route, strings.Join(routes, ", "), advertise)
	}
	mqtt := fmt.Sprintf("listen: %q", node.mqtt)
	if opts.MQTTStreamReplicas > 0 {
		mqtt += fmt.Sprintf(", stream_replicas: %d", opts.MQTTStreamReplicas)
	}
	line("mqtt { %s }", mqtt)
	return b.String()
}

// ready is nil once the node accepts NATS and MQTT connections and reports JetStream healthy.
func (n *NATSNode) ready() error {
	for _, a := range []string{n.client, n.mqtt} {
		if err := dialable(a); err != nil {
			return err
		}
	}
	return n.healthy()
}

// healthy asks the monitoring endpoint whether JetStream is up and current.
func (n *NATSNode) healthy() error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + n.monitor + "/healthz?js-enabled-only=true")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

// URL is the node's NATS client URL: "nats://127.0.0.1:port".
func (n *NATSNode) URL() string { return "nats://" + n.client }

// MQTTURL is the node's MQTT listener for paho: "tcp://127.0.0.1:port".
func (n *NATSNode) MQTTURL() string { return "tcp://" + n.mqtt }

// MonitorURL is the node's monitoring endpoint: "http://127.0.0.1:port".
func (n *NATSNode) MonitorURL() string { return "http://" + n.monitor }

// Pid is the process id of the node's current run (0 when it is not running), for
// benchmarks that read its CPU time.
func (n *NATSNode) Pid() int { return n.proc.pid() }

// Kill kills the node with SIGKILL, as a machine failure would.
func (n *NATSNode) Kill() { n.proc.kill() }

// Stop stops the node gracefully (SIGTERM).
func (n *NATSNode) Stop() { n.proc.tb.Helper(); n.proc.stop() }

// Start starts the stopped or killed node again with its configuration and store, and waits
// until it is healthy (caught up with the cluster's JetStream meta group).
func (n *NATSNode) Start() { n.proc.tb.Helper(); n.proc.start(); n.cluster.waitMeta() }

// URLs are the client URLs of every node, comma-separated, as nats.Connect takes them.
func (c *NATS) URLs() string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.URL()
	}
	return strings.Join(urls, ",")
}

// URLList are the client URLs of every node.
func (c *NATS) URLList() []string { return strings.Split(c.URLs(), ",") }

// MQTTURLs are the MQTT listener URLs of every node.
func (c *NATS) MQTTURLs() []string {
	urls := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		urls[i] = n.MQTTURL()
	}
	return urls
}
