package sigma

import (
	"strings"
	"testing"
)

func TestScanner(t *testing.T) {
	var s scanner
	s.init(" 1 of sel_* and NOT (x-y.z|them)")
	var got []string
	for {
		tok, pos, lit := s.scan()
		got = append(got, tok.String()+"@"+itoa(pos)+":"+lit)
		if tok == EOF {
			break
		}
	}
	want := "number@1:1 of@3:of identifier@6:sel_* and@12:and not@16:NOT (@20:( identifier@21:x-y.z |@26:| them@27:them )@31:) end of condition@32:"
	if strings.Join(got, " ") != want {
		t.Errorf("tokens:\n%s\nwant\n%s", strings.Join(got, " "), want)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestParseCondition(t *testing.T) {
	cases := []struct{ in, out string }{
		{"a", "a"},
		{"a and b or c", "a and b or c"},
		{"a or b and c", "a or b and c"},
		{"not a and b", "not a and b"},
		{"not (a and b)", "not (a and b)"},
		{"1 of sel*", "1 of sel*"},
		{"all of them", "all of them"},
		{"ALL OF THEM", "all of them"},
		{"1 of them and not 1 of filter_*", "1 of them and not 1 of filter_*"},
		{"((a))", "((a))"},
		{"3 of x*", "3 of x*"},
	}
	for _, c := range cases {
		n, err := ParseCondition(c.in)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		if n.String() != c.out {
			t.Errorf("%q: %q, want %q", c.in, n.String(), c.out)
		}
	}
	// The tree says what binds tighter.
	n, _ := ParseCondition("a or b and not c")
	or, ok := n.(*BinaryExpr)
	if !ok || or.Op != OR {
		t.Fatalf("top is %T", n)
	}
	and, ok := or.Y.(*BinaryExpr)
	if !ok || and.Op != AND {
		t.Fatalf("right of or is %T", or.Y)
	}
	if _, ok := and.Y.(*NotExpr); !ok {
		t.Fatalf("right of and is %T", and.Y)
	}
}

func TestParseConditionErrors(t *testing.T) {
	cases := []struct {
		in     string
		offset int
		msg    string
	}{
		{"", 0, "empty condition"},
		{"a and", 5, "unexpected end"},
		{"a b", 2, "unexpected \"b\""},
		{"(a", 2, "expected )"},
		{"a)", 1, "unexpected \")\""},
		{"1 a", 2, "expected of"},
		{"all of", 6, "expected them"},
		{"0 of x", 0, "between 1"},
		{"a | count() > 1", 2, "aggregation"},
		{"not", 3, "unexpected end"},
		{strings.Repeat("(", 100) + "a" + strings.Repeat(")", 100), 64, "nested deeper"},
		{strings.Repeat("not ", 100) + "a", 256, "nested deeper"},
		{strings.Repeat("a or ", 1000) + "a", 4096, "longer than"},
	}
	for _, c := range cases {
		_, err := ParseCondition(c.in)
		ce, ok := err.(*ConditionError)
		if !ok {
			t.Errorf("%.30q: error %v", c.in, err)
			continue
		}
		if ce.Offset != c.offset || !strings.Contains(ce.Msg, c.msg) {
			t.Errorf("%.30q: offset %d %q, want %d %q", c.in, ce.Offset, ce.Msg, c.offset, c.msg)
		}
	}
}

func TestMatchPattern(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"sel*", "selection", true}, {"sel*", "filter", false}, {"*", "x", true}, {"*_a", "sel_a", true},
		{"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"abc", "abc", true}, {"a*a", "a", false}, {"a*a", "aa", true},
	} {
		if got := matchPattern(c.p, c.s); got != c.want {
			t.Errorf("matchPattern(%q, %q) = %v", c.p, c.s, got)
		}
	}
}
