package analytics

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestConfigFile: the documented settings file holds exactly the defaults.
func TestConfigFile(t *testing.T) {
	c := DefaultConfig()
	c.Spray.MinAccounts = 99
	if err := LoadConfig("testdata/analytics.yml", &c); err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(c, want) {
		t.Errorf("testdata/analytics.yml differs from the defaults:\n got %+v\nwant %+v", c, want)
	}
	b, err := os.ReadFile("testdata/analytics.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range Names() {
		if !strings.Contains(string(b), "  "+n+": true") {
			t.Errorf("testdata/analytics.yml does not list %s", n)
		}
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		doc   string
		check func(c Config) bool
		err   string
	}{
		{"", func(c Config) bool { return reflect.DeepEqual(c, DefaultConfig()) }, ""},
		{"password-spray:\n  min-accounts: 5\n", func(c Config) bool {
			return c.Spray.MinAccounts == 5 && c.Spray.Window == 10*time.Minute
		}, ""},
		{"enabled:\n  rare-lotl: false\n", func(c Config) bool { return !c.Enabled[RareLOTL] && c.Enabled[PasswordSpray] }, ""},
		{"discovery-burst:\n  window: 90s\n", func(c Config) bool { return c.Burst.Window == 90*time.Second }, ""},
		{"password-spray:\n  min-acounts: 5\n", nil, "min-acounts"},
		{"enabled:\n  spray: false\n", nil, `unknown analytic "spray"`},
		{"brute-force:\n  min-failures: 0\n", nil, "brute-force.min-failures must be more than 0"},
		{"discovery-burst:\n  window: soon\n", nil, "soon"},
		{"- a list\n", nil, "cannot unmarshal"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		err := ParseConfig([]byte(tt.doc), &c)
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: error %v, want %q", tt.doc, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.doc, err)
		case !tt.check(c):
			t.Errorf("%q: config %+v", tt.doc, c)
		}
	}
}

func TestSelect(t *testing.T) {
	c := DefaultConfig()
	if err := c.Select("Password-Spray, log-cleared"); err != nil {
		t.Fatal(err)
	}
	if got := c.EnabledNames(); !reflect.DeepEqual(got, []string{LogCleared, PasswordSpray}) {
		t.Errorf("enabled %v", got)
	}
	if err := c.Select("none"); err != nil || c.Any() {
		t.Errorf("none: %v, any %v", err, c.Any())
	}
	if err := c.Select("all"); err != nil || len(c.EnabledNames()) != len(Catalog()) {
		t.Errorf("all: %v, %v", err, c.EnabledNames())
	}
	if err := c.Select("password-spray,nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown name: %v", err)
	}
}
