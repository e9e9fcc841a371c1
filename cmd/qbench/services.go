package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startTimeout bounds how long a service may take to accept connections.
const startTimeout = 60 * time.Second

// broker is a Mosquitto started for one station count.
type broker struct {
	*proc
	port int
}

// URL is the broker's address for MQTT clients.
func (b *broker) URL() string { return "tcp://127.0.0.1:" + strconv.Itoa(b.port) }

// mosquittoConfig renders mosquitto.conf as a QoS 1 consumer that acknowledges only once data
// are durable needs it (docs/decisions/0001-puback-when-durable.md): persistence on, a large
// queue per client and a large in-flight window.
func mosquittoConfig(port int, dataDir string, maxInflight, maxQueued int) string {
	var c strings.Builder
	fmt.Fprintf(&c, "# written by qbench\nlistener %d 127.0.0.1\nallow_anonymous true\n", port)
	fmt.Fprintf(&c, "persistence true\npersistence_location %s/\n", dataDir)
	fmt.Fprintf(&c, "max_inflight_messages %d\nmax_queued_messages %d\nmax_queued_bytes 0\n", maxInflight, maxQueued)
	c.WriteString("log_dest stdout\nlog_type error\nlog_type warning\nlog_type notice\nconnection_messages true\n")
	if os.Geteuid() == 0 {
		// As root, mosquitto would switch to the user "mosquitto", which cannot write here.
		c.WriteString("user root\n")
	}
	return c.String()
}

// startBroker starts Mosquitto in dir and waits until it accepts connections.
func startBroker(bin, dir string, maxInflight, maxQueued int) (*broker, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "mosquitto")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(data, "mosquitto.conf")
	if err := os.WriteFile(conf, []byte(mosquittoConfig(port, data, maxInflight, maxQueued)), 0o644); err != nil {
		return nil, err
	}
	p, err := startProc("mosquitto", filepath.Join(dir, "mosquitto.log"), bin, []string{"-c", conf})
	if err != nil {
		return nil, err
	}
	b := &broker{proc: p, port: port}
	err = waitFor(startTimeout, 20*time.Millisecond, "mosquitto start", func() (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("mosquitto exited: %s", p.Tail(10))
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err != nil {
			return false, err
		}
		c.Close()
		return true, nil
	})
	if err != nil {
		_ = p.Stop(syscall.SIGKILL, 5*time.Second)
		return nil, err
	}
	return b, nil
}

// influx is the InfluxDB 1.8 of the whole run; each station count has its own database.
type influx struct {
	*proc
	url    string
	client *http.Client
}

// influxConfig renders influxdb.conf: loopback only, no reporting, no internal monitor
// store, no HTTP access log and no Flux (the benchmark and quantrac use InfluxQL and the
// write API only; Flux costs influxd seconds of CPU at start). extra settings replace the
// base ones with the same section and key, or are added (qbench writecost's variants).
func influxConfig(dir string, httpPort, rpcPort int, extra ...confSetting) string {
	settings := []confSetting{
		{"", "reporting-disabled", "true"},
		{"", "bind-address", strconv.Quote("127.0.0.1:" + strconv.Itoa(rpcPort))},
		{"meta", "dir", strconv.Quote(filepath.Join(dir, "meta"))},
		{"data", "dir", strconv.Quote(filepath.Join(dir, "data"))},
		{"data", "wal-dir", strconv.Quote(filepath.Join(dir, "wal"))},
		{"data", "query-log-enabled", "false"},
		{"monitor", "store-enabled", "false"},
		{"http", "bind-address", strconv.Quote("127.0.0.1:" + strconv.Itoa(httpPort))},
		{"http", "flux-enabled", "false"},
		{"http", "log-enabled", "false"},
	}
	for _, e := range extra {
		i := slices.IndexFunc(settings, func(s confSetting) bool { return s.section == e.section && s.key == e.key })
		if i >= 0 {
			settings[i] = e
		} else {
			settings = append(settings, e)
		}
	}
	var c strings.Builder
	c.WriteString("# written by qbench\n")
	var sections []string // in order of first appearance: the top level ("") first
	for _, s := range settings {
		if !slices.Contains(sections, s.section) {
			sections = append(sections, s.section)
		}
	}
	for _, sec := range sections {
		indent := ""
		if sec != "" {
			fmt.Fprintf(&c, "\n[%s]\n", sec)
			indent = "  "
		}
		for _, s := range settings {
			if s.section == sec {
				fmt.Fprintf(&c, "%s%s = %s\n", indent, s.key, s.value)
			}
		}
	}
	return c.String()
}

// confSetting is one influxdb.conf setting: section ("" for the top level), key and value
// in TOML syntax (strings quoted).
type confSetting struct{ section, key, value string }

// startInflux starts influxd in dir with qbench's configuration and waits until /ping
// answers.
func startInflux(bin, dir string) (*influx, error) { return startInfluxWith(bin, dir, nil) }

// startInfluxWith starts influxd in dir with the extra settings and environment (added to
// qbench's) and waits until /ping answers.
func startInfluxWith(bin, dir string, env []string, extra ...confSetting) (*influx, error) {
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	rpcPort, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "influxdb")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(data, "influxdb.conf")
	if err := os.WriteFile(conf, []byte(influxConfig(data, httpPort, rpcPort, extra...)), 0o644); err != nil {
		return nil, err
	}
	p, err := startProcEnv("influxd", filepath.Join(dir, "influxd.log"), bin, []string{"run", "-config", conf}, env)
	if err != nil {
		return nil, err
	}
	in := &influx{proc: p, url: "http://127.0.0.1:" + strconv.Itoa(httpPort), client: &http.Client{Timeout: 60 * time.Second}}
	err = waitFor(startTimeout, 50*time.Millisecond, "influxd start", func() (bool, error) {
		if p.Exited() {
			return false, fmt.Errorf("influxd exited: %s", p.Tail(10))
		}
		resp, err := in.client.Get(in.url + "/ping")
		if err != nil {
			return false, err
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusNoContent, nil
	})
	if err != nil {
		_ = p.Stop(syscall.SIGKILL, 5*time.Second)
		return nil, err
	}
	return in, nil
}

// queryResponse is InfluxDB 1.x's /query answer.
type queryResponse struct {
	Results []struct {
		Series []struct {
			Values [][]json.Number `json:"values"`
		} `json:"series"`
		Error string `json:"error"`
	} `json:"results"`
	Error string `json:"error"`
}

// query runs InfluxQL statements against db.
func (in *influx) query(db, q string) (*queryResponse, error) {
	v := url.Values{"q": {q}, "epoch": {"ns"}}
	if db != "" {
		v.Set("db", db)
	}
	resp, err := in.client.PostForm(in.url+"/query", v)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("influx query %q: HTTP %d: %s", q, resp.StatusCode, body)
	}
	var r queryResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("influx query %q: %w", q, err)
	}
	if r.Error != "" {
		return nil, fmt.Errorf("influx query %q: %s", q, r.Error)
	}
	for _, res := range r.Results {
		if res.Error != "" {
			return nil, fmt.Errorf("influx query %q: %s", q, res.Error)
		}
	}
	return &r, nil
}

// createDB creates database name.
func (in *influx) createDB(name string) error {
	_, err := in.query("", fmt.Sprintf("CREATE DATABASE %q", name))
	return err
}

// countPoints returns how many messages of the load with measurement times from since on
// are queryable in db, for the given stations or all. Every accepted message of the load is
// one point of measurement air (with pm25, the first air parameter) or wastewater (with flow,
// the first wastewater parameter), since stationsim runs without calibrating status.
func (in *influx) countPoints(db string, since time.Time, stations ...string) (int64, error) {
	where := fmt.Sprintf(" WHERE time >= %d", since.UnixNano())
	if len(stations) > 0 {
		var or []string
		for _, s := range stations {
			or = append(or, "station = '"+s+"'")
		}
		where += " AND (" + strings.Join(or, " OR ") + ")"
	}
	r, err := in.query(db, "SELECT count(pm25) FROM air"+where+"; SELECT count(flow) FROM wastewater"+where)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, res := range r.Results {
		for _, s := range res.Series {
			if len(s.Values) > 0 && len(s.Values[0]) > 1 {
				c, err := s.Values[0][1].Int64()
				if err != nil {
					return 0, err
				}
				n += c
			}
		}
	}
	return n, nil
}
