package sigma

import (
	"os"
	"path/filepath"
	"testing"
)

// Fuzz targets for the two parsers of untrusted input: the rule loader
// (YAML to documents, and compiling what loads) and the condition
// language. Both are seeded from the hand-written rules of testdata and,
// when the datasets are present, from a sample of the real SigmaHQ rules
// (read in place, never copied here).

func fuzzSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	files, _ := filepath.Glob(filepath.Join("testdata", "rules", "*.yml"))
	dir := filepath.Join("..", "..", "shared", "datasets", "sigma", "rules", "windows")
	real, _ := filepath.Glob(filepath.Join(dir, "*", "*.yml"))
	more, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.yml"))
	real = append(real, more...)
	for i := 0; i < len(real); i += 25 { // a sample across folders
		files = append(files, real[i])
	}
	for _, name := range files {
		if src, err := os.ReadFile(name); err == nil {
			seeds = append(seeds, src)
		}
	}
	return seeds
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	e := sysmon1("Image", `C:\Windows\System32\cmd.exe`, "CommandLine", "cmd /c whoami", "ParentImage", `C:\x.exe`)
	f.Fuzz(func(t *testing.T, src []byte) {
		c, _ := Parse("fuzz.yml", src)
		rs, _ := Compile(c.Rules, Config{Placeholders: map[string][]string{"Administrators": {"adm*"}}, Filters: c.Filters})
		CompileCorrelations(c.Correlations, rs)
		m := rs.NewMatcher()
		for i := 0; i < rs.Len(); i++ {
			got := false
			for _, r := range m.Match(e, nil) {
				got = got || r == i
			}
			if ex := rs.Explain(i, e); ex.Matched != got {
				t.Fatalf("Explain and Match disagree on rule %d", i)
			}
		}
	})
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"a", "a and not b", "1 of sel_* and not 1 of filter_*", "all of them", "(a or b) and c", "not not a", "x | count() > 1"} {
		f.Add(s)
	}
	for _, src := range fuzzSeeds(f) {
		c, _ := Parse("seed.yml", src)
		for _, r := range c.Rules {
			for _, cond := range r.Detection.Conditions {
				f.Add(cond.Text)
			}
		}
	}
	f.Fuzz(func(t *testing.T, cond string) {
		n, err := ParseCondition(cond)
		if (n == nil) == (err == nil) {
			t.Fatalf("node %v and error %v", n, err)
		}
		if n == nil {
			return
		}
		// The canonical rendering parses to the same rendering.
		n2, err := ParseCondition(n.String())
		if err != nil || n2.String() != n.String() {
			t.Fatalf("%q renders as %q, which gives %v %v", cond, n.String(), n2, err)
		}
	})
}
