package sigma

import (
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// LoadPlaceholders reads a placeholder file (see ParsePlaceholders).
func LoadPlaceholders(name string) (map[string][]string, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return ParsePlaceholders(name, src)
}

// ParsePlaceholders parses the values of placeholders for the expand
// modifier: a YAML mapping from placeholder name (without percent signs) to
// a value or a list of values, which may use Sigma wildcards:
//
//	Administrators: ['adm_*', 'Administrator']
//	DomainControllers: DC01
//
// The error, when not nil, is an ErrorList.
func ParsePlaceholders(filename string, src []byte) (map[string][]string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, ErrorList{{Pos: yamlErrPos(filename, err), Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	out := map[string][]string{}
	if len(doc.Content) == 0 {
		return out, nil
	}
	p := mappingParser{file: filename}
	root := p.deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		p.errs.Add(p.pos(root), "a placeholder file must map names to values")
		return nil, p.errs
	}
	for _, kv := range p.entries(root) {
		name := strings.Trim(kv.key.Value, "%")
		if name == "" {
			p.errs.Add(p.pos(kv.key), "empty placeholder name")
			continue
		}
		out[name] = append(out[name], p.stringList(kv.val)...)
	}
	return out, p.errs.Err()
}
