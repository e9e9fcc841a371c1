package natsjs

import (
	"strings"
	"testing"
)

// FuzzTopicSubject: every topic name the conversion accepts comes back from its subject
// unchanged (the source routes by the topic the station published), and the subject is one
// NATS accepts (no whitespace, no wildcards, no empty token).
func FuzzTopicSubject(f *testing.F) {
	for _, s := range []string{"stations/LC-AQ-01/air", "stations/LC.AQ.01/air", "/a", "a//b", "a/", "./", "a/.b", "//", "x", "a b/*/>", "/20", "a/ /", "\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		subject, err := TopicToSubject(topic)
		if err != nil {
			return
		}
		if back := SubjectToTopic(subject); back != topic {
			t.Fatalf("topic %q → subject %q → topic %q", topic, subject, back)
		}
		if strings.ContainsAny(subject, " \t\r\n\f\x7f") {
			t.Fatalf("subject %q of topic %q has whitespace or DEL", subject, topic)
		}
		for _, tok := range strings.Split(subject, ".") {
			if tok == "" || tok == "*" || tok == ">" {
				t.Fatalf("subject %q of topic %q has an empty or wildcard token", subject, topic)
			}
		}
	})
}
