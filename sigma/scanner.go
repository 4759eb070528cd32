package sigma

import "strings"

// Token is a lexical token of the condition language.
type Token uint8

// The tokens of the condition language.
const (
	ILLEGAL Token = iota
	EOF
	IDENT  // selection, filter_*, ...
	INT    // 1
	AND    // and
	OR     // or
	NOT    // not
	OF     // of
	ALL    // all
	THEM   // them
	LPAREN // (
	RPAREN // )
	PIPE   // | (Sigma 1 aggregations, not supported)
)

var tokenNames = [...]string{
	ILLEGAL: "ILLEGAL", EOF: "end of condition", IDENT: "identifier", INT: "number",
	AND: "and", OR: "or", NOT: "not", OF: "of", ALL: "all", THEM: "them",
	LPAREN: "(", RPAREN: ")", PIPE: "|",
}

// String returns the token's spelling or class name.
func (t Token) String() string {
	if int(t) < len(tokenNames) {
		return tokenNames[t]
	}
	return "token?"
}

var keywords = map[string]Token{"and": AND, "or": OR, "not": NOT, "of": OF, "all": ALL, "them": THEM}

// scanner splits a condition into tokens. Positions are byte offsets into
// the condition text.
type scanner struct {
	src string
	off int
}

func (s *scanner) init(src string) { s.src, s.off = src, 0 }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// isIdentByte reports whether c can be part of an identifier. Search
// identifiers are YAML keys and can hold almost anything; the condition
// language reserves only white space, parentheses and the pipe.
func isIdentByte(c byte) bool {
	return !isSpace(c) && c != '(' && c != ')' && c != '|'
}

// scan returns the next token, its offset and its text.
func (s *scanner) scan() (tok Token, pos int, lit string) {
	for s.off < len(s.src) && isSpace(s.src[s.off]) {
		s.off++
	}
	pos = s.off
	if s.off >= len(s.src) {
		return EOF, pos, ""
	}
	switch c := s.src[s.off]; c {
	case '(':
		s.off++
		return LPAREN, pos, "("
	case ')':
		s.off++
		return RPAREN, pos, ")"
	case '|':
		s.off++
		return PIPE, pos, "|"
	}
	for s.off < len(s.src) && isIdentByte(s.src[s.off]) {
		s.off++
	}
	lit = s.src[pos:s.off]
	if allDigits(lit) {
		return INT, pos, lit
	}
	if t, ok := keywords[strings.ToLower(lit)]; ok {
		return t, pos, lit
	}
	return IDENT, pos, lit
}
