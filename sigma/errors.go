package sigma

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
)

// Pos is a position in a rule file: the file name as the caller gave it and a
// 1-based line and column. A Pos with Line 0 names only the file.
type Pos struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether the position names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String renders the position as "file:line:col", "file" or "-".
func (p Pos) String() string {
	s := p.File
	if p.IsValid() {
		if s != "" {
			s += ":"
		}
		s += strconv.Itoa(p.Line)
		if p.Col > 0 {
			s += ":" + strconv.Itoa(p.Col)
		}
	}
	if s == "" {
		s = "-"
	}
	return s
}

// Sentinel errors that callers can test for with errors.Is, to tell apart the
// reasons a rule cannot be used.
var (
	// ErrPlaceholder: the rule uses the expand modifier on a placeholder for
	// which no values were configured. The rule is sound; it needs values.
	ErrPlaceholder = errors.New("placeholder has no values")
	// ErrUnsupported: the rule uses a feature this engine cannot run, for
	// example a regular expression with look-around.
	ErrUnsupported = errors.New("unsupported")
	// ErrLimit: the rule exceeds a size limit (condition length or nesting,
	// regular expression size, value expansion).
	ErrLimit = errors.New("limit exceeded")
)

// Error is one problem found in a rule file: where, in which rule, and why.
type Error struct {
	Pos  Pos
	Rule string // id (or title) of the rule concerned, "" if none could be read
	Msg  string
	Err  error // a sentinel such as ErrPlaceholder, or nil
}

// Error renders the error as "file:line:col: message".
func (e *Error) Error() string {
	if e.Pos.File == "" && !e.Pos.IsValid() {
		return e.Msg
	}
	return e.Pos.String() + ": " + e.Msg
}

// Unwrap returns the sentinel error, if any.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is a list of *Error. The zero value for an ErrorList is an empty
// ErrorList ready to use. It is how the loader and the compiler report every
// problem at once instead of stopping at the first.
type ErrorList []*Error

// Add appends an error with the given position and message.
func (l *ErrorList) Add(pos Pos, msg string) {
	*l = append(*l, &Error{Pos: pos, Msg: msg})
}

// Addf appends an error with a formatted message.
func (l *ErrorList) Addf(pos Pos, format string, args ...any) {
	l.Add(pos, fmt.Sprintf(format, args...))
}

// Append appends errors, flattening ErrorLists and converting other errors.
func (l *ErrorList) Append(errs ...error) {
	for _, err := range errs {
		var el ErrorList
		var e *Error
		switch {
		case err == nil:
		case errors.As(err, &el):
			*l = append(*l, el...)
		case errors.As(err, &e):
			*l = append(*l, e)
		default:
			*l = append(*l, &Error{Msg: err.Error(), Err: err})
		}
	}
}

// Len, Swap and Less make an ErrorList sortable by position.
func (l ErrorList) Len() int      { return len(l) }
func (l ErrorList) Swap(i, j int) { l[i], l[j] = l[j], l[i] }
func (l ErrorList) Less(i, j int) bool {
	a, b := l[i].Pos, l[j].Pos
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.Col != b.Col {
		return a.Col < b.Col
	}
	return l[i].Msg < l[j].Msg
}

// Sort sorts the list by file, line, column and message.
func (l ErrorList) Sort() { sort.Stable(l) }

// Error renders the first error and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Err returns nil for an empty list and the list itself otherwise, so that a
// function can end with "return errs.Err()".
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
