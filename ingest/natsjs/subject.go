package natsjs

import (
	"fmt"
	"strings"
)

// The NATS server's MQTT listener turns an MQTT topic into a NATS subject, and back, with
// these rules (nats-server server/mqtt.go, mqttToNATSSubjectConversion and
// natsSubjectToMQTTTopic, v2.15.3): '/' separates levels and becomes '.', a '.' inside a
// level becomes "//", and an empty level becomes "/" ("/a" is "/.a", "a//b" is "a./.b").
// quantrac uses the same rules so that a station publishing MQTT to any node, through the
// relay, or a NATS client publishing the subject directly, all land on the same subject, and
// so that a message taken from the stream is routed by the same topic template as over MQTT.
//
// A topic the server's listener refuses but an MQTT broker such as Mosquitto accepts (one
// holding whitespace or DEL, or a level that is exactly "*" or ">", a NATS wildcard) is
// escaped instead, so that the relay can still carry it: the byte becomes '/' and two
// upper-case hex digits ("a b" is "a/20b", "*" is "/2A"). The listener never writes '/'
// before a hex digit, so the escape cannot be mistaken for its rules.

// TopicToSubject converts an MQTT topic name to the NATS subject the server's MQTT listener
// publishes it on, escaping what the listener would refuse (above). Only the empty topic and
// MQTT wildcards (+, #, not allowed in a topic name) are errors.
func TopicToSubject(topic string) (string, error) {
	if topic == "" {
		return "", fmt.Errorf("empty topic")
	}
	res := make([]byte, 0, len(topic)+4)
	for i := 0; i < len(topic); i++ {
		switch c := topic[i]; c {
		case '/':
			switch {
			case i == 0 || res[len(res)-1] == '.':
				res = append(res, '/', '.')
			case i == len(topic)-1 || topic[i+1] == '/':
				res = append(res, '.', '/')
			default:
				res = append(res, '.')
			}
		case '.':
			res = append(res, '/', '/')
		case ' ', '\t', '\n', '\r', '\f', 0x7f:
			res = append(res, '/', hexDigits[c>>4], hexDigits[c&15])
		case '*', '>':
			if (i == 0 || topic[i-1] == '/') && (i == len(topic)-1 || topic[i+1] == '/') {
				res = append(res, '/', hexDigits[c>>4], hexDigits[c&15])
			} else {
				res = append(res, c)
			}
		case '+', '#':
			return "", fmt.Errorf("topic %q: wildcards are not allowed in a topic name", topic)
		default:
			res = append(res, c)
		}
	}
	if res[len(res)-1] == '.' {
		res = append(res, '/')
	}
	return string(res), nil
}

const hexDigits = "0123456789ABCDEF"

// SubjectToTopic converts a NATS subject back to the MQTT topic it stands for.
func SubjectToTopic(subject string) string {
	if !strings.ContainsAny(subject, "./") {
		return subject
	}
	t := make([]byte, 0, len(subject))
	for i := 0; i < len(subject); i++ {
		switch c := subject[i]; c {
		case '/':
			if i < len(subject)-1 {
				switch subject[i+1] {
				case '.':
					t = append(t, '/')
					i++
				case '/':
					t = append(t, '.')
					i++
				default:
					if b, ok := unhex(subject[i+1:]); ok {
						t = append(t, b)
						i += 2
					}
				}
			}
		case '.':
			t = append(t, '/')
		default:
			t = append(t, c)
		}
	}
	return string(t)
}

// FilterToSubject converts an MQTT topic filter (+ and # wildcards) to a NATS subject filter
// (* and >), for the stream's subjects and the consumer group's partitioning filter.
func FilterToSubject(filter string) (string, error) {
	levels := strings.Split(filter, "/")
	out := make([]string, len(levels))
	for i, l := range levels {
		switch l {
		case "+":
			out[i] = "*"
		case "#":
			out[i] = ">"
		case "":
			return "", fmt.Errorf("filter %q: empty levels are not supported", filter)
		default:
			s, err := TopicToSubject(l)
			if err != nil {
				return "", err
			}
			out[i] = s
		}
	}
	return strings.Join(out, "."), nil
}

// unhex decodes the two upper-case hex digits that begin s.
func unhex(s string) (byte, bool) {
	if len(s) < 2 {
		return 0, false
	}
	hi, lo := strings.IndexByte(hexDigits, s[0]), strings.IndexByte(hexDigits, s[1])
	if hi < 0 || lo < 0 {
		return 0, false
	}
	return byte(hi<<4 | lo), true
}
