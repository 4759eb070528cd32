package sigma

import (
	"strconv"
	"strings"
)

// Node is a node of a parsed condition. Positions are byte offsets into the
// condition text. The interface is sealed: the node types below are all.
type Node interface {
	Pos() int
	String() string
	node()
}

// Ident names one search identifier.
type Ident struct {
	NamePos int
	Name    string
}

// OfExpr is "1 of pattern", "all of pattern", "1 of them" or "all of them".
type OfExpr struct {
	QuantPos   int
	Count      int    // how many must match; 0 means all
	Pattern    string // "" means them
	PatternPos int
}

// NotExpr is "not X".
type NotExpr struct {
	NotPos int
	X      Node
}

// BinaryExpr is "X and Y" or "X or Y".
type BinaryExpr struct {
	OpPos int
	Op    Token // AND or OR
	X, Y  Node
}

// ParenExpr is "( X )".
type ParenExpr struct {
	Lparen int
	X      Node
}

func (n *Ident) Pos() int      { return n.NamePos }
func (n *OfExpr) Pos() int     { return n.QuantPos }
func (n *NotExpr) Pos() int    { return n.NotPos }
func (n *BinaryExpr) Pos() int { return n.X.Pos() }
func (n *ParenExpr) Pos() int  { return n.Lparen }

func (*Ident) node()      {}
func (*OfExpr) node()     {}
func (*NotExpr) node()    {}
func (*BinaryExpr) node() {}
func (*ParenExpr) node()  {}

// String renders the node in canonical condition syntax.
func (n *Ident) String() string { return n.Name }

// String renders the node in canonical condition syntax.
func (n *OfExpr) String() string {
	q := "all"
	if n.Count > 0 {
		q = strconv.Itoa(n.Count)
	}
	p := n.Pattern
	if p == "" {
		p = "them"
	}
	return q + " of " + p
}

// String renders the node in canonical condition syntax.
func (n *NotExpr) String() string { return "not " + n.X.String() }

// String renders the node in canonical condition syntax.
func (n *BinaryExpr) String() string {
	return n.X.String() + " " + n.Op.String() + " " + n.Y.String()
}

// String renders the node in canonical condition syntax.
func (n *ParenExpr) String() string { return "(" + n.X.String() + ")" }

// matchPattern reports whether a search identifier matches an "x of"
// pattern, in which * stands for any run of characters.
func matchPattern(pattern, name string) bool {
	star := strings.IndexByte(pattern, '*')
	if star < 0 {
		return pattern == name
	}
	if !strings.HasPrefix(name, pattern[:star]) {
		return false
	}
	name = name[star:]
	pattern = pattern[star+1:]
	for {
		star = strings.IndexByte(pattern, '*')
		if star < 0 {
			return strings.HasSuffix(name, pattern)
		}
		i := strings.Index(name, pattern[:star])
		if i < 0 {
			return false
		}
		name = name[i+star:]
		pattern = pattern[star+1:]
	}
}
