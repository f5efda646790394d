package openim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// readYAML reads the first YAML document of data: its root node (for the
// lines of its keys; nil for an empty file), its values when the root is a
// mapping (aliases and merge keys expanded, as the server's loader reads
// them), and how many documents follow the first.
func readYAML(data []byte) (root *yaml.Node, values map[string]any, extra int, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, 0, nil
		}
		return nil, nil, 0, err
	}
	for {
		var n yaml.Node
		// The server's loader reads the first document only, and parses no
		// further: a later one, broken or not, is only counted.
		if dec.Decode(&n) != nil {
			break
		}
		extra++
	}
	if len(doc.Content) == 0 {
		return nil, nil, extra, nil
	}
	root = doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil, extra, nil
	}
	if resolve(root).Kind != yaml.MappingNode {
		return root, nil, extra, nil
	}
	if err := root.Decode(&values); err != nil {
		return nil, nil, 0, err
	}
	return root, values, extra, nil
}

// resolve follows an alias to the node it names.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// keyLines maps the keys of the root mapping (by their text) and of the
// mappings under them ("key\x00field") to the line each is written on. A
// field that a merge key (<<) brings in has no line of its own.
func keyLines(root *yaml.Node) map[string]int {
	lines := map[string]int{}
	m := resolve(root)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolve(m.Content[i+1])
		lines[k.Value] = k.Line
		if v == nil || v.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(v.Content); j += 2 {
			lines[k.Value+"\x00"+v.Content[j].Value] = v.Content[j].Line
		}
	}
	return lines
}

// yamlKey is a key as written, folded to lower case as the server's loader
// folds it, and its line.
type yamlKey struct {
	raw, folded string
	line        int
}

// foldKeys lists a mapping's keys in the file's order. Two keys that differ
// only in case are one key for the server's loader, which then takes one of
// the two values, and which one is not defined: that is an error. parent
// names the enclosing key of a nested mapping (its line stands for keys a
// merge brought in).
func foldKeys(m map[string]any, lines map[string]int, name string, parent ...string) ([]yamlKey, error) {
	var keys []yamlKey
	for raw := range m {
		line, ok := 0, false
		if len(parent) > 0 {
			line, ok = lines[parent[0]+"\x00"+raw]
			if !ok {
				line = lines[parent[0]]
			}
		} else {
			line = lines[raw]
		}
		keys = append(keys, yamlKey{raw: raw, folded: strings.ToLower(raw), line: line})
	}
	slices.SortFunc(keys, func(a, b yamlKey) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return strings.Compare(a.raw, b.raw)
	})
	seen := map[string]yamlKey{}
	for _, k := range keys {
		if o, dup := seen[k.folded]; dup {
			where := ""
			if len(parent) > 0 {
				where = parent[0] + "."
			}
			return nil, fmt.Errorf("%s:%d: %s%s and %s%s (line %d) are one key for OpenIM Server, whose config loader reads keys case-insensitively, and which of the two values it takes is not defined; keep one", name, k.line, where, k.raw, where, o.raw, o.line)
		}
		seen[k.folded] = k
	}
	return keys, nil
}

// nodeKind names a node's kind for a message.
func nodeKind(n *yaml.Node) string {
	switch resolve(n).Kind {
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.MappingNode:
		return "a mapping"
	}
	return "the scalar " + strconv.Quote(n.Value)
}

// valueKind names a decoded value's kind for a message.
func valueKind(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "a mapping"
	case []any:
		return "a sequence"
	case string:
		return "the string " + strconv.Quote(v)
	}
	return fmt.Sprintf("the value %v", v)
}

// weakBool reads a boolean as the server's decoder does, weakly typed: a
// boolean, a number (not 0 is true), a string strconv.ParseBool reads ("" is
// false), or nothing (false, the zero value).
func weakBool(v any) (bool, error) {
	switch v := v.(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	case int:
		return v != 0, nil
	case uint64:
		return v != 0, nil
	case float64:
		return v != 0, nil
	case string:
		if v == "" {
			return false, nil
		}
		if b, err := strconv.ParseBool(v); err == nil {
			return b, nil
		}
		return false, fmt.Errorf("expected true or false, found %q (the server fails to load the file)", v)
	}
	return false, fmt.Errorf("expected true or false, found %s (the server fails to load the file)", valueKind(v))
}

// weakInt reads a whole number of seconds as the server's decoder does,
// weakly typed: a number (a fraction is cut off, which note says), a
// boolean (1 or 0), a string strconv.ParseInt reads in any base ("" is 0),
// or nothing (0).
func weakInt(v any) (n int64, note string, err error) {
	switch v := v.(type) {
	case nil:
		return 0, "", nil
	case int:
		return int64(v), "", nil
	case uint64:
		if v > math.MaxInt64 {
			return 0, "", fmt.Errorf("expected a whole number of seconds, found %d, too large", v)
		}
		return int64(v), "", nil
	case float64:
		if math.IsNaN(v) || math.Abs(v) > math.MaxInt64 {
			return 0, "", fmt.Errorf("expected a whole number of seconds, found %v", v)
		}
		if v != math.Trunc(v) {
			note = fmt.Sprintf("%v is read as %d: the server's decoder cuts the fraction off", v, int64(v))
		}
		return int64(v), note, nil
	case bool:
		if v {
			return 1, "true is read as 1 second", nil
		}
		return 0, "", nil
	case string:
		if v == "" {
			return 0, "", nil
		}
		if n, err := strconv.ParseInt(v, 0, 64); err == nil {
			return n, "", nil
		}
		return 0, "", fmt.Errorf("expected a whole number of seconds, found %q (the server fails to load the file)", v)
	}
	return 0, "", fmt.Errorf("expected a whole number of seconds, found %s (the server fails to load the file)", valueKind(v))
}
