package natsjs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/quantrac/quantrac/internal/retry"
	"github.com/synadia-io/orbit.go/pcgroups"
)

// StreamMaxAge is how long the stream keeps messages. The consumer group's own work-queue
// stream, sourced from it, holds every message until a member acknowledges it, for as long
// as that takes; the stream's copy is a window for audits and for re-sourcing, not the
// queue, so it is bounded by age.
const StreamMaxAge = 7 * 24 * time.Hour

// Layout is the stream and consumer group quantrac consumes: the stream Stream captures
// Subjects with Replicas replicas; the elastic consumer group Group sources it into its
// work-queue stream "<Stream>-<Group>", inserting the partition of each message's station
// as the first subject token (Partitioning.Transform), and hands each member its share of
// the partitions.
type Layout struct {
	Stream       string
	Subjects     []string
	Replicas     int
	Group        string
	Partitioning Partitioning
}

// GroupStream is the name of the consumer group's work-queue stream (pcgroups' naming).
func (l Layout) GroupStream() string { return l.Stream + "-" + l.Group }

// EnsureStream creates the stream, or checks that the existing one has the subjects and
// replicas asked for. It is idempotent and safe when several instances call it at once.
func EnsureStream(ctx context.Context, js jetstream.JetStream, l Layout) error {
	cfg := jetstream.StreamConfig{
		Name:       l.Stream,
		Subjects:   l.Subjects,
		Replicas:   l.Replicas,
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Discard:    jetstream.DiscardOld,
		MaxAge:     StreamMaxAge,
		Duplicates: 2 * time.Minute,
	}
	_, err := js.CreateStream(ctx, cfg)
	if err == nil {
		return nil
	}
	if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return fmt.Errorf("creating stream %s: %w", l.Stream, err)
	}
	s, err := js.Stream(ctx, l.Stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", l.Stream, err)
	}
	have := s.CachedInfo().Config
	switch {
	case !sameSet(have.Subjects, l.Subjects):
		return fmt.Errorf("%w: stream %s exists with subjects %v, not nats.subjects %v", ErrMismatch, l.Stream, have.Subjects, l.Subjects)
	case have.Replicas != l.Replicas:
		return fmt.Errorf("%w: stream %s exists with %d replicas, not nats.replicas %d", ErrMismatch, l.Stream, have.Replicas, l.Replicas)
	}
	return nil // other settings (age, limits) are the operator's to tune
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// EnsureGroup creates the elastic consumer group and its work-queue stream, or checks that
// the existing group partitions the same way. It is idempotent and safe when several
// instances call it at once.
func EnsureGroup(ctx context.Context, js jetstream.JetStream, l Layout) error {
	_, err := pcgroups.CreateElastic(ctx, js, l.Stream, l.Group, uint(l.Partitioning.Partitions), l.filters(), 0, 0)
	if err == nil {
		return nil
	}
	if have, gerr := pcgroups.GetElasticConsumerGroupConfig(ctx, js, l.Stream, l.Group); gerr == nil {
		if int(have.MaxMembers) != l.Partitioning.Partitions {
			return fmt.Errorf("%w: consumer group %s on %s exists with %d partitions, not nats.partitions %d (the number of partitions is fixed when the group is created)",
				ErrMismatch, l.Group, l.Stream, have.MaxMembers, l.Partitioning.Partitions)
		}
		if !slices.EqualFunc(have.PartitioningFilters, l.filters(), func(a, b pcgroups.PartitioningFilter) bool {
			return a.Filter == b.Filter && slices.Equal(a.PartitioningWildcards, b.PartitioningWildcards)
		}) {
			return fmt.Errorf("%w: consumer group %s on %s partitions %+v, not %s by station (mqtt.topic_template)", ErrMismatch, l.Group, l.Stream, have.PartitioningFilters, l.Partitioning.Filter)
		}
	}
	return fmt.Errorf("consumer group %s on %s: %w", l.Group, l.Stream, err)
}

func (l Layout) filters() []pcgroups.PartitioningFilter {
	return []pcgroups.PartitioningFilter{{Filter: l.Partitioning.Filter, PartitioningWildcards: []int{l.Partitioning.StationWildcard}}}
}

// ErrMismatch is the error of a stream or group that exists with other settings than the
// configuration's: retrying does not help, the operator must reconcile them.
var ErrMismatch = errors.New("the cluster's layout differs from the configuration")

// Init creates or checks the stream and the consumer group (`quantrac cluster init`, and
// every instance at start). Transient failures (a stream just created still electing its
// leader, a node restarting) are retried for up to a minute; a mismatch is returned at once.
func Init(ctx context.Context, js jetstream.JetStream, l Layout) error {
	return retryTransient(ctx, func() error {
		if err := EnsureStream(ctx, js, l); err != nil {
			return err
		}
		return EnsureGroup(ctx, js, l)
	})
}

// InitStream creates or checks the stream only (the relay: it publishes, the members own the
// group), retrying transient failures like Init.
func InitStream(ctx context.Context, js jetstream.JetStream, l Layout) error {
	return retryTransient(ctx, func() error { return EnsureStream(ctx, js, l) })
}

// retryTransient retries f for up to a minute unless it fails with ErrMismatch.
func retryTransient(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(time.Minute)
	b := retry.Backoff{First: 100 * time.Millisecond, Max: 2 * time.Second}
	for {
		err := f()
		if err == nil || errors.Is(err, ErrMismatch) || time.Now().After(deadline) {
			return err
		}
		if !retry.Wait(ctx, b.Next()) {
			return err
		}
	}
}

// SetMembers adds and drops members of the group (elastic: the partitions are redistributed
// over the new membership at once, and the members' instances follow within seconds). It
// returns the membership after the change. Concurrent changes are retried, so two
// instances joining at once both end up members.
func SetMembers(ctx context.Context, js jetstream.JetStream, l Layout, add, drop []string) ([]string, error) {
	var members []string
	err := retryConflicts(ctx, func() (err error) {
		if len(add) > 0 {
			if members, err = pcgroups.AddMembers(ctx, js, l.Stream, l.Group, add); err != nil {
				return err
			}
		}
		if len(drop) > 0 {
			members, err = pcgroups.DeleteMembers(ctx, js, l.Stream, l.Group, drop)
		}
		return err
	})
	slices.Sort(members)
	return members, err
}

// Join adds member to the group unless it is a member already.
func Join(ctx context.Context, js jetstream.JetStream, l Layout, member string) error {
	return retryTransient(ctx, func() error {
		cfg, err := pcgroups.GetElasticConsumerGroupConfig(ctx, js, l.Stream, l.Group)
		if err != nil {
			return fmt.Errorf("consumer group %s on %s: %w", l.Group, l.Stream, err)
		}
		if cfg.IsInMembership(member) {
			return nil
		}
		_, err = SetMembers(ctx, js, l, []string{member}, nil)
		return err
	})
}

// retryConflicts retries f while it fails because another client changed the group's
// configuration between its read and its write (the KV update's revision check).
func retryConflicts(ctx context.Context, f func() error) error {
	var err error
	for attempt := range 20 {
		if err = f(); err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			return err
		}
		if !retry.Wait(ctx, retry.Jitter(time.Duration(10+attempt*20)*time.Millisecond)) {
			return ctx.Err()
		}
	}
	return err
}

// Owned returns the partitions the group's configuration gives member, ascending.
func Owned(cfg *pcgroups.ElasticConsumerGroupConfig, member string) []int {
	var out []int
	for _, f := range pcgroups.ElasticGetPartitionFilters(*cfg, member) {
		var p int
		if _, err := fmt.Sscanf(f, "%d.", &p); err == nil {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}
