package ingest

import (
	"strings"
	"sync"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/eclipse/paho.mqtt.golang/packets"
)

// sessionStore is paho's in-memory session store without the QoS 1 messages received. paho
// keeps each in the store until its PUBACK is sent and, when it resumes a session, discards
// any it finds (client.resume: only PUBREL is valid inbound), so storing them bought nothing
// and cost a formatted key lookup, a map insert and a delete per message. QoS 2 messages,
// PUBRELs and what quantrac sends (SUBSCRIBE) are stored as before.
type sessionStore struct {
	*mqtt.MemoryStore
	mu      *sync.Mutex
	inbound map[string]bool // the received packets stored
}

func newSessionStore() sessionStore {
	return sessionStore{MemoryStore: mqtt.NewMemoryStore(), mu: new(sync.Mutex), inbound: map[string]bool{}}
}

// inboundPrefix is how paho names the store keys of received packets ("i.<message id>").
const inboundPrefix = "i."

// Put stores m unless it is a QoS 1 message received.
func (s sessionStore) Put(key string, m packets.ControlPacket) {
	if strings.HasPrefix(key, inboundPrefix) {
		if p, ok := m.(*packets.PublishPacket); ok && p.Qos == 1 {
			return
		}
		s.mu.Lock()
		s.inbound[key] = true
		s.mu.Unlock()
	}
	s.MemoryStore.Put(key, m)
}

// Del deletes key if it is stored: after each PUBACK paho deletes the message Put left out.
func (s sessionStore) Del(key string) {
	if strings.HasPrefix(key, inboundPrefix) {
		s.mu.Lock()
		stored := s.inbound[key]
		delete(s.inbound, key)
		s.mu.Unlock()
		if !stored {
			return
		}
	}
	s.MemoryStore.Del(key)
}

// Reset empties the store (paho: a clean session).
func (s sessionStore) Reset() {
	s.mu.Lock()
	clear(s.inbound)
	s.mu.Unlock()
	s.MemoryStore.Reset()
}
