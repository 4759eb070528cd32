package evtx

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// datasets returns the shared datasets folder, skipping the test when it is
// absent, or failing it when the CI environment variable is set.
func datasets(t testing.TB, parts ...string) string {
	t.Helper()
	dir := filepath.Join(append([]string{"..", "..", "shared", "datasets"}, parts...)...)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("shared datasets missing in CI: %v", err)
		}
		t.Skipf("shared datasets not present: %v", err)
	}
	return dir
}

// fileResult is what reading a whole file gives.
type fileResult struct {
	records []map[string][]string
	xml     []string
	damage  []error
}

// readFile reads every chunk of an EVTX file as a caller of the package
// would, rendering every record both ways.
func readFile(t testing.TB, path string) fileResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	ef, err := Open(f, st.Size())
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return readChunks(t, ef)
}

func readChunks(t testing.TB, ef *File) fileResult {
	var res fileResult
	p := NewParser()
	buf := make([]byte, ChunkSize)
	var out []byte
	var fields []Field
	for i := 0; i < ef.NumChunks(); i++ {
		data, err := ef.ReadChunk(i, buf)
		if err != nil {
			t.Fatal(err)
		}
		c, err := p.Chunk(data, ChunkOffset(i))
		if err != nil {
			if ef.Header.Accounts(i) {
				res.damage = append(res.damage, err)
			}
			continue
		}
		if c == nil {
			continue
		}
		for {
			r, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				res.damage = append(res.damage, err)
				continue
			}
			out, fields, err = r.AppendFields(out[:0], fields[:0])
			if err != nil {
				res.damage = append(res.damage, err)
				continue
			}
			m := map[string][]string{}
			for _, f := range fields {
				m[f.Name] = append(m[f.Name], string(f.Value(out)))
			}
			res.records = append(res.records, m)
			x, err := r.AppendXML(nil)
			if err != nil {
				t.Errorf("record %d renders as fields but not as XML: %v", r.ID, err)
			}
			res.xml = append(res.xml, string(x))
		}
	}
	return res
}

// The parser edge cases of the shared datasets: exactly the records a
// correct parser returns, and the damage it must report.
func TestExpectedCounts(t *testing.T) {
	dir := datasets(t, "evtx-parser")
	f, err := os.Open(filepath.Join(dir, "expected_counts.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		name := cols[0]
		t.Run(name, func(t *testing.T) {
			res := readFile(t, filepath.Join(dir, "samples", name))
			ok, err1 := strconv.Atoi(cols[1])
			bad, err2 := strconv.Atoi(cols[2])
			if err1 != nil || err2 != nil {
				// "336 iterations (incl. errors)": the file must terminate and
				// every iteration is accounted for.
				total, _ := strconv.Atoi(strings.Fields(cols[1])[0])
				if got := len(res.records) + len(res.damage); got != total {
					t.Errorf("%d records + %d damaged = %d, want %d", len(res.records), len(res.damage), got, total)
				}
				return
			}
			if len(res.records) != ok || len(res.damage) != bad {
				t.Errorf("%d records, %d damaged; want %d, %d (damage: %v)", len(res.records), len(res.damage), ok, bad, res.damage)
			}
		})
		n++
	}
	if n < 13 {
		t.Fatalf("only %d rows in expected_counts.tsv", n)
	}
}

// Every EVTX file of the shared datasets reads without damage, except those
// the counts file lists as damaged.
func TestDatasetsReadClean(t *testing.T) {
	root := datasets(t)
	damaged := map[string]bool{
		"2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx":          true,
		"2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx": true,
		"sample_with_a_bad_chunk_magic.evtx":                                                   true,
		"sample-with-zero-data-size-event.evtx":                                                true,
	}
	files, records := 0, 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".evtx") {
			return err
		}
		files++
		res := readFile(t, path)
		records += len(res.records)
		if len(res.damage) > 0 && !damaged[filepath.Base(path)] {
			t.Errorf("%s: unexpected damage: %v", path, res.damage)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files, %d records", files, records)
	if files < 250 {
		t.Errorf("only %d EVTX files found under %s", files, root)
	}
}

// The 202 SigmaHQ regression files hold 238 live records; the stale
// fragments after the free-space offset of 63 of them are not events.
func TestRegressionRecords(t *testing.T) {
	root := datasets(t, "sigma", "regression_data")
	total, files := 0, 0
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".evtx") {
			return err
		}
		res := readFile(t, path)
		if len(res.damage) > 0 {
			t.Errorf("%s: %v", path, res.damage)
		}
		total += len(res.records)
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 202 || total != 238 {
		t.Errorf("%d records in %d files, want 238 in 202", total, files)
	}
}

// A record from the evtx-parser expected renderings: UserData with nested
// elements, attributes and entity references.
func TestUserDataFlattening(t *testing.T) {
	res := readFile(t, filepath.Join(datasets(t, "evtx-parser", "samples"), "E_Windows_system32_winevt_logs_Microsoft-Windows-CAPI2%4Operational.evtx"))
	var rec map[string][]string
	for _, r := range res.records {
		if r["EventRecordID"][0] == "28" {
			rec = r
		}
	}
	if rec == nil {
		t.Fatal("record 28 not found")
	}
	want := map[string][]string{
		"Provider_Name":                     {"Microsoft-Windows-CAPI2"},
		"EventID":                           {"53"},
		"TimeCreated":                       {"2017-05-19T02:02:36.2031250Z"},
		"Security_UserID":                   {"S-1-5-21-1223297778-3299746493-1462173606-500"},
		"URL":                               {"http://crl.microsoft.com/pki/crl/products/microsoftrootcert.crl"},
		"URL_scheme":                        {"http"},
		"Action_name":                       {"NoProxy", "NoProxy"},
		"CorrelationAuxInfo_TaskId":         {"{74E4CD40-C966-49F5-B50A-032DFFEE57CA}"},
		"URLCacheResponseInfo_responseType": {"CRYPTNET_URL_CACHE_RESPONSE_HTTP"},
	}
	for k, v := range want {
		if strings.Join(rec[k], "|") != strings.Join(v, "|") {
			t.Errorf("%s = %q, want %q", k, rec[k], v)
		}
	}
	if got := rec["Header"][2]; got != `If-None-Match: "ea9ee7b1bc43d21:0"` {
		t.Errorf("entity references in text: got %q", got)
	}
	if _, ok := rec["Correlation"]; ok {
		t.Error("an empty System element became a field")
	}
}

func TestDamageKinds(t *testing.T) {
	res := readFile(t, filepath.Join(datasets(t, "evtx-parser", "samples"), "sample_with_a_bad_chunk_magic.evtx"))
	for _, err := range res.damage {
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrFormat) || e.Offset == 0 {
			t.Errorf("damage %v: want an *Error with an offset wrapping ErrFormat", err)
		}
	}
}
