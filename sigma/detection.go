package sigma

// Detection is a rule's detection section as written: named searches and
// the condition that combines them. It is data; Compile turns it into a
// matcher.
type Detection struct {
	Searches   []*Search    // in document order
	Conditions []*Condition // several conditions are ORed
	Timeframe  string       // deprecated (Sigma 1), kept for information
	Pos        Pos
}

// Search returns the search with the given identifier, or nil.
func (d *Detection) Search(name string) *Search {
	for _, s := range d.Searches {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Search is one search identifier of a detection. It matches when any of its
// groups matches (a YAML list is an OR); a group matches when all of its
// field matches do (a YAML map is an AND).
type Search struct {
	Name   string
	Groups [][]*FieldMatch
	Pos    Pos
}

// FieldMatch is one "field|modifier|...: values" entry. An empty Field is a
// keyword search over every value of the event.
type FieldMatch struct {
	Field     string
	Modifiers []string
	Values    []Value
	Pos       Pos
}

// Keyword reports whether the match searches every field (no field name).
func (f *FieldMatch) Keyword() bool { return f.Field == "" }

// HasModifier reports whether the modifier is present.
func (f *FieldMatch) HasModifier(name string) bool {
	for _, m := range f.Modifiers {
		if m == name {
			return true
		}
	}
	return false
}

// Key renders the entry's key as written: "Field|mod1|mod2".
func (f *FieldMatch) Key() string {
	s := f.Field
	for _, m := range f.Modifiers {
		s += "|" + m
	}
	return s
}

// ValueKind is the YAML type of a value in a detection.
type ValueKind uint8

// Kinds of detection values.
const (
	StringValue ValueKind = iota
	NumberValue
	BoolValue
	NullValue
)

// Value is one value of a field match, with its text as written in the YAML
// source (a number keeps its spelling, such as 0x1F, so that it can be
// compared both as text and as a number).
type Value struct {
	Kind ValueKind
	Text string
	Pos  Pos
}

// Condition is one condition expression of a detection, parsed.
type Condition struct {
	Text string
	Pos  Pos  // where the text starts in the rule file
	Expr Node // nil when the text did not parse
}
