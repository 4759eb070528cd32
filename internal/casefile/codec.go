package casefile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// timeLayout is how times are stored: UTC, nine fraction digits, fixed
// width, so that they sort as text and come back to the nanosecond.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

// encodeTime renders t for the case; "" is the zero time. Years the layout
// cannot hold (a damaged record's clock can say year 30000) are kept as
// "@seconds.nanoseconds" since the Unix epoch, which is exact too.
func encodeTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return "@" + strconv.FormatInt(t.Unix(), 10) + "." + strconv.Itoa(t.Nanosecond())
	}
	return t.Format(timeLayout)
}

func decodeTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if rest, ok := strings.CutPrefix(s, "@"); ok {
		sec, nsec, _ := strings.Cut(rest, ".")
		a, err1 := strconv.ParseInt(sec, 10, 64)
		b, err2 := strconv.ParseInt(nsec, 10, 64)
		if err1 != nil || err2 != nil || b < 0 || b >= 1e9 {
			return time.Time{}, fmt.Errorf("bad time %q", s)
		}
		return time.Unix(a, b).UTC(), nil
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q", s)
	}
	return t, nil
}

// encodeJSON renders v as compact JSON, with <, > and & left as they are:
// the column is read by people with SQL tools, not embedded in pages.
func encodeJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// encodeFields renders event fields as a JSON array of [name, value]
// pairs: names repeat (the Data fields of classic logs) and their order is
// part of the event.
func encodeFields(fields []event.Field) (string, error) {
	if fields == nil {
		return "null", nil
	}
	pairs := make([][2]string, len(fields))
	for i, f := range fields {
		pairs[i] = [2]string{f.Name, f.Value}
	}
	return encodeJSON(pairs)
}

func decodeFields(s string) ([]event.Field, error) {
	var pairs [][2]string
	if err := json.Unmarshal([]byte(s), &pairs); err != nil {
		return nil, err
	}
	if pairs == nil {
		return nil, nil
	}
	fields := make([]event.Field, len(pairs))
	for i, p := range pairs {
		fields[i] = event.Field{Name: p[0], Value: p[1]}
	}
	return fields, nil
}

// explainJSON is the stored form of a finding.Explanation.
type explainJSON struct {
	Condition string      `json:"condition,omitempty"`
	Matches   []matchJSON `json:"matches,omitempty"`
	Text      string      `json:"text,omitempty"`
	Values    [][2]string `json:"values,omitempty"`
}

type matchJSON struct {
	Selection string `json:"selection"`
	Field     string `json:"field,omitempty"`
	Modifiers string `json:"modifiers,omitempty"`
	Pattern   string `json:"pattern"`
	Value     string `json:"value"`
}

func encodeExplain(x *finding.Explanation) (string, error) {
	j := explainJSON{Condition: x.Condition, Text: x.Text}
	for _, m := range x.Matches {
		j.Matches = append(j.Matches, matchJSON(m))
	}
	for _, v := range x.Values {
		j.Values = append(j.Values, [2]string{v.Name, v.Value})
	}
	return encodeJSON(j)
}

func decodeExplain(s string) (finding.Explanation, error) {
	var j explainJSON
	if err := json.Unmarshal([]byte(s), &j); err != nil {
		return finding.Explanation{}, err
	}
	x := finding.Explanation{Condition: j.Condition, Text: j.Text}
	for _, m := range j.Matches {
		x.Matches = append(x.Matches, finding.Match(m))
	}
	for _, v := range j.Values {
		x.Values = append(x.Values, event.Field{Name: v[0], Value: v[1]})
	}
	return x, nil
}

func decodeStrings(s string) ([]string, error) {
	var list []string
	if err := json.Unmarshal([]byte(s), &list); err != nil {
		return nil, err
	}
	return list, nil
}
