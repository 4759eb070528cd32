package zeek

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// connLogs returns n conn records as a TSV log and as JSON lines, shaped as
// Zeek writes them.
func connLogs(n int) (tsvLog, jsonLog []byte) {
	var t, j bytes.Buffer
	t.WriteString(header + "#path\tconn\n#open\t2024-04-21-00-00-03\n")
	t.WriteString(tsv("#fields", "_node_name", "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service",
		"duration", "orig_bytes", "resp_bytes", "conn_state", "local_orig", "local_resp", "missed_bytes", "history",
		"orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "tunnel_parents"))
	t.WriteString(tsv("#types", "string", "time", "string", "addr", "port", "addr", "port", "enum", "string",
		"interval", "count", "count", "string", "bool", "bool", "count", "string", "count", "count", "count", "count", "set[string]"))
	for i := 0; i < n; i++ {
		ts := 1713657596 + i
		src := fmt.Sprintf("10.0.%d.%d", i/250%250, i%250)
		fmt.Fprintf(&t, "worker-eth0-1\t%d.834168\tCEWN1g1rNOHkuyh%03d\t%s\t%d\t64.225.56.201\t443\ttcp\tssl\t%d.000062\t%d\t%d\tSF\tT\tF\t0\tShADadFf\t12\t1882\t14\t2430\t(empty)\n",
			ts, i%1000, src, 1024+i%60000, i%100, 1250+i%7, 1694+i%13)
		fmt.Fprintf(&j, `{"_node_name":"worker-eth0-1","ts":%d.834168,"uid":"CEWN1g1rNOHkuyh%03d","id.orig_h":"%s","id.orig_p":%d,"id.resp_h":"64.225.56.201","id.resp_p":443,"proto":"tcp","service":"ssl","duration":%d.000062,"orig_bytes":%d,"resp_bytes":%d,"conn_state":"SF","local_orig":true,"local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":12,"orig_ip_bytes":1882,"resp_pkts":14,"resp_ip_bytes":2430,"tunnel_parents":[],"_path":"conn"}`+"\n",
			ts, i%1000, src, 1024+i%60000, i%100, 1250+i%7, 1694+i%13)
	}
	t.WriteString("#close\t2024-04-21-01-00-00\n")
	return t.Bytes(), j.Bytes()
}

func benchRead(b *testing.B, data []byte, n int, view bool) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var rec Record
	var sink uint64
	for b.Loop() {
		zr := NewReader(bytes.NewReader(data), "conn.log")
		got := 0
		for {
			err := zr.Next(&rec)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if view {
				sink += rec.Conn().OrigBytes
			}
			got++
		}
		if got != n {
			b.Fatalf("%d records, want %d", got, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	_ = sink
}

const benchRecords = 20000

func BenchmarkTSV(b *testing.B) {
	t, _ := connLogs(benchRecords)
	benchRead(b, t, benchRecords, false)
}

func BenchmarkJSON(b *testing.B) {
	_, j := connLogs(benchRecords)
	benchRead(b, j, benchRecords, false)
}

// BenchmarkTSVConn adds the typed view that network analytics read.
func BenchmarkTSVConn(b *testing.B) {
	t, _ := connLogs(benchRecords)
	benchRead(b, t, benchRecords, true)
}
