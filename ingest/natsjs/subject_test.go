package natsjs

import (
	"testing"

	"github.com/quantrac/quantrac"
)

func TestTopicSubjectRoundTrip(t *testing.T) {
	for _, c := range []struct{ topic, subject string }{
		{"stations/LC-AQ-01/air", "stations.LC-AQ-01.air"},
		{"stations/LC.AQ.01/air", "stations.LC//AQ//01.air"},
		{"stations/x/status", "stations.x.status"},
		{"/a", "/.a"},
		{"a//b", "a./.b"},
		{"a/", "a./"},
		{"stations/LC AQ/air", "stations.LC/20AQ.air"},
		{"stations/a\tb\x7f/air", "stations.a/09b/7F.air"},
		{"stations/*/air", "stations./2A.air"},
		{"stations/>", "stations./3E"},
		{"a*b/>c", "a*b.>c"},
		{"a/ ", "a./20"},
		{" /", "/20./"},
	} {
		got, err := TopicToSubject(c.topic)
		if err != nil || got != c.subject {
			t.Errorf("TopicToSubject(%q) = %q, %v; want %q", c.topic, got, err, c.subject)
		}
		if back := SubjectToTopic(c.subject); back != c.topic {
			t.Errorf("SubjectToTopic(%q) = %q, want %q", c.subject, back, c.topic)
		}
	}
	for _, bad := range []string{"", "a/+/b", "a/#"} {
		if _, err := TopicToSubject(bad); err == nil {
			t.Errorf("TopicToSubject(%q) accepted", bad)
		}
	}
}

func TestPartitioningFor(t *testing.T) {
	p, err := PartitioningFor("stations/{station}/{kind}", 16)
	if err != nil {
		t.Fatal(err)
	}
	if p.Filter != "stations.*.*" || p.StationWildcard != 1 {
		t.Errorf("partitioning = %+v", p)
	}
	if tr := p.Transform(); tr != "{{Partition(16,1)}}.stations.{{Wildcard(1)}}.{{Wildcard(2)}}" {
		t.Errorf("transform = %s", tr)
	}
	if st := p.stationOf("stations.LC//AQ.air"); st != "LC.AQ" {
		t.Errorf("stationOf = %q", st)
	}
	q, err := PartitioningFor("laichau/{kind}/{station}", 4)
	if err != nil || q.Filter != "laichau.*.*" || q.StationWildcard != 2 {
		t.Errorf("partitioning = %+v, %v", q, err)
	}
	if _, err := PartitioningFor("stations/{kind}", 4); err == nil {
		t.Error("a template without {station} accepted")
	}
}

func BenchmarkPartitionOf(b *testing.B) {
	p, _ := PartitioningFor("stations/{station}/{kind}", 16)
	o := owner{part: p}
	b.ReportAllocs()
	for b.Loop() {
		_ = o.partitionOf("stations.LC-AQ-01.air")
	}
}

// Every station is owned by exactly one partition (its id's), and one that can publish under
// an alias in another partition is rebuilt there too.
func TestStationsOfPartitions(t *testing.T) {
	reg, err := quantrac.ParseRegistry([]byte(`stations:
  - {id: A-1, kind: air, location: {lat: 1, lon: 1}}
  - {id: B.2, kind: air, location: {lat: 1, lon: 1}}
  - {id: C-3, kind: air, location: {lat: 1, lon: 1}, aliases: [CCC3]}
  - {id: D-4, kind: wastewater, location: {lat: 1, lon: 1}}
`), "stations.yaml", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := PartitioningFor("stations/{station}/{kind}", 4)
	seen := map[string]int{}
	for part := range 4 {
		owned, byAlias := p.Stations(reg, []int{part})
		for _, id := range owned {
			seen[id]++
			if p.Partition(id) != part {
				t.Errorf("%s owned by partition %d, hashes to %d", id, part, p.Partition(id))
			}
		}
		for _, id := range byAlias {
			if id != "C-3" || p.Partition("CCC3") != part {
				t.Errorf("partition %d rebuilds %s by alias", part, id)
			}
		}
	}
	for _, id := range []string{"A-1", "B.2", "C-3", "D-4"} {
		if seen[id] != 1 {
			t.Errorf("%s owned by %d partitions, want 1", id, seen[id])
		}
	}
	if p.Partition("B.2") != hashPartition("B//2", 4) {
		t.Error("a dotted id is not hashed as its subject token")
	}
}
