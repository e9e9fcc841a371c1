package rules

import (
	"testing"
	"unsafe"
)

// A station keeps a ruleState per limit (35 under QCVN 05:2023 and WHO 2021): 16 bytes more
// each are 5.6 MB at 10,000 stations.
func TestRuleStateSize(t *testing.T) {
	if size := unsafe.Sizeof(ruleState{}); size > 64 {
		t.Fatalf("a ruleState is %d bytes, want ≤ 64", size)
	}
}
