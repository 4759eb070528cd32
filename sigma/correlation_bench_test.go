package sigma

import (
	"runtime"
	"strconv"
	"testing"
	"time"
)

// benchRef is an evidence reference of the size detect uses.
type benchRef struct {
	a, b    uint64
	c, d, e uint32
	f       int32
}

// benchCorrelation is one value_count correlation over failed logons.
func benchCorrelation(b *testing.B) *CorrelationSet {
	coll, err := Parse("bench.yml", []byte(baseRules+`
---
title: Spray
correlation: {type: value_count, rules: [failed_logon], group-by: [IpAddress], timespan: 5m, condition: {field: TargetUserName, gte: 10}}
`))
	if err != nil {
		b.Fatal(err)
	}
	rs, _ := Compile(coll.Rules, Config{})
	cs, err := CompileCorrelations(coll.Correlations, rs)
	if err != nil {
		b.Fatal(err)
	}
	return cs
}

// BenchmarkCollectorAdd measures the cost of one base-rule match handed to
// a value_count correlation (reading its fields, filing it under its group
// key, interning its value), over 10,000 groups of 8 values.
func BenchmarkCollectorAdd(b *testing.B) {
	cs := benchCorrelation(b)
	cr := NewCorrelator[benchRef](cs, Limits{}, nil)
	col := cr.NewCollector()
	rule := 0 // failed_logon is the first base rule
	ips := make([]string, 10_000)
	for i := range ips {
		ips[i] = "10.0." + strconv.Itoa(i>>8) + "." + strconv.Itoa(i&255)
	}
	users := []string{"amy", "bob", "cat", "dan", "eve", "fay", "gus", "hal"}
	e := tv("0s", 4625, "SubjectUserName", "x", "TargetUserName", "", "IpAddress", "", "LogonType", "3")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.fields[5] = users[i&7]
		e.fields[7] = ips[i%len(ips)]
		col.Add(rule, corrBase.Add(time.Duration(i)*time.Millisecond), uint64(i), &e, benchRef{a: uint64(i)})
	}
}

// BenchmarkGroupKeyMemory measures the heap one group key holds with one
// match: what the MaxKeys cap multiplies.
func BenchmarkGroupKeyMemory(b *testing.B) {
	cs := benchCorrelation(b)
	const keys = 100_000
	e := tv("0s", 4625, "TargetUserName", "amy", "IpAddress", "")
	var perKey float64
	for i := 0; i < b.N; i++ {
		cr := NewCorrelator[benchRef](cs, Limits{MaxKeys: keys}, nil)
		col := cr.NewCollector()
		ips := make([]string, keys)
		for k := range ips {
			ips[k] = "10." + strconv.Itoa(k>>16) + "." + strconv.Itoa((k>>8)&255) + "." + strconv.Itoa(k&255)
		}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for k := 0; k < keys; k++ {
			e.fields[5] = ips[k]
			col.Add(0, corrBase, uint64(k), &e, benchRef{})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		perKey = float64(after.HeapAlloc-before.HeapAlloc) / keys
		runtime.KeepAlive(col)
	}
	b.ReportMetric(perKey, "B/key")
}
