package sim

import (
	"math"
	"time"
)

// mix64 is the splitmix64 finaliser: a cheap, well-distributed 64-bit mixer.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// strHash is FNV-1a of s.
func strHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// hashOf combines the seed with any number of keys into 64 random-looking bits.
func hashOf(seed int64, keys ...uint64) uint64 {
	h := mix64(uint64(seed) ^ 0x9e3779b97f4a7c15)
	for _, k := range keys {
		h = mix64(h ^ k)
	}
	return h
}

// unit maps 64 bits to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// salts keep the different random decisions independent of each other.
const (
	saltLevel uint64 = iota + 0x51a7
	saltNoise
	saltEpisode
	saltEpisodeParam
	saltEpisodeLen
	saltEpisodeFactor
	saltBad
	saltBadKind
	saltCalibrate
	saltAltUnit
	saltVariant
	saltStation
	saltLocation
	saltStuck
	saltStuckLen
	saltStuckParam
	saltFault
	saltFaultKind
)

// noiseKnot is the spacing of the smooth noise: values drift over tens of minutes, as real
// concentrations do, instead of jumping at every record.
const noiseKnot = 20 * time.Minute

// smoothNoise returns a value in [0, 1) that changes smoothly with t: value noise with knots
// every noiseKnot, interpolated with a smoothstep.
func smoothNoise(seed int64, key uint64, t time.Time) float64 {
	ns := t.UnixNano()
	k := ns / int64(noiseKnot)
	if ns < 0 && ns%int64(noiseKnot) != 0 {
		k--
	}
	frac := float64(ns-k*int64(noiseKnot)) / float64(noiseKnot)
	a := unit(hashOf(seed, saltNoise, key, uint64(k)))
	b := unit(hashOf(seed, saltNoise, key, uint64(k+1)))
	s := frac * frac * (3 - 2*frac)
	return a + (b-a)*s
}

// bump is a Gaussian bump of width w (hours) centred on hour c, on the 24-hour circle.
func bump(h, c, w float64) float64 {
	d := math.Abs(h - c)
	if d > 12 {
		d = 24 - d
	}
	return math.Exp(-0.5 * (d / w) * (d / w))
}

// localHour returns the hour of day (0 ≤ h < 24, fractional) of t in loc.
func localHour(t time.Time, loc *time.Location) float64 {
	_, off := t.In(loc).Zone()
	sec := (t.Unix() + int64(off)) % 86400
	if sec < 0 {
		sec += 86400
	}
	return (float64(sec) + float64(t.Nanosecond())/1e9) / 3600
}
