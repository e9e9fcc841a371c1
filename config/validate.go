package config

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/quantrac/quantrac/ingest/payload"
	"github.com/quantrac/quantrac/internal/brokerurl"
	"github.com/quantrac/quantrac/internal/yamlpos"
)

// problems collects validation errors, each naming file, line, key and reason.
type problems struct {
	file string
	root *yaml.Node
	errs []error
}

func (p *problems) add(key, format string, args ...any) {
	loc := p.file
	if loc == "" {
		loc = "(defaults)"
	}
	if line := yamlpos.Line(p.root, key); line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, line)
	}
	p.errs = append(p.errs, fmt.Errorf("%s: %s: %s", loc, key, fmt.Sprintf(format, args...)))
}

// validate checks every key and resolves secrets; getenv is os.Getenv outside tests.
func (c *Config) validate(getenv func(string) string) error {
	p := &problems{file: c.File}
	if c.File != "" {
		if data, err := os.ReadFile(c.File); err == nil {
			var doc yaml.Node
			if yaml.Unmarshal(data, &doc) == nil {
				p.root = &doc
			}
		}
	}
	c.validateMQTT(p, getenv)
	c.validateInflux(p, getenv)
	if c.Spool.Dir == "" {
		p.add("spool.dir", "must not be empty")
	}
	if c.Spool.MaxBytes < 1<<20 {
		p.add("spool.max_bytes", "%v is below the minimum of 1MiB", c.Spool.MaxBytes)
	}
	if c.StationsFile == "" {
		p.add("stations_file", "must not be empty")
	} else if _, err := os.Stat(c.StationsFile); err != nil && c.StationsFileRequired() {
		p.add("stations_file", "%v", unwrapPathError(err))
	}
	for i, f := range c.Rules.Files {
		if _, err := os.Stat(f); err != nil {
			p.add(fmt.Sprintf("rules.files[%d]", i), "%v", unwrapPathError(err))
		}
	}
	c.validateLimits(p)
	c.validateSource(p)
	c.validateWeb(p)
	c.validateQC(p)
	return errors.Join(p.errs...)
}

// validateWeb checks web.map_tiles (an http(s) URL template with {z}, {x} and {y}) and
// web.editors.
func (c *Config) validateWeb(p *problems) {
	c.validateEditors(p)
	t := c.Web.MapTiles
	if t == "" {
		return
	}
	u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0", "{s}", "a").Replace(t))
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		p.add("web.map_tiles", "%q is not an http(s) URL like https://tile.example.org/{z}/{x}/{y}.png", t)
	case u.User != nil:
		p.add("web.map_tiles", "credentials in the URL are not allowed: every browser showing the map would see them")
	case !strings.Contains(t, "{z}") || !strings.Contains(t, "{x}") || !strings.Contains(t, "{y}"):
		p.add("web.map_tiles", "%q must contain {z}, {x} and {y}", t)
	}
}

// validateEditors checks web.editors: user names as basic auth can send them.
func (c *Config) validateEditors(p *problems) {
	for i, name := range c.Web.Editors {
		key := fmt.Sprintf("web.editors[%d]", i)
		switch {
		case strings.TrimSpace(name) == "":
			p.add(key, "must be a user name of the web config's basic_auth_users, not empty")
		case strings.TrimSpace(name) != name:
			p.add(key, "%q has leading or trailing spaces, which no user name of the web config has", name)
		case strings.Contains(name, ":"):
			p.add(key, "%q contains a colon, which basic auth cannot send in a user name", name)
		}
	}
}

func (c *Config) validateMQTT(p *problems, getenv func(string) string) {
	m := &c.MQTT
	u, err := url.Parse(m.Broker)
	switch {
	case err != nil || u.Host == "":
		p.add("mqtt.broker", "%q is not a URL like tcp://host:1883", redactURL(m.Broker))
	case u.User != nil:
		p.add("mqtt.broker", "credentials in the URL are not allowed: set mqtt.username and mqtt.password_file (or %s)", EnvMQTTPassword)
	case !brokerurl.Known(u.Scheme):
		p.add("mqtt.broker", "scheme %q not supported (want one of %v)", u.Scheme, brokerurl.Schemes())
	case m.TLS.isSet() && !brokerurl.TLS(u.Scheme):
		p.add("mqtt.tls", "is set but %s:// does not use TLS; use ssl:// (or tls://, mqtts://) or wss://", u.Scheme)
	}
	if m.ClientID == "" || len(m.ClientID) > 65535 {
		p.add("mqtt.client_id", "must be set: the broker keeps the persistent session by it")
	}
	if len(m.Topics) == 0 {
		p.add("mqtt.topics", "at least one topic filter is needed")
	}
	for i, t := range m.Topics {
		if !validFilter(t) {
			p.add(fmt.Sprintf("mqtt.topics[%d]", i), "%q is not a valid MQTT topic filter", t)
		}
	}
	if !strings.Contains(m.TopicTemplate, "{station}") {
		p.add("mqtt.topic_template", "%q must contain {station}", m.TopicTemplate)
	}
	switch {
	case m.QoS == 0:
		// A message is acknowledged only once its data is durable (docs/decisions/0001). At QoS
		// 0 the broker gets no acknowledgement and keeps nothing: a message in flight when
		// quantrac stops or disconnects is lost for good.
		p.add("mqtt.qos", "0 is refused: QoS 0 has no acknowledgement, so a message in flight when quantrac "+
			"restarts or loses the broker is lost for good; use 1 or 2")
	case m.QoS < 0 || m.QoS > 2:
		p.add("mqtt.qos", "%d is not an MQTT QoS quantrac accepts (1 or 2)", m.QoS)
	}
	if m.MaxInflight < 1 {
		p.add("mqtt.max_inflight", "must be at least 1")
	}
	validateFormats(p, m.Formats)
	validateTLS(p, "mqtt.tls", m.TLS)
	m.Password = resolveSecret(p, "mqtt.password_file", m.PasswordFile, EnvMQTTPassword, getenv)
	if m.PasswordFile != "" && m.Username == "" {
		// paho sends a password only with a username: it would be silently unused.
		p.add("mqtt.password_file", "is set but mqtt.username is empty")
	}
}

// validateFormats checks mqtt.formats: valid filters and formats, and no two filters that
// can match one topic with as many literal levels each. Where several filters match a topic
// the one with more literal levels wins; a tie would leave the choice to chance.
func validateFormats(p *problems, formats map[string]string) {
	filters := slices.Sorted(maps.Keys(formats))
	for i, filter := range filters {
		if !validFilter(filter) {
			p.add("mqtt.formats", "%q is not a valid MQTT topic filter", filter)
			continue
		}
		if _, err := payload.ParseFormat(formats[filter]); err != nil {
			p.add("mqtt.formats", "format %q for %q: %v", formats[filter], filter, err)
		}
		for _, other := range filters[i+1:] {
			if !validFilter(other) || literalLevels(filter) != literalLevels(other) {
				continue
			}
			if topic, ok := commonTopic(filter, other); ok {
				p.add("mqtt.formats", "filters %q and %q both match topic %q with %d literal levels each: "+
					"which format applies would be left to chance; make one more specific", filter, other, topic, literalLevels(filter))
			}
		}
	}
}

// literalLevels counts the levels of a topic filter that are neither + nor #.
func literalLevels(filter string) int {
	n := 0
	for level := range strings.SplitSeq(filter, "/") {
		if level != "+" && level != "#" {
			n++
		}
	}
	return n
}

// commonTopic returns a topic that both filters match, if there is one ("x" stands for a
// level + leaves free).
func commonTopic(a, b string) (string, bool) {
	la, lb := strings.Split(a, "/"), strings.Split(b, "/")
	var topic []string
	for i := 0; ; i++ {
		switch {
		case i < len(la) && la[i] == "#":
			return joinTopic(topic, lb[min(i, len(lb)):]), true
		case i < len(lb) && lb[i] == "#":
			return joinTopic(topic, la[min(i, len(la)):]), true
		case i == len(la) || i == len(lb):
			// Both end here, or one goes on without # (a/# matching a is the case above).
			return joinTopic(topic, nil), len(la) == len(lb)
		case la[i] == "+":
			topic = append(topic, lb[i])
		case lb[i] == "+" || la[i] == lb[i]:
			topic = append(topic, la[i])
		default:
			return "", false
		}
	}
}

// joinTopic joins the topic levels found so far with the rest of a filter, + and # written
// as "x".
func joinTopic(topic, rest []string) string {
	for _, l := range rest {
		if l == "#" {
			break
		}
		if l == "+" {
			l = "x"
		}
		topic = append(topic, l)
	}
	for i, l := range topic {
		if l == "+" {
			topic[i] = "x"
		}
	}
	return strings.Join(topic, "/")
}

func (c *Config) validateInflux(p *problems, getenv func(string) string) {
	in := &c.Influx
	switch u, err := url.Parse(in.URL); {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		p.add("influx.url", "%q is not an http:// or https:// URL", redactURL(in.URL))
	case u.User != nil:
		p.add("influx.url", "credentials in the URL are not allowed: set influx.token_file (or %s)", EnvInfluxToken)
	case in.TLS.isSet() && u.Scheme != "https":
		p.add("influx.tls", "is set but the URL is http://; use https://")
	}
	if in.Bucket == "" {
		p.add("influx.bucket", `must be set ("db/rp" on InfluxDB 1.8, the bucket name on 2.x/3.x)`)
	}
	if in.BatchSize < 1 || in.BatchSize > 1_000_000 {
		p.add("influx.batch_size", "%d out of range (1..1000000)", in.BatchSize)
	}
	if in.FlushInterval < time.Millisecond || in.FlushInterval > time.Minute {
		p.add("influx.flush_interval", "%v out of range (1ms..1m)", in.FlushInterval)
	}
	if in.Timeout < time.Second {
		p.add("influx.timeout", "%v is below 1s", in.Timeout)
	}
	validateTLS(p, "influx.tls", in.TLS)
	in.Token = resolveSecret(p, "influx.token_file", in.TokenFile, EnvInfluxToken, getenv)
}

func (c *Config) validateLimits(p *problems) {
	l := c.Limits
	if l.MaxPayloadBytes < 64 || l.MaxPayloadBytes > 256<<20 {
		p.add("limits.max_payload_bytes", "%d out of range (64..268435456)", l.MaxPayloadBytes)
	}
	if l.MaxFutureSkew < 0 || l.MaxFutureSkew > 24*time.Hour {
		p.add("limits.max_future_skew", "%v out of range (0..24h)", l.MaxFutureSkew)
	}
	if l.MaxAge < time.Hour {
		p.add("limits.max_age", "%v is below 1h", l.MaxAge)
	}
	if l.CloseDelay < time.Minute || l.CloseDelay > 24*time.Hour {
		p.add("limits.close_delay", "%v out of range (1m..24h)", l.CloseDelay)
	}
	if l.MaxReadings < 1 {
		p.add("limits.max_readings", "must be at least 1")
	}
	if l.MaxArray < 1 {
		p.add("limits.max_array", "must be at least 1")
	}
}

func validateTLS(p *problems, key string, t TLS) {
	for _, f := range []struct{ name, path string }{{"ca_file", t.CAFile}, {"cert_file", t.CertFile}, {"key_file", t.KeyFile}} {
		if f.path == "" {
			continue
		}
		info, err := os.Stat(f.path)
		switch {
		case err != nil:
			p.add(key+"."+f.name, "%v", unwrapPathError(err))
		case f.name == "key_file":
			// A client certificate's private key is a credential like a password.
			if why := openToOthers(f.path, info.Mode()); why != "" {
				p.add(key+".key_file", "%s", why)
			}
		}
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		p.add(key, "cert_file and key_file go together")
	}
}

// isSet reports whether any TLS setting is given.
func (t TLS) isSet() bool { return t != TLS{} }

// redactURL hides the password of a URL, even one that does not parse, for error messages.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil && u.Host != "" {
		return u.Redacted()
	}
	if j := strings.LastIndexByte(s, '@'); j >= 0 {
		start := 0
		if i := strings.Index(s, "://"); i >= 0 && i < j {
			start = i + 3
		}
		return s[:start] + "xxxxx" + s[j:]
	}
	return s
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Path, pe.Err)
	}
	return err
}

// validFilter reports whether f is an MQTT topic filter (MQTT 3.1.1 §4.7).
func validFilter(f string) bool {
	if f == "" || strings.ContainsRune(f, 0) {
		return false
	}
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if l == "#" && i != len(levels)-1 {
			return false
		}
		if strings.ContainsAny(l, "+#") && len(l) > 1 {
			return false
		}
	}
	return true
}
