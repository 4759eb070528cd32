package sigma

import (
	_ "embed"
	"os"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

//go:embed logsources.yml
var defaultMappingsYAML string

// Mappings say where the events named by Sigma logsources are found and
// under which field names. A rule's logsource resolves to one or more
// EventSources (alternatives: the rule applies to an event that any of them
// accepts), each with its own field renames.
type Mappings struct {
	Sources []*SourceMapping
	// Fields renames field names for every rule, such as the Elastic Common
	// Schema's process.command_line to Windows' CommandLine.
	Fields map[string]string
	// StripPrefixes are removed from a rule's field names first, such as
	// Winlogbeat's winlog.event_data.
	StripPrefixes []string
}

// SourceMapping maps one logsource (its category, product and service, any
// of which may be empty) to event sources.
type SourceMapping struct {
	Category string
	Product  string
	Service  string
	Events   []EventSource
	Pos      Pos
}

// EventSource is a predicate on an event's routing keys, plus the field
// renames that apply to events it accepts. An empty list accepts anything;
// strings compare case-insensitively.
type EventSource struct {
	Channels  []string
	Providers []string
	EventIDs  []int
	// Fields maps a rule's field name to the event's, such as Image to
	// NewProcessName for Security event 4688.
	Fields map[string]string
}

// String renders the source for messages, such as
// "Security/Microsoft-Windows-Security-Auditing/4688".
func (s EventSource) String() string {
	join := func(l []string) string {
		if len(l) == 0 {
			return "*"
		}
		return strings.Join(l, "|")
	}
	ids := make([]string, len(s.EventIDs))
	for i, id := range s.EventIDs {
		ids[i] = strconv.Itoa(id)
	}
	return join(s.Channels) + "/" + join(s.Providers) + "/" + join(ids)
}

// DefaultMappings returns Breakwater's built-in mappings for Windows event
// logs (Sysmon, Security, PowerShell, Defender and the other services
// SigmaHQ's rules use) and Elastic Common Schema field names. Each call
// returns a new value the caller may change.
func DefaultMappings() *Mappings {
	m, err := ParseMappings("logsources.yml", []byte(defaultMappingsYAML))
	if err != nil {
		// The file is part of this package and tested; this cannot happen.
		panic("sigma: built-in logsource mappings: " + err.Error())
	}
	return m
}

// LoadMappings reads a mappings file.
func LoadMappings(name string) (*Mappings, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return ParseMappings(name, src)
}

// ParseMappings parses a mappings file (see the package documentation for
// the format). The error, when not nil, is an ErrorList.
func ParseMappings(filename string, src []byte) (*Mappings, error) {
	p := mappingParser{file: filename}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, ErrorList{{Pos: yamlErrPos(filename, err), Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}}
	}
	m := &Mappings{Fields: map[string]string{}}
	if len(doc.Content) == 0 {
		return m, nil
	}
	root := p.deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		p.errs.Add(p.pos(root), "a mappings file must be a mapping with logsources, fields and strip-prefixes")
		return nil, p.errs
	}
	seen := map[string]Pos{}
	for _, kv := range p.entries(root) {
		switch kv.key.Value {
		case "fields":
			p.stringMap(kv.val, m.Fields)
		case "strip-prefixes":
			m.StripPrefixes = p.stringList(kv.val)
		case "logsources":
			if kv.val.Kind != yaml.SequenceNode {
				p.errs.Add(p.pos(kv.val), "logsources must be a list")
				continue
			}
			for _, c := range kv.val.Content {
				sm := p.source(p.deref(c))
				if sm == nil {
					continue
				}
				key := sm.key()
				if prev, dup := seen[key]; dup {
					p.errs.Addf(sm.Pos, "logsource %s mapped twice (first at %s)", sm.name(), prev)
					continue
				}
				seen[key] = sm.Pos
				m.Sources = append(m.Sources, sm)
			}
		default:
			p.errs.Addf(p.pos(kv.key), "unknown key %q (want logsources, fields or strip-prefixes)", kv.key.Value)
		}
	}
	if err := p.errs.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

func (sm *SourceMapping) key() string {
	return strings.ToLower(sm.Category + "\x00" + sm.Product + "\x00" + sm.Service)
}

func (sm *SourceMapping) name() string {
	return LogSource{Category: sm.Category, Product: sm.Product, Service: sm.Service}.String()
}

// Merge returns mappings made of m and over: a logsource that over maps
// replaces m's mapping of the same logsource, field renames of over replace
// m's, and prefixes are added.
func (m *Mappings) Merge(over *Mappings) *Mappings {
	out := &Mappings{Fields: map[string]string{}}
	if over == nil {
		over = &Mappings{}
	}
	replaced := map[string]bool{}
	for _, s := range over.Sources {
		replaced[s.key()] = true
	}
	for _, s := range m.Sources {
		if !replaced[s.key()] {
			out.Sources = append(out.Sources, s)
		}
	}
	out.Sources = append(out.Sources, over.Sources...)
	for k, v := range m.Fields {
		out.Fields[k] = v
	}
	for k, v := range over.Fields {
		out.Fields[k] = v
	}
	out.StripPrefixes = append(append([]string(nil), m.StripPrefixes...), over.StripPrefixes...)
	return out
}

// Resolve returns the event sources of a logsource. A logsource no mapping
// names is unmapped: it resolves to one source whose channel is the
// logsource's own name, product/category/service without the empty parts
// (for example "linux/process_creation" or "zeek/dns"), so that it matches
// only events whose reader puts that name in the channel, and never a
// Windows event. The rule stays usable for such readers.
//
// A mapping applies when its category and service equal the logsource's
// and its product is empty or equal; failing that, a logsource with both a
// category and a service takes the mappings of its category alone. When
// mappings with and without a product apply, those with one win.
func (m *Mappings) Resolve(ls LogSource) (sources []EventSource, mapped bool) {
	if ls.Category == "" && ls.Product == "" && ls.Service == "" {
		return []EventSource{{}}, true
	}
	find := func(service string) []*SourceMapping {
		var out []*SourceMapping
		withProduct := false
		for _, s := range m.Sources {
			if !strings.EqualFold(s.Category, ls.Category) || !strings.EqualFold(s.Service, service) {
				continue
			}
			if s.Product != "" && !strings.EqualFold(s.Product, ls.Product) {
				continue
			}
			out = append(out, s)
			withProduct = withProduct || s.Product != ""
		}
		if withProduct {
			kept := out[:0]
			for _, s := range out {
				if s.Product != "" {
					kept = append(kept, s)
				}
			}
			out = kept
		}
		return out
	}
	found := find(ls.Service)
	if len(found) == 0 && ls.Category != "" && ls.Service != "" {
		found = find("")
	}
	for _, s := range found {
		sources = append(sources, s.Events...)
	}
	if len(sources) == 0 {
		return []EventSource{{Channels: []string{ls.String()}}}, false
	}
	return sources, true
}

// FieldName maps a rule's field name through the prefixes and renames that
// apply to every rule.
func (m *Mappings) FieldName(name string) string {
	for _, p := range m.StripPrefixes {
		if len(name) > len(p) && strings.HasPrefix(name, p) {
			name = name[len(p):]
			break
		}
	}
	if to, ok := m.Fields[name]; ok {
		return to
	}
	return name
}

// mappingParser reads a mappings file from YAML nodes. It supports YAML
// merge keys (<<), which keep repeated sources short.
type mappingParser struct {
	file string
	errs ErrorList
}

func (p *mappingParser) pos(n *yaml.Node) Pos { return Pos{File: p.file, Line: n.Line, Col: n.Column} }

func (p *mappingParser) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n == nil {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	return n
}

// entries returns a mapping's entries with merge keys resolved: explicit
// keys win over merged ones.
func (p *mappingParser) entries(n *yaml.Node) []keyed {
	var own, merged []keyed
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := p.deref(n.Content[i]), p.deref(n.Content[i+1])
		if k.Value == "<<" && k.Style == 0 {
			srcs := []*yaml.Node{v}
			if v.Kind == yaml.SequenceNode {
				srcs = nil
				for _, c := range v.Content {
					srcs = append(srcs, p.deref(c))
				}
			}
			for _, s := range srcs {
				if s.Kind != yaml.MappingNode {
					p.errs.Add(p.pos(s), "a merge key (<<) needs a mapping")
					continue
				}
				merged = append(merged, p.entries(s)...)
			}
			continue
		}
		own = append(own, keyed{key: k, val: v})
	}
	out := own
	for _, m := range merged {
		dup := false
		for _, o := range own {
			dup = dup || o.key.Value == m.key.Value
		}
		if !dup {
			out = append(out, m)
		}
	}
	return out
}

func (p *mappingParser) stringList(n *yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return nil
		}
		return []string{n.Value}
	case yaml.SequenceNode:
		var out []string
		for _, c := range n.Content {
			c = p.deref(c)
			if c.Kind != yaml.ScalarNode {
				p.errs.Add(p.pos(c), "expected a string")
				continue
			}
			out = append(out, c.Value)
		}
		return out
	}
	p.errs.Add(p.pos(n), "expected a string or a list of strings")
	return nil
}

func (p *mappingParser) stringMap(n *yaml.Node, into map[string]string) {
	if n.Kind != yaml.MappingNode {
		p.errs.Add(p.pos(n), "expected a mapping of field names")
		return
	}
	for _, kv := range p.entries(n) {
		if kv.val.Kind != yaml.ScalarNode || kv.val.Value == "" {
			p.errs.Addf(p.pos(kv.val), "field %q must map to a field name", kv.key.Value)
			continue
		}
		into[kv.key.Value] = kv.val.Value
	}
}

func (p *mappingParser) source(n *yaml.Node) *SourceMapping {
	if n.Kind != yaml.MappingNode {
		p.errs.Add(p.pos(n), "a logsource mapping must be a mapping")
		return nil
	}
	sm := &SourceMapping{Pos: p.pos(n)}
	hasEvents := false
	for _, kv := range p.entries(n) {
		switch kv.key.Value {
		case "category":
			sm.Category = kv.val.Value
		case "product":
			sm.Product = kv.val.Value
		case "service":
			sm.Service = kv.val.Value
		case "events":
			hasEvents = true
			if kv.val.Kind != yaml.SequenceNode {
				p.errs.Add(p.pos(kv.val), "events must be a list")
				continue
			}
			for _, c := range kv.val.Content {
				if es, ok := p.eventSource(p.deref(c)); ok {
					sm.Events = append(sm.Events, es)
				}
			}
		default:
			p.errs.Addf(p.pos(kv.key), "unknown key %q (want category, product, service or events)", kv.key.Value)
		}
	}
	if sm.Category == "" && sm.Product == "" && sm.Service == "" {
		p.errs.Add(sm.Pos, "a logsource mapping needs a category, product or service")
		return nil
	}
	if !hasEvents {
		p.errs.Add(sm.Pos, "a logsource mapping needs events")
		return nil
	}
	return sm
}

func (p *mappingParser) eventSource(n *yaml.Node) (EventSource, bool) {
	var es EventSource
	if n.Kind != yaml.MappingNode {
		p.errs.Add(p.pos(n), "an event source must be a mapping of channel, provider, eventid and fields")
		return es, false
	}
	for _, kv := range p.entries(n) {
		switch kv.key.Value {
		case "channel":
			es.Channels = p.stringList(kv.val)
		case "provider":
			es.Providers = p.stringList(kv.val)
		case "eventid":
			for _, s := range p.stringList(kv.val) {
				id, err := strconv.Atoi(s)
				if err != nil || id < 0 || id > 65535 {
					p.errs.Addf(p.pos(kv.val), "event id %q is not a number from 0 to 65535", s)
					continue
				}
				es.EventIDs = append(es.EventIDs, id)
			}
		case "fields":
			es.Fields = map[string]string{}
			p.stringMap(kv.val, es.Fields)
		default:
			p.errs.Addf(p.pos(kv.key), "unknown key %q (want channel, provider, eventid or fields)", kv.key.Value)
		}
	}
	return es, true
}
