package finding

import (
	"strconv"

	"github.com/breakwater/breakwater/internal/event"
)

// AppendJSON appends the finding as one JSON object in the layout of the
// findings contract (DESIGN.md), keys in a fixed order.
func (f *Finding) AppendJSON(dst []byte) []byte {
	str := event.AppendJSONString
	dst = append(dst, `{"id":`...)
	dst = str(dst, f.ID)
	dst = append(dst, `,"kind":`...)
	dst = str(dst, string(f.Kind))
	dst = append(dst, `,"rule_id":`...)
	dst = str(dst, f.RuleID)
	dst = append(dst, `,"rule":`...)
	dst = str(dst, f.Rule)
	dst = append(dst, `,"level":`...)
	dst = str(dst, f.Level.String())
	dst = append(dst, `,"time":`...)
	dst = appendTime(dst, f)
	dst = append(dst, `,"host":`...)
	dst = str(dst, f.Host)
	dst = append(dst, `,"user":`...)
	dst = str(dst, f.User)
	dst = append(dst, `,"techniques":`...)
	dst = appendStrings(dst, f.Techniques)
	dst = append(dst, `,"tactics":`...)
	dst = appendStrings(dst, f.Tactics)
	dst = append(dst, `,"summary":`...)
	dst = str(dst, f.Summary)
	dst = append(dst, `,"evidence":[`...)
	for i := range f.Evidence {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = f.Evidence[i].appendJSON(dst)
	}
	dst = append(dst, ']')
	if f.EvidenceTotal > 0 {
		dst = append(dst, `,"evidence_total":`...)
		dst = strconv.AppendInt(dst, int64(f.EvidenceTotal), 10)
	}
	dst = append(dst, `,"explain":`...)
	dst = f.Explain.appendJSON(dst)
	return append(dst, '}')
}

func appendTime(dst []byte, f *Finding) []byte {
	if f.Time.IsZero() {
		return append(dst, `""`...)
	}
	dst = append(dst, '"')
	dst = event.AppendTime(dst, f.Time)
	return append(dst, '"')
}

func appendStrings(dst []byte, list []string) []byte {
	dst = append(dst, '[')
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = event.AppendJSONString(dst, s)
	}
	return append(dst, ']')
}

func (e *Evidence) appendJSON(dst []byte) []byte {
	dst = append(dst, `{"file":`...)
	dst = event.AppendJSONString(dst, e.File)
	dst = append(dst, `,"record_id":`...)
	dst = strconv.AppendUint(dst, e.RecordID, 10)
	if e.Line > 0 {
		dst = append(dst, `,"line":`...)
		dst = strconv.AppendInt(dst, int64(e.Line), 10)
	} else if e.Offset >= 0 {
		dst = append(dst, `,"offset":`...)
		dst = strconv.AppendInt(dst, e.Offset, 10)
	}
	dst = append(dst, `,"channel":`...)
	dst = event.AppendJSONString(dst, e.Channel)
	dst = append(dst, `,"event_id":`...)
	dst = strconv.AppendInt(dst, int64(e.EventID), 10)
	dst = append(dst, `,"time":"`...)
	if !e.Time.IsZero() {
		dst = event.AppendTime(dst, e.Time)
	}
	dst = append(dst, `","fields":`...)
	dst = event.AppendFieldsJSON(dst, e.Fields)
	return append(dst, '}')
}

func (x *Explanation) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	sep := func() {
		if dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
	}
	if x.Condition != "" {
		sep()
		dst = append(dst, `"condition":`...)
		dst = event.AppendJSONString(dst, x.Condition)
	}
	if len(x.Matches) > 0 {
		sep()
		dst = append(dst, `"matches":[`...)
		for i, m := range x.Matches {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"selection":`...)
			dst = event.AppendJSONString(dst, m.Selection)
			if m.Field != "" {
				dst = append(dst, `,"field":`...)
				dst = event.AppendJSONString(dst, m.Field)
			}
			if m.Modifiers != "" {
				dst = append(dst, `,"modifiers":`...)
				dst = event.AppendJSONString(dst, m.Modifiers)
			}
			dst = append(dst, `,"pattern":`...)
			dst = event.AppendJSONString(dst, m.Pattern)
			dst = append(dst, `,"value":`...)
			dst = event.AppendJSONString(dst, m.Value)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	if x.Text != "" {
		sep()
		dst = append(dst, `"text":`...)
		dst = event.AppendJSONString(dst, x.Text)
	}
	if len(x.Values) > 0 {
		sep()
		dst = append(dst, `"values":`...)
		dst = event.AppendFieldsJSON(dst, x.Values)
	}
	return append(dst, '}')
}
