package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Limits of the loader: rule files are small; anything far beyond these is
// a mistake or an attack.
const (
	maxFileSize  = 16 << 20  // bytes per rule file
	maxDocNodes  = 1_000_000 // YAML nodes visited per document, aliases expanded
	maxDocuments = 10_000    // documents per file
)

// Parse parses the YAML documents of one rule file. It returns every
// document it could read, even when some are unusable; the error, when not
// nil, is an ErrorList with one entry per problem found, and each unusable
// document carries its own reason in its Err field.
func Parse(filename string, src []byte) (*Collection, error) {
	var l loader
	l.file = filename
	l.parseFile(src)
	return &l.coll, l.errs.Err()
}

// LoadFile reads and parses one rule file.
func LoadFile(name string) (*Collection, error) {
	src, err := readLimited(func() (io.ReadCloser, error) { return os.Open(name) })
	if err != nil {
		return &Collection{}, ErrorList{{Pos: Pos{File: name}, Msg: err.Error(), Err: err}}
	}
	return Parse(name, src)
}

// LoadDir parses every .yml and .yaml file under dir, recursively, in
// lexical order.
func LoadDir(dir string) (*Collection, error) {
	return loadTree(os.DirFS(dir), ".", dir, true)
}

// LoadFS parses every .yml and .yaml file under root in fsys (for example an
// embedded rule pack), in lexical order.
func LoadFS(fsys fs.FS, root string) (*Collection, error) {
	return loadTree(fsys, root, "", false)
}

// Load parses rule files and folders of rule files.
func Load(paths ...string) (*Collection, error) {
	var all Collection
	var errs ErrorList
	for _, p := range paths {
		var c *Collection
		var err error
		if fi, serr := os.Stat(p); serr == nil && fi.IsDir() {
			c, err = LoadDir(p)
		} else {
			c, err = LoadFile(p)
		}
		all.Add(c)
		errs.Append(err)
	}
	return &all, errs.Err()
}

func loadTree(fsys fs.FS, root, prefix string, osPath bool) (*Collection, error) {
	var all Collection
	var errs ErrorList
	display := func(p string) string {
		if prefix == "" {
			return p
		}
		if osPath {
			return filepath.Join(prefix, filepath.FromSlash(p))
		}
		return path.Join(prefix, p)
	}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, &Error{Pos: Pos{File: display(p)}, Msg: err.Error(), Err: err})
			return nil
		}
		if d.IsDir() {
			return nil
		}
		ext := strings.ToLower(path.Ext(p))
		if ext != ".yml" && ext != ".yaml" {
			return nil
		}
		name := display(p)
		src, rerr := readLimited(func() (io.ReadCloser, error) { return fsys.Open(p) })
		if rerr != nil {
			errs = append(errs, &Error{Pos: Pos{File: name}, Msg: rerr.Error(), Err: rerr})
			return nil
		}
		c, perr := Parse(name, src)
		all.Add(c)
		errs.Append(perr)
		return nil
	})
	if err != nil {
		errs = append(errs, &Error{Pos: Pos{File: display(root)}, Msg: err.Error(), Err: err})
	}
	return &all, errs.Err()
}

// readLimited reads a file of at most maxFileSize bytes.
func readLimited(open func() (io.ReadCloser, error)) ([]byte, error) {
	f, err := open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > maxFileSize {
		return nil, fmt.Errorf("file larger than %d bytes", maxFileSize)
	}
	return src, nil
}

// loader turns YAML nodes into documents, collecting errors.
type loader struct {
	file   string
	coll   Collection
	errs   ErrorList
	budget int    // nodes left to visit in the current document
	doc    string // ident of the current document, for messages
	docErr error  // first error of the current document
}

// docError is the panic value with which the loader abandons a document
// that exceeds its node budget; it is recovered per document.
type docError struct{ err *Error }

func (l *loader) pos(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: l.file}
	}
	return Pos{File: l.file, Line: n.Line, Col: n.Column}
}

// errorf records an error of the current document at a node.
func (l *loader) errorf(n *yaml.Node, sentinel error, format string, args ...any) {
	l.errorAt(l.pos(n), sentinel, format, args...)
}

// errorAt records an error of the current document at a position.
func (l *loader) errorAt(pos Pos, sentinel error, format string, args ...any) {
	e := &Error{Pos: pos, Rule: l.doc, Msg: fmt.Sprintf(format, args...), Err: sentinel}
	l.errs = append(l.errs, e)
	if l.docErr == nil {
		l.docErr = e
	}
}

func (l *loader) parseFile(src []byte) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for n := 0; ; n++ {
		if n >= maxDocuments {
			l.errs = append(l.errs, &Error{Pos: Pos{File: l.file}, Msg: fmt.Sprintf("more than %d documents", maxDocuments), Err: ErrLimit})
			return
		}
		var doc yaml.Node
		err := safeDecode(dec, &doc)
		if err == io.EOF {
			return
		}
		if err != nil {
			// The YAML stream is broken from here on: report it as an
			// unusable rule so that counts of rules include it.
			e := &Error{Pos: yamlErrPos(l.file, err), Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
			l.errs = append(l.errs, e)
			l.coll.Rules = append(l.coll.Rules, &Rule{Meta: Meta{Pos: e.Pos}, Err: e})
			return
		}
		l.document(&doc)
	}
}

// safeDecode decodes one document, turning a panic of the YAML library into
// an error: rule files are untrusted input and must never crash the caller.
func safeDecode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

// yamlErrPos extracts "line N" from a YAML library error.
func yamlErrPos(file string, err error) Pos {
	msg := err.Error()
	if i := strings.Index(msg, "line "); i >= 0 {
		j := i + 5
		for j < len(msg) && msg[j] >= '0' && msg[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(msg[i+5 : j]); err == nil {
			return Pos{File: file, Line: n}
		}
	}
	return Pos{File: file}
}

func (l *loader) document(doc *yaml.Node) {
	l.budget, l.doc, l.docErr = maxDocNodes, "", nil
	root := doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return
		}
		root = root.Content[0]
	}
	root = l.deref(root)
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return // an empty document, such as after a trailing "---"
	}
	defer func() {
		if r := recover(); r != nil {
			de, ok := r.(docError)
			if !ok {
				panic(r)
			}
			l.errs = append(l.errs, de.err)
			l.coll.Rules = append(l.coll.Rules, &Rule{Meta: Meta{Pos: de.err.Pos, Title: l.doc}, Err: de.err})
		}
	}()
	if root.Kind != yaml.MappingNode {
		l.errorf(root, nil, "a Sigma document must be a mapping, not %s", kindName(root))
		l.coll.Rules = append(l.coll.Rules, &Rule{Meta: Meta{Pos: l.pos(root)}, Err: l.docErr})
		return
	}
	keys := l.mapping(root, "document")
	var meta Meta
	meta.Pos = l.pos(root)
	if n := keys["id"]; n != nil {
		l.doc = l.scalar(n, "id")
	}
	if l.doc == "" && keys["title"] != nil {
		l.doc = l.scalar(keys["title"], "title")
	}
	l.meta(&meta, keys)
	if keys["action"] != nil {
		l.errorf(keys["action"].key, ErrUnsupported, "Sigma 1 rule collections (action: %s) are not supported; write one document per rule", l.scalar(keys["action"], "action"))
	}
	switch {
	case keys["correlation"] != nil:
		c := &Correlation{Meta: meta}
		l.correlation(c, keys)
		c.Err = l.docErr
		l.coll.Correlations = append(l.coll.Correlations, c)
	case keys["filter"] != nil:
		f := &Filter{Meta: meta}
		l.filter(f, keys)
		f.Err = l.docErr
		l.coll.Filters = append(l.coll.Filters, f)
	default:
		r := &Rule{Meta: meta}
		l.rule(r, keys, root)
		r.Err = l.docErr
		l.coll.Rules = append(l.coll.Rules, r)
	}
}

// keyed is a mapping value together with its key node, for positions.
type keyed struct {
	key *yaml.Node
	val *yaml.Node
}

// mapping returns the entries of a mapping node by key, reporting
// duplicate and non-scalar keys.
func (l *loader) mapping(n *yaml.Node, what string) map[string]*keyed {
	out := make(map[string]*keyed, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := l.deref(n.Content[i]), l.deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			l.errorf(k, nil, "%s keys must be strings", what)
			continue
		}
		if prev, dup := out[k.Value]; dup {
			l.errorf(k, nil, "duplicate key %q in %s (first at line %d)", k.Value, what, prev.key.Line)
			continue
		}
		out[k.Value] = &keyed{key: k, val: v}
	}
	return out
}

// orderedKeys returns a mapping's entries in document order.
func (l *loader) orderedKeys(n *yaml.Node) []keyed {
	var out []keyed
	for i := 0; i+1 < len(n.Content); i += 2 {
		out = append(out, keyed{key: l.deref(n.Content[i]), val: l.deref(n.Content[i+1])})
	}
	return out
}

// deref follows YAML aliases and charges the node budget, which bounds the
// work an alias bomb can cause.
func (l *loader) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n == nil {
		n = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	}
	l.budget--
	if l.budget < 0 {
		panic(docError{&Error{Pos: l.pos(n), Rule: l.doc, Msg: fmt.Sprintf("document has more than %d YAML nodes (with aliases expanded)", maxDocNodes), Err: ErrLimit}})
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return "a scalar"
	}
	return "an unknown node"
}

func (l *loader) scalar(k *keyed, what string) string {
	if k == nil {
		return ""
	}
	if k.val.Kind != yaml.ScalarNode {
		l.errorf(k.val, nil, "%s must be a string, not %s", what, kindName(k.val))
		return ""
	}
	if k.val.ShortTag() == "!!null" {
		return ""
	}
	return k.val.Value
}

// strings reads a list of strings; a single string is accepted as a list of
// one, as many rules write it that way.
func (l *loader) strings(k *keyed, what string) []string {
	if k == nil {
		return nil
	}
	switch k.val.Kind {
	case yaml.ScalarNode:
		if k.val.ShortTag() == "!!null" {
			return nil
		}
		return []string{k.val.Value}
	case yaml.SequenceNode:
		var out []string
		for _, c := range k.val.Content {
			c = l.deref(c)
			if c.Kind != yaml.ScalarNode {
				l.errorf(c, nil, "%s must be a list of strings", what)
				continue
			}
			out = append(out, c.Value)
		}
		return out
	}
	l.errorf(k.val, nil, "%s must be a list of strings, not %s", what, kindName(k.val))
	return nil
}

func (l *loader) meta(m *Meta, keys map[string]*keyed) {
	m.Title = l.scalar(keys["title"], "title")
	m.ID = l.scalar(keys["id"], "id")
	m.Name = l.scalar(keys["name"], "name")
	m.Status = l.scalar(keys["status"], "status")
	m.Description = l.scalar(keys["description"], "description")
	m.Author = l.scalar(keys["author"], "author")
	m.License = l.scalar(keys["license"], "license")
	m.Date = l.scalar(keys["date"], "date")
	m.Modified = l.scalar(keys["modified"], "modified")
	m.References = l.strings(keys["references"], "references")
	m.FalsePositives = l.strings(keys["falsepositives"], "falsepositives")
	m.Tags = l.strings(keys["tags"], "tags")
	if lv := keys["level"]; lv != nil {
		if s := l.scalar(lv, "level"); s != "" {
			level, err := ParseLevel(s)
			if err != nil {
				l.errorf(lv.val, nil, "%v", err)
			}
			m.Level = level
		}
	}
	if rel := keys["related"]; rel != nil {
		if rel.val.Kind != yaml.SequenceNode {
			l.errorf(rel.val, nil, "related must be a list")
		} else {
			for _, c := range rel.val.Content {
				c = l.deref(c)
				if c.Kind != yaml.MappingNode {
					l.errorf(c, nil, "related entries must be mappings with id and type")
					continue
				}
				rk := l.mapping(c, "related entry")
				m.Related = append(m.Related, Related{ID: l.scalar(rk["id"], "related id"), Type: l.scalar(rk["type"], "related type")})
			}
		}
	}
}

func (l *loader) logsource(root *yaml.Node, keys map[string]*keyed, required bool) LogSource {
	k := keys["logsource"]
	if k == nil {
		if required {
			l.errorf(root, nil, "rule has no logsource")
		}
		return LogSource{}
	}
	if k.val.Kind != yaml.MappingNode {
		l.errorf(k.val, nil, "logsource must be a mapping, not %s", kindName(k.val))
		return LogSource{}
	}
	lk := l.mapping(k.val, "logsource")
	return LogSource{
		Category:   l.scalar(lk["category"], "logsource category"),
		Product:    l.scalar(lk["product"], "logsource product"),
		Service:    l.scalar(lk["service"], "logsource service"),
		Definition: l.scalar(lk["definition"], "logsource definition"),
	}
}

func (l *loader) rule(r *Rule, keys map[string]*keyed, root *yaml.Node) {
	if r.Title == "" {
		l.errorf(root, nil, "rule has no title")
	}
	r.LogSource = l.logsource(root, keys, true)
	r.Fields = l.strings(keys["fields"], "fields")
	r.Scope = l.strings(keys["scope"], "scope")
	det := keys["detection"]
	if det == nil {
		l.errorf(root, nil, "rule has no detection")
		return
	}
	if det.val.Kind != yaml.MappingNode {
		l.errorf(det.val, nil, "detection must be a mapping, not %s", kindName(det.val))
		return
	}
	r.Detection = l.detection(det.val, nil)
}

// detection reads a detection mapping. Keys listed in skip (such as a
// filter's "rules") are not searches.
func (l *loader) detection(n *yaml.Node, skip map[string]bool) Detection {
	d := Detection{Pos: l.pos(n)}
	var condNodes []*yaml.Node
	seen := map[string]bool{}
	for _, kv := range l.orderedKeys(n) {
		if kv.key.Kind != yaml.ScalarNode {
			l.errorf(kv.key, nil, "detection keys must be strings")
			continue
		}
		name := kv.key.Value
		if skip[name] {
			continue
		}
		if seen[name] {
			l.errorf(kv.key, nil, "duplicate search identifier %q", name)
			continue
		}
		seen[name] = true
		switch name {
		case "condition":
			switch kv.val.Kind {
			case yaml.ScalarNode:
				condNodes = append(condNodes, kv.val)
			case yaml.SequenceNode:
				for _, c := range kv.val.Content {
					c = l.deref(c)
					if c.Kind != yaml.ScalarNode {
						l.errorf(c, nil, "conditions must be strings")
						continue
					}
					condNodes = append(condNodes, c)
				}
			default:
				l.errorf(kv.val, nil, "condition must be a string or a list of strings")
			}
		case "timeframe":
			d.Timeframe = kv.val.Value
		default:
			if s := l.search(kv.key, kv.val); s != nil {
				d.Searches = append(d.Searches, s)
			}
		}
	}
	if len(condNodes) == 0 {
		l.errorf(n, nil, "detection has no condition")
	}
	for _, cn := range condNodes {
		c := &Condition{Text: cn.Value, Pos: l.pos(cn)}
		expr, err := ParseCondition(cn.Value)
		if err != nil {
			var ce *ConditionError
			if errors.As(err, &ce) {
				l.errorAt(conditionPos(l.file, cn, ce.Offset), nil, "condition: %s", ce.Msg)
			} else {
				l.errorf(cn, nil, "%v", err)
			}
		} else {
			c.Expr = expr
			l.checkCondition(&d, cn, expr)
		}
		d.Conditions = append(d.Conditions, c)
	}
	return d
}

// conditionPos maps an offset in a condition's text to a file position. It
// is exact for single-line plain and quoted scalars, the usual case.
func conditionPos(file string, n *yaml.Node, off int) Pos {
	p := Pos{File: file, Line: n.Line, Col: n.Column}
	if strings.ContainsAny(n.Value, "\n") || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return p
	}
	if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle) != 0 {
		p.Col++
	}
	p.Col += off
	return p
}

// checkCondition verifies that every identifier and pattern of a condition
// names at least one search.
func (l *loader) checkCondition(d *Detection, cn *yaml.Node, expr Node) {
	var walk func(Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *Ident:
			if d.Search(n.Name) == nil {
				l.errorAt(conditionPos(l.file, cn, n.NamePos), nil, "condition refers to undefined search identifier %q", n.Name)
			}
		case *OfExpr:
			if len(expandOf(d, n)) == 0 {
				what := "them"
				if n.Pattern != "" {
					what = fmt.Sprintf("pattern %q", n.Pattern)
				}
				l.errorAt(conditionPos(l.file, cn, n.PatternPos), nil, "condition: %s matches no search identifier", what)
			}
		case *NotExpr:
			walk(n.X)
		case *BinaryExpr:
			walk(n.X)
			walk(n.Y)
		case *ParenExpr:
			walk(n.X)
		}
	}
	walk(expr)
}

// expandOf returns the searches an "x of" expression covers. "them" covers
// every search whose name does not start with an underscore; a pattern
// covers the searches it matches, and also excludes underscore names unless
// the pattern itself starts with an underscore.
func expandOf(d *Detection, n *OfExpr) []*Search {
	var out []*Search
	for _, s := range d.Searches {
		if strings.HasPrefix(s.Name, "_") && !strings.HasPrefix(n.Pattern, "_") {
			continue
		}
		if n.Pattern == "" || matchPattern(n.Pattern, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

// search reads one search identifier's value.
func (l *loader) search(key, n *yaml.Node) *Search {
	s := &Search{Name: key.Value, Pos: l.pos(key)}
	switch n.Kind {
	case yaml.MappingNode:
		if g := l.group(n); g != nil {
			s.Groups = append(s.Groups, g)
		}
	case yaml.SequenceNode:
		if len(n.Content) == 0 {
			l.errorf(n, nil, "search %q is an empty list", s.Name)
		}
		// Consecutive plain values form one keyword search (an OR of them).
		var kw *FieldMatch
		for _, c := range n.Content {
			c = l.deref(c)
			switch c.Kind {
			case yaml.MappingNode:
				kw = nil
				if g := l.group(c); g != nil {
					s.Groups = append(s.Groups, g)
				}
			case yaml.ScalarNode:
				v, ok := l.value(c, false)
				if !ok {
					continue
				}
				if kw == nil {
					kw = &FieldMatch{Pos: l.pos(c)}
					s.Groups = append(s.Groups, []*FieldMatch{kw})
				}
				kw.Values = append(kw.Values, v)
			default:
				l.errorf(c, nil, "search %q: a list may hold values or mappings, not %s", s.Name, kindName(c))
			}
		}
	case yaml.ScalarNode:
		if v, ok := l.value(n, false); ok {
			s.Groups = append(s.Groups, []*FieldMatch{{Pos: l.pos(n), Values: []Value{v}}})
		}
	default:
		l.errorf(n, nil, "search %q must be a mapping or a list", s.Name)
	}
	return s
}

// group reads a mapping of field matches (an AND).
func (l *loader) group(n *yaml.Node) []*FieldMatch {
	var g []*FieldMatch
	seen := map[string]int{}
	for _, kv := range l.orderedKeys(n) {
		if kv.key.Kind != yaml.ScalarNode {
			l.errorf(kv.key, nil, "field names must be strings")
			continue
		}
		if line, dup := seen[kv.key.Value]; dup {
			l.errorf(kv.key, nil, "duplicate field %q in one mapping (first at line %d): the second would silently replace the first", kv.key.Value, line)
			continue
		}
		seen[kv.key.Value] = kv.key.Line
		fm := l.fieldMatch(kv.key, kv.val)
		if fm != nil {
			g = append(g, fm)
		}
	}
	if len(g) == 0 && len(n.Content) == 0 {
		l.errorf(n, nil, "empty mapping in a search")
	}
	return g
}

func (l *loader) fieldMatch(key, val *yaml.Node) *FieldMatch {
	parts := strings.Split(key.Value, "|")
	fm := &FieldMatch{Field: parts[0], Pos: l.pos(key)}
	for _, m := range parts[1:] {
		fm.Modifiers = append(fm.Modifiers, m)
	}
	if err := checkModifiers(fm.Modifiers); err != nil {
		l.errorf(key, errors.Unwrap(err), "%s: %v", key.Value, err)
	}
	switch val.Kind {
	case yaml.ScalarNode:
		if v, ok := l.value(val, true); ok {
			fm.Values = append(fm.Values, v)
		}
	case yaml.SequenceNode:
		if len(val.Content) == 0 {
			l.errorf(val, nil, "%s: empty list of values", key.Value)
		}
		for _, c := range val.Content {
			c = l.deref(c)
			if c.Kind != yaml.ScalarNode {
				l.errorf(c, nil, "%s: values must be plain values, not %s", key.Value, kindName(c))
				continue
			}
			if v, ok := l.value(c, true); ok {
				fm.Values = append(fm.Values, v)
			}
		}
	default:
		l.errorf(val, nil, "%s: value must be a value or a list of values, not %s", key.Value, kindName(val))
	}
	if err := checkValues(fm); err != nil {
		l.errorf(key, errors.Unwrap(err), "%s: %v", key.Value, err)
	}
	return fm
}

// value converts a scalar node into a detection value.
func (l *loader) value(n *yaml.Node, nullOK bool) (Value, bool) {
	v := Value{Text: n.Value, Pos: l.pos(n)}
	switch n.ShortTag() {
	case "!!null":
		if !nullOK {
			l.errorf(n, nil, "null is not a keyword")
			return v, false
		}
		v.Kind, v.Text = NullValue, ""
	case "!!bool":
		v.Kind = BoolValue
		v.Text = strings.ToLower(n.Value)
	case "!!int", "!!float":
		v.Kind = NumberValue
	default:
		v.Kind = StringValue
	}
	return v, true
}

func (l *loader) correlation(c *Correlation, keys map[string]*keyed) {
	k := keys["correlation"]
	if k.val.Kind != yaml.MappingNode {
		l.errorf(k.val, nil, "correlation must be a mapping, not %s", kindName(k.val))
		return
	}
	ck := l.mapping(k.val, "correlation")
	typ := l.scalar(ck["type"], "correlation type")
	c.Type = CorrelationType(typ)
	known := false
	for _, t := range correlationTypes {
		known = known || t == c.Type
	}
	switch {
	case typ == "":
		l.errorf(k.val, nil, "correlation has no type")
	case !known:
		l.errorf(ck["type"].val, ErrUnsupported, "unknown correlation type %q", typ)
	}
	c.Rules = l.strings(ck["rules"], "correlation rules")
	if len(c.Rules) == 0 {
		l.errorf(k.val, nil, "correlation names no rules")
	}
	c.GroupBy = l.strings(ck["group-by"], "group-by")
	if ts := ck["timespan"]; ts == nil {
		l.errorf(k.val, nil, "correlation has no timespan")
	} else {
		d, err := parseTimespan(l.scalar(ts, "timespan"))
		if err != nil {
			l.errorf(ts.val, nil, "%v", err)
		}
		c.Timespan = d
	}
	c.Field = l.scalar(ck["field"], "field")
	if p := ck["percentile"]; p != nil {
		c.Percentile = l.number(p, "percentile")
	}
	if cond := ck["condition"]; cond != nil {
		if cond.val.Kind != yaml.MappingNode {
			l.errorf(cond.val, nil, "correlation condition must be a mapping such as {gte: 10}")
		} else {
			for _, kv := range l.orderedKeys(cond.val) {
				switch op := kv.key.Value; op {
				case "gt", "gte", "lt", "lte", "eq", "neq":
					c.Condition = append(c.Condition, Threshold{Op: op, Value: l.number(&kv, op)})
				case "field":
					c.Field = l.scalar(&kv, "field")
				case "percentile":
					c.Percentile = l.number(&kv, "percentile")
				default:
					l.errorf(kv.key, nil, "unknown correlation condition %q (want gt, gte, lt, lte, eq, neq or field)", op)
				}
			}
		}
	}
	switch c.Type {
	case EventCount, ValueCount, ValueSum, ValueAvg, ValuePercentile:
		if len(c.Condition) == 0 {
			l.errorf(k.val, nil, "%s correlation needs a condition", c.Type)
		}
	}
	switch c.Type {
	case ValueCount, ValueSum, ValueAvg, ValuePercentile:
		if c.Field == "" {
			l.errorf(k.val, nil, "%s correlation needs a field", c.Type)
		}
	}
	if al := ck["aliases"]; al != nil {
		if al.val.Kind != yaml.MappingNode {
			l.errorf(al.val, nil, "aliases must be a mapping")
		} else {
			c.Aliases = map[string]map[string]string{}
			for _, kv := range l.orderedKeys(al.val) {
				if kv.val.Kind != yaml.MappingNode {
					l.errorf(kv.val, nil, "alias %q must map rule names to field names", kv.key.Value)
					continue
				}
				m := map[string]string{}
				for _, rf := range l.orderedKeys(kv.val) {
					m[rf.key.Value] = l.scalar(&rf, "alias field")
				}
				c.Aliases[kv.key.Value] = m
			}
		}
	}
	gen := ck["generate"]
	if gen == nil {
		gen = keys["generate"]
	}
	if gen != nil {
		b, err := strconv.ParseBool(l.scalar(gen, "generate"))
		if err != nil {
			l.errorf(gen.val, nil, "generate must be true or false")
		}
		c.Generate = b
	}
}

func (l *loader) number(k *keyed, what string) float64 {
	s := l.scalar(k, what)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		l.errorf(k.val, nil, "%s must be a number, not %q", what, s)
	}
	return f
}

// parseTimespan parses a correlation timespan: a positive number followed
// by s, m, h, d or w.
func parseTimespan(s string) (time.Duration, error) {
	if len(s) < 2 {
		return 0, fmt.Errorf("invalid timespan %q (want a number and s, m, h, d or w, such as 5m)", s)
	}
	n, err := strconv.ParseUint(s[:len(s)-1], 10, 32)
	var unit time.Duration
	switch s[len(s)-1] {
	case 's':
		unit = time.Second
	case 'm':
		unit = time.Minute
	case 'h':
		unit = time.Hour
	case 'd':
		unit = 24 * time.Hour
	case 'w':
		unit = 7 * 24 * time.Hour
	}
	if err != nil || unit == 0 || n == 0 || n > 100*365*24*3600 || time.Duration(n) > (1<<62)/unit {
		return 0, fmt.Errorf("invalid timespan %q (want a number and s, m, h, d or w, such as 5m)", s)
	}
	return time.Duration(n) * unit, nil
}

func (l *loader) filter(f *Filter, keys map[string]*keyed) {
	f.LogSource = l.logsource(nil, keys, false)
	k := keys["filter"]
	if k.val.Kind != yaml.MappingNode {
		l.errorf(k.val, nil, "filter must be a mapping, not %s", kindName(k.val))
		return
	}
	fk := l.mapping(k.val, "filter")
	f.Rules = l.strings(fk["rules"], "filter rules")
	if len(f.Rules) == 0 {
		l.errorf(k.val, nil, "filter names no rules")
	}
	f.Detection = l.detection(k.val, map[string]bool{"rules": true})
}
