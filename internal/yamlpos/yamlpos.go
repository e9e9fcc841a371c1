// Package yamlpos finds where keys are in a YAML document, so that configuration errors can
// name the file's line: the registry's stations, a regulation's limits, the config's keys.
package yamlpos

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// SequenceLines returns the line of each entry of the sequence at the top-level key of data
// (nil when data does not parse or has no such key).
func SequenceLines(data []byte, key string) []int {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return nil
	}
	root := doc.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			var lines []int
			for _, n := range root.Content[i+1].Content {
				lines = append(lines, n.Line)
			}
			return lines
		}
	}
	return nil
}

// Line returns the line of a dotted key (mqtt.tls.ca_file, rules.files[0]) in doc: of its
// deepest part found, 0 when none is.
func Line(doc *yaml.Node, key string) int {
	if doc == nil || len(doc.Content) == 0 {
		return 0
	}
	n := doc.Content[0]
	line := 0
	for _, part := range strings.Split(key, ".") {
		name, idx := part, -1
		if i := strings.IndexByte(part, '['); i >= 0 {
			name = part[:i]
			_, _ = fmt.Sscanf(part[i:], "[%d]", &idx) // no index: idx stays -1
		}
		next := (*yaml.Node)(nil)
		for i := 0; n.Kind == yaml.MappingNode && i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == name {
				line, next = n.Content[i].Line, n.Content[i+1]
			}
		}
		if next == nil {
			return line
		}
		n = next
		if idx >= 0 && n.Kind == yaml.SequenceNode && idx < len(n.Content) {
			n = n.Content[idx]
			line = n.Line
		}
	}
	return line
}
