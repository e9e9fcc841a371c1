package natsjs

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/quantrac/quantrac"
)

// Partitioning is how the stream's messages are split over the consumer group's partitions:
// by station, with the server's partition subject-transform function, so that one station's
// messages always land in one partition, in order.
type Partitioning struct {
	// Filter is the NATS subject filter of station messages, the topic template with every
	// variable level a wildcard: "stations.*.*" for "stations/{station}/{kind}".
	Filter string
	// StationWildcard is the 1-based index of the station's '*' among Filter's wildcards:
	// the transform's partition key, {{Partition(N, StationWildcard)}}.
	StationWildcard int
	// Partitions is N.
	Partitions int
}

// PartitioningFor derives the partitioning from the MQTT topic template
// ("stations/{station}/{kind}") and the number of partitions.
func PartitioningFor(template string, partitions int) (Partitioning, error) {
	if partitions < 1 {
		return Partitioning{}, fmt.Errorf("partitions must be at least 1, not %d", partitions)
	}
	p := Partitioning{Partitions: partitions}
	levels := strings.Split(template, "/")
	toks := make([]string, len(levels))
	wildcards := 0
	for i, l := range levels {
		if strings.HasPrefix(l, "{") && strings.HasSuffix(l, "}") {
			wildcards++
			toks[i] = "*"
			if l == "{station}" {
				p.StationWildcard = wildcards
			}
			continue
		}
		s, err := TopicToSubject(l)
		if err != nil || l == "" || strings.ContainsAny(l, "{}") {
			return Partitioning{}, fmt.Errorf("topic template %q: level %q cannot be a NATS subject token", template, l)
		}
		toks[i] = s
	}
	if p.StationWildcard == 0 {
		return Partitioning{}, fmt.Errorf("topic template %q has no {station} level", template)
	}
	p.Filter = strings.Join(toks, ".")
	return p, nil
}

// Transform is the subject-transform destination the consumer group's stream applies:
// "{{Partition(16,1)}}.stations.{{Wildcard(1)}}.{{Wildcard(2)}}" (pcgroups builds it the
// same way from Filter and StationWildcard).
func (p Partitioning) Transform() string {
	toks := strings.Split(p.Filter, ".")
	w := 0
	for i, t := range toks {
		if t == "*" {
			w++
			toks[i] = fmt.Sprintf("{{Wildcard(%d)}}", w)
		}
	}
	return fmt.Sprintf("{{Partition(%d,%d)}}.%s", p.Partitions, p.StationWildcard, strings.Join(toks, "."))
}

// Partition returns the partition of a station id as it appears in its MQTT topic. It is the
// server's partition function (nats-server server/subject_transform.go, getHashPartition:
// FNV-1a 32 of the key tokens, modulo N), applied to the station's subject token (a '.' in
// an id is "//" in the subject).
func (p Partitioning) Partition(station string) int {
	tok, err := TopicToSubject(station)
	if err != nil {
		tok = station
	}
	return hashPartition(tok, p.Partitions)
}

func hashPartition(key string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// Stations returns, in registry order, the ids of the registry's stations whose messages
// land in one of the given partitions (owned), and of the other stations one of whose
// aliases does (byAlias): a station may publish under an alias (the registry accepts one in
// a topic), and such messages are in the alias's partition. Rebuild both; a station that
// publishes under two names is evaluated by two owners — give each station one topic.
func (p Partitioning) Stations(reg *quantrac.Registry, partitions []int) (owned, byAlias []string) {
	for _, st := range reg.Stations() {
		if slices.Contains(partitions, p.Partition(st.ID)) {
			owned = append(owned, st.ID)
			continue
		}
		for _, a := range st.Aliases {
			if slices.Contains(partitions, p.Partition(a)) {
				byAlias = append(byAlias, st.ID)
				break
			}
		}
	}
	return owned, byAlias
}

// stationOf returns the station level of a subject matching Filter ("" when it does not).
func (p Partitioning) stationOf(subject string) string {
	toks := strings.Split(subject, ".")
	w := 0
	for i, f := range strings.Split(p.Filter, ".") {
		if i >= len(toks) {
			return ""
		}
		if f == "*" {
			if w++; w == p.StationWildcard {
				return SubjectToTopic(toks[i])
			}
		}
	}
	return ""
}
