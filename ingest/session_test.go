package ingest

import (
	"testing"

	"github.com/eclipse/paho.mqtt.golang/packets"
)

func publish(qos byte, id uint16) *packets.PublishPacket {
	p := packets.NewControlPacket(packets.Publish).(*packets.PublishPacket)
	p.Qos, p.MessageID, p.TopicName = qos, id, "stations/S/air"
	return p
}

// The store leaves out received QoS 1 messages only: what paho needs on a resumed session
// (QoS 2 state, pending SUBSCRIBEs) is stored and deleted as paho asks.
func TestSessionStore(t *testing.T) {
	s := newSessionStore()
	s.Open()
	defer s.Close()
	s.Put("i.1", publish(1, 1))
	s.Put("i.2", publish(2, 2))
	sub := packets.NewControlPacket(packets.Subscribe).(*packets.SubscribePacket)
	sub.MessageID = 3
	s.Put("o.3", sub)
	if got := len(s.All()); got != 2 {
		t.Fatalf("%d packets stored (%v), want 2: the QoS 2 message and the SUBSCRIBE", got, s.All())
	}
	if s.Get("i.2") == nil || s.Get("o.3") == nil {
		t.Fatal("QoS 2 message or SUBSCRIBE not stored")
	}
	s.Del("i.1") // its PUBACK: nothing stored, nothing to do
	s.Del("i.2")
	s.Del("o.3")
	if got := s.All(); len(got) != 0 {
		t.Fatalf("left in the store: %v", got)
	}
	s.Put("i.4", publish(2, 4))
	s.Reset()
	if len(s.All()) != 0 || len(s.inbound) != 0 {
		t.Fatal("Reset left packets")
	}
}
