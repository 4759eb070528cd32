package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/event"
)

func TestXMLGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/xml/*.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("sniff: %s\n", Sniff(data)) +
				renderEvents(t, NewXMLDecoder(bytes.NewReader(data), filepath.Base(f)), len(data))
			checkGolden(t, f+".golden", got)
		})
	}
}

// TestXMLEncodings: the same events in UTF-8 and in UTF-16 (with and
// without a byte-order mark) read the same.
func TestXMLEncodings(t *testing.T) {
	utf8Doc, err := os.ReadFile("testdata/xml/wevtutil.xml")
	if err != nil {
		t.Fatal(err)
	}
	want := renderFieldsOnly(t, utf8Doc)
	for _, enc := range []struct {
		name string
		data []byte
	}{
		{"utf-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, utf8Doc...)},
		{"utf-16le with BOM", append([]byte{0xFF, 0xFE}, toUTF16(string(utf8Doc), false)...)},
		{"utf-16be with BOM", append([]byte{0xFE, 0xFF}, toUTF16(string(utf8Doc), true)...)},
		{"utf-16le without BOM", toUTF16(string(utf8Doc), false)},
	} {
		if got := Sniff(enc.data); got != event.FormatXML {
			t.Errorf("%s: sniffed %q", enc.name, got)
		}
		if got := renderFieldsOnly(t, enc.data); got != want {
			t.Errorf("%s: differs from UTF-8:\n%s", enc.name, firstDiff(want, got))
		}
	}
}

func renderFieldsOnly(t *testing.T, data []byte) string {
	t.Helper()
	d := NewXMLDecoder(bytes.NewReader(data), "f")
	var sb strings.Builder
	var ev event.Event
	for {
		err := d.Next(&ev)
		if err == io.EOF {
			return sb.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteString(renderFields(ev.Fields))
	}
}

func toUTF16(s string, bigEndian bool) []byte {
	var out []byte
	for _, r := range s {
		var units []uint16
		if r >= 0x10000 {
			r -= 0x10000
			units = []uint16{uint16(0xD800 + (r >> 10)), uint16(0xDC00 + (r & 0x3FF))}
		} else {
			units = []uint16{uint16(r)}
		}
		for _, u := range units {
			if bigEndian {
				out = append(out, byte(u>>8), byte(u))
			} else {
				out = append(out, byte(u), byte(u>>8))
			}
		}
	}
	return out
}

// TestXMLDamaged: each broken <Event> is one RecordError at its line, and
// the next event is read.
func TestXMLDamaged(t *testing.T) {
	data, err := os.ReadFile("testdata/xml/damaged.xml")
	if err != nil {
		t.Fatal(err)
	}
	d := NewXMLDecoder(bytes.NewReader(data), "damaged.xml")
	want := []string{"event 1", "damaged 2", "event 3", "damaged 4", "event 5", "damaged 6", "event 6", "damaged 8", "event 7", "damaged 10"}
	var got []string
	var ev event.Event
	for {
		err := d.Next(&ev)
		if err == io.EOF {
			break
		}
		var re *RecordError
		switch {
		case errors.As(err, &re):
			got = append(got, fmt.Sprintf("damaged %d", re.Line))
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, fmt.Sprintf("event %d", ev.EventID))
		}
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("got  %s\nwant %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}
}

func TestXMLSmallReads(t *testing.T) {
	for _, f := range []string{"testdata/xml/wevtutil.xml", "testdata/xml/events_root_utf16.xml", "testdata/xml/damaged.xml"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		whole := renderEvents(t, NewXMLDecoder(bytes.NewReader(data), "f"), len(data))
		bytewise := renderEvents(t, NewXMLDecoder(&oneByteReader{data: data}, "f"), len(data))
		if whole != bytewise {
			t.Errorf("%s: one-byte reads differ:\n%s", f, firstDiff(whole, bytewise))
		}
	}
}

// TestXMLLarge: an event larger than the initial buffer reads whole; one
// beyond the size limit is damaged and skipped, and the next one is read.
func TestXMLLarge(t *testing.T) {
	ev := func(id int, data string) string {
		return fmt.Sprintf("<Event><System><EventID>%d</EventID></System><EventData><Data Name='D'>%s</Data></EventData></Event>\n", id, data)
	}
	long := strings.Repeat("x", 1<<20)
	input := ev(1, long) + ev(2, strings.Repeat("y", maxRecord)) + ev(3, "z")
	d := NewXMLDecoder(strings.NewReader(input), "big.xml")
	var e event.Event
	if err := d.Next(&e); err != nil || e.EventID != 1 {
		t.Fatalf("got %v, event %d", err, e.EventID)
	}
	if v, _ := e.Get("D"); v != long {
		t.Errorf("long value: %d bytes", len(v))
	}
	err := d.Next(&e)
	var re *RecordError
	if !errors.As(err, &re) || re.Line != 2 {
		t.Fatalf("oversized: got %v", err)
	}
	if err := d.Next(&e); err != nil || e.EventID != 3 {
		t.Fatalf("after the oversized event: got %v, event %d", err, e.EventID)
	}
}

// TestXMLDeep: nesting beyond the limit is damage, not a stack overflow.
func TestXMLDeep(t *testing.T) {
	deep := "<Event><UserData>" + strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000) + "</UserData></Event>\n<Event><System><EventID>2</EventID></System></Event>"
	d := NewXMLDecoder(strings.NewReader(deep), "deep.xml")
	var e event.Event
	err := d.Next(&e)
	var re *RecordError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "nested") {
		t.Fatalf("got %v", err)
	}
	if err := d.Next(&e); err != nil || e.EventID != 2 {
		t.Fatalf("after the deep event: %v, %d", err, e.EventID)
	}
}

// TestXMLBounds: an event with absurdly many elements is damaged.
func TestXMLBounds(t *testing.T) {
	input := "<Event><UserData><W>" + strings.Repeat("<a>1</a>", maxXMLFields+1) + "</W></UserData></Event>\n<Event><System><EventID>2</EventID></System></Event>"
	d := NewXMLDecoder(strings.NewReader(input), "bounds.xml")
	var e event.Event
	err := d.Next(&e)
	var re *RecordError
	if !errors.As(err, &re) || !strings.Contains(re.Reason, "more than") {
		t.Fatalf("got %v", err)
	}
	if err := d.Next(&e); err != nil || e.EventID != 2 {
		t.Fatalf("next event: %v, %d", err, e.EventID)
	}
}

func FuzzXMLDecoder(f *testing.F) {
	for _, pat := range []string{"testdata/xml/*.xml", "testdata/cross/*.xml"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("<Events><Event><System><EventID>1</EventID></System><EventData><Data>&#x0;&#xD800;&#99999999;</Data></EventData></Event></Events>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewXMLDecoder(bytes.NewReader(data), "fuzz")
		var ev event.Event
		for calls := 0; ; calls++ {
			if calls > len(data)+10 {
				t.Fatalf("no progress after %d calls", calls)
			}
			err := d.Next(&ev)
			if err == io.EOF {
				return
			}
			var re *RecordError
			if errors.As(err, &re) {
				_ = re.Error()
				continue
			}
			if err != nil {
				t.Fatalf("fatal error on an in-memory reader: %v", err)
			}
		}
	})
}
