package sigma

import (
	"fmt"
	"strconv"
)

// Limits of the condition language. Real conditions are a few dozen tokens
// deep at most; the caps keep a hostile rule from exhausting the stack or
// the CPU.
const (
	maxConditionLen = 4096 // bytes
	maxNestLevel    = 64   // parentheses and "not"s
	maxOfCount      = 1000 // largest N in "N of x"
)

// ConditionError is a syntax error in a condition, at a byte offset of its
// text.
type ConditionError struct {
	Offset int
	Msg    string
}

func (e *ConditionError) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

// bailout is the private panic value with which the parser abandons a
// condition at the first error; ParseCondition recovers it.
type bailout struct{ err *ConditionError }

type parser struct {
	sc   scanner
	tok  Token
	pos  int
	lit  string
	nest int
}

// ParseCondition parses a condition expression. The grammar, from least to
// most binding: or, and, not, "N of"/"all of", parentheses.
func ParseCondition(src string) (node Node, err error) {
	if len(src) > maxConditionLen {
		return nil, &ConditionError{Offset: maxConditionLen, Msg: fmt.Sprintf("condition longer than %d bytes", maxConditionLen)}
	}
	var p parser
	p.sc.init(src)
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			node, err = nil, b.err
		}
	}()
	p.next()
	if p.tok == EOF {
		p.errorf(p.pos, "empty condition")
	}
	node = p.parseOr()
	if p.tok != EOF {
		p.unexpected("and, or or the end of the condition")
	}
	return node, nil
}

func (p *parser) next() { p.tok, p.pos, p.lit = p.sc.scan() }

func (p *parser) errorf(pos int, format string, args ...any) {
	panic(bailout{&ConditionError{Offset: pos, Msg: fmt.Sprintf(format, args...)}})
}

func (p *parser) unexpected(want string) {
	switch p.tok {
	case EOF:
		p.errorf(p.pos, "unexpected end of condition, expected %s", want)
	case PIPE:
		p.errorf(p.pos, "aggregation expressions (| count() ...) are Sigma 1 syntax and not supported; use a correlation rule")
	}
	p.errorf(p.pos, "unexpected %q, expected %s", p.lit, want)
}

func (p *parser) enter() {
	p.nest++
	if p.nest > maxNestLevel {
		p.errorf(p.pos, "condition nested deeper than %d levels", maxNestLevel)
	}
}

func (p *parser) leave() { p.nest-- }

func (p *parser) parseOr() Node {
	x := p.parseAnd()
	for p.tok == OR {
		pos := p.pos
		p.next()
		y := p.parseAnd()
		x = &BinaryExpr{OpPos: pos, Op: OR, X: x, Y: y}
	}
	return x
}

func (p *parser) parseAnd() Node {
	x := p.parseUnary()
	for p.tok == AND {
		pos := p.pos
		p.next()
		y := p.parseUnary()
		x = &BinaryExpr{OpPos: pos, Op: AND, X: x, Y: y}
	}
	return x
}

func (p *parser) parseUnary() Node {
	if p.tok == NOT {
		pos := p.pos
		p.enter()
		p.next()
		x := p.parseUnary()
		p.leave()
		return &NotExpr{NotPos: pos, X: x}
	}
	return p.parsePrimary()
}

func (p *parser) parsePrimary() Node {
	switch p.tok {
	case LPAREN:
		pos := p.pos
		p.enter()
		p.next()
		x := p.parseOr()
		if p.tok != RPAREN {
			p.unexpected(")")
		}
		p.next()
		p.leave()
		return &ParenExpr{Lparen: pos, X: x}
	case INT, ALL:
		return p.parseOf()
	case IDENT:
		n := &Ident{NamePos: p.pos, Name: p.lit}
		p.next()
		return n
	}
	p.unexpected("a search identifier, \"1 of\", \"all of\", \"not\" or (")
	return nil
}

func (p *parser) parseOf() Node {
	n := &OfExpr{QuantPos: p.pos}
	if p.tok == INT {
		c, err := strconv.Atoi(p.lit)
		if err != nil || c < 1 || c > maxOfCount {
			p.errorf(p.pos, "count %q in \"N of\" must be between 1 and %d", p.lit, maxOfCount)
		}
		n.Count = c
	}
	p.next()
	if p.tok != OF {
		p.unexpected("of")
	}
	p.next()
	n.PatternPos = p.pos
	switch p.tok {
	case THEM:
	case IDENT:
		n.Pattern = p.lit
	default:
		p.unexpected("them or a search identifier pattern")
	}
	p.next()
	return n
}
