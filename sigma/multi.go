package sigma

import (
	"encoding/binary"
	"math/bits"
	"sort"
	"unsafe"
)

// multiIndex finds every occurrence of many needles in a text in one pass.
//
// Why not Aho-Corasick: with the thousands of command-line needles of the
// SigmaHQ rules an automaton has tens of thousands of states; a scan steps
// from state to state, each step waiting on the previous one's memory load,
// and most loads miss the caches (measured while building this: 12-18 ns
// per byte, against 3 ns for an automaton small enough for the L1 cache).
// This index has no such chain of dependent loads:
//
//   - Each needle of 4 bytes or more is anchored on one of its 4-byte
//     grams, the one fewest other needles share (rare among needles is a
//     good guess of rare in text), at a known offset in the needle.
//   - A bitmap of hashed anchors, small enough for the L1 cache, is tested
//     at every position of the text: one 4-byte load, a multiply, a bit
//     test. Positions are independent, so the processor overlaps them.
//   - A set bit leads to an open-addressing table of anchors, whose entries
//     (needle, offset) are verified by comparing the needle with the text.
//   - Needles of 1 to 3 bytes are keys of their own: the bytes at a
//     position, tagged with their length, tested in the same bitmap and
//     looked up in a second table. An index without such needles skips
//     those tests (RuleSet plans leave 1- and 2-byte needles out, as they
//     would be found at most positions; see multiShortest).
type multiIndex struct {
	bitShift uint32   // 32 - log2(bits of bitmap)
	bitmap   []uint64 // anchors and short keys, hashed
	anchors  gramTable
	short    gramTable // short keys -> needles
	hasLen   [4]bool   // hasLen[n]: some needle has n bytes (n < 4)
	// stride: the scan tests grams at every stride-th position only. With
	// no short needles and all needles of 3+stride bytes or more, each
	// needle is anchored on stride consecutive grams, one of which falls on
	// a tested position wherever the needle occurs.
	stride int

	pats []string
}

// multiEntry is a needle in a table: its index, and the offset of the key
// in the needle.
type multiEntry struct {
	pat int32
	off int32
}

const (
	multiGram    = 4
	multiHashMul = 0x9E3779B1 // Knuth's multiplicative hashing constant
	// Bits of a bitmap per key: about 1/32 of positions then test a set bit
	// by chance, unless the bitmap reached its largest size.
	multiBitsPerKey = 32
	multiMinBits    = 1 << 10
	multiMaxBits    = 1 << 18 // 32 KiB: stays in the L1 cache
	// multiShortest is the shortest ASCII needle a RuleSet plan indexes.
	multiShortest = 3
	// multiMaxStride caps the stride of the scan (see multiIndex.stride).
	multiMaxStride = 8
)

// shortKey is the key of the n bytes (n < 4) at the start of g: the bytes,
// and a top byte 0xfc+n that tells it from keys of other lengths. A gram
// whose fourth byte is 0xfd-0xff can equal a short key; that costs a table
// look-up that finds nothing, never a wrong result, as the tables are apart.
func shortKey(g uint32, n int) uint32 {
	return g&(1<<(8*n)-1) | uint32(0xfc+n)<<24
}

// newMultiIndex indexes the needles; needle i is reported as i. Empty
// needles are never reported.
func newMultiIndex(pats []string) *multiIndex {
	x := &multiIndex{pats: pats}
	// How many needles contain each gram, to anchor needles on rare ones.
	df := map[uint32]int{}
	for _, p := range pats {
		seen := map[uint32]bool{}
		for i := 0; i+multiGram <= len(p); i++ {
			g := gramOf(p, i)
			if !seen[g] {
				seen[g] = true
				df[g]++
			}
		}
	}
	x.stride = multiMaxStride
	for _, p := range pats {
		if p != "" {
			x.stride = max(1, min(x.stride, len(p)-multiGram+1))
		}
	}
	anchored := map[uint32][]multiEntry{}
	short := map[uint32][]multiEntry{}
	for pi, p := range pats {
		switch {
		case p == "":
		case len(p) < multiGram:
			x.hasLen[len(p)] = true
			var g uint32
			for i := len(p) - 1; i >= 0; i-- {
				g = g<<8 | uint32(p[i])
			}
			k := shortKey(g, len(p))
			short[k] = append(short[k], multiEntry{pat: int32(pi)})
		default:
			// Anchor on the window of stride grams whose most common gram
			// is the least common.
			best, bestScore := 0, -1
			for i := 0; i+x.stride-1+multiGram <= len(p); i++ {
				score := 0
				for j := i; j < i+x.stride; j++ {
					score = max(score, df[gramOf(p, j)]*256+gramCommonness(p[j:j+multiGram]))
				}
				if bestScore < 0 || score < bestScore {
					best, bestScore = i, score
				}
			}
			for j := best; j < best+x.stride; j++ {
				g := gramOf(p, j)
				anchored[g] = append(anchored[g], multiEntry{pat: int32(pi), off: int32(j)})
			}
		}
	}
	all := make(map[uint32][]multiEntry, len(anchored)+len(short))
	for k, v := range anchored {
		all[k] = v
	}
	for k, v := range short {
		all[k] = v
	}
	x.bitShift, x.bitmap = newBitmap(all)
	x.anchors = newGramTable(anchored)
	x.short = newGramTable(short)
	return x
}

// gramOf reads the 4 bytes of s at i as a little-endian integer.
func gramOf(s string, i int) uint32 {
	return uint32(s[i]) | uint32(s[i+1])<<8 | uint32(s[i+2])<<16 | uint32(s[i+3])<<24
}

// multiIndexable reports whether a RuleSet plan indexes a needle: one of 3
// bytes or more, or of 2 bytes that are not both ASCII (a non-Latin letter,
// rare in Windows logs and the stuff of homoglyph rules). The others would
// be found at most positions; they are searched for directly when a rule
// needs them.
func multiIndexable(s string) bool {
	return len(s) >= multiShortest || (len(s) == 2 && (s[0] >= 0x80 || s[1] >= 0x80))
}

// newBitmap sizes a bitmap for the keys and sets their hashed bits.
func newBitmap(keys map[uint32][]multiEntry) (uint32, []uint64) {
	nbits := multiMinBits
	for nbits < multiMaxBits && nbits < len(keys)*multiBitsPerKey {
		nbits <<= 1
	}
	shift := uint32(32 - bits.TrailingZeros(uint(nbits)))
	bm := make([]uint64, nbits/64)
	for k := range keys {
		h := (k * multiHashMul) >> shift
		bm[h>>6] |= 1 << (h & 63)
	}
	return shift, bm
}

// gramTable is an open-addressing hash table from a 32-bit key to a list of
// entries.
type gramTable struct {
	shift   uint32
	keys    []uint32
	from    []uint32 // entries[from[s]-1:][:n[s]]; 0 marks an empty slot
	n       []uint32
	entries []multiEntry
}

func newGramTable(m map[uint32][]multiEntry) gramTable {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	slots := 8
	for slots < 2*len(keys) {
		slots <<= 1
	}
	t := gramTable{
		shift: uint32(32 - bits.TrailingZeros(uint(slots))),
		keys:  make([]uint32, slots),
		from:  make([]uint32, slots),
		n:     make([]uint32, slots),
	}
	mask := uint32(slots - 1)
	for _, k := range keys {
		s := (k * multiHashMul) >> t.shift
		for t.from[s] != 0 {
			s = (s + 1) & mask
		}
		t.keys[s] = k
		t.from[s] = uint32(len(t.entries)) + 1
		t.n[s] = uint32(len(m[k]))
		t.entries = append(t.entries, m[k]...)
	}
	return t
}

// lookup returns the entries of a key.
func (t *gramTable) lookup(k uint32) []multiEntry {
	if len(t.entries) == 0 {
		return nil
	}
	mask := uint32(len(t.keys) - 1)
	for s := (k * multiHashMul) >> (t.shift & 31); t.from[s] != 0; s = (s + 1) & mask {
		if t.keys[s] == k {
			f := t.from[s] - 1
			return t.entries[f : f+t.n[s]]
		}
	}
	return nil
}

// scan appends every needle occurrence in text to hits and returns the
// extended slice. The order of hits is not that of the text.
func (x *multiIndex) scan(text string, hits []hit) []hit {
	n := len(text)
	if n == 0 || len(x.bitmap) == 0 {
		return hits
	}
	// The loop reads the text 4 bytes at a time, without copying it, and
	// tests bitmap bits without bounds checks: every hash shifted right by
	// bitShift is below the bitmap's size by construction.
	b := unsafe.Slice(unsafe.StringData(text), n)
	bm := unsafe.Pointer(unsafe.SliceData(x.bitmap))
	shift := x.bitShift & 31
	test := func(k uint32) bool {
		h := (k * multiHashMul) >> shift
		return *(*uint64)(unsafe.Add(bm, uintptr(h>>6)*8))&(1<<(h&63)) != 0
	}
	grams := len(x.anchors.entries) > 0
	has1, has2, has3 := x.hasLen[1], x.hasLen[2], x.hasLen[3]
	if st := x.stride; st > 1 {
		// Long needles only (see stride).
		for i := 0; i+multiGram <= n; i += st {
			g := binary.LittleEndian.Uint32(b[i:])
			if test(g) {
				hits = x.verify(text, i, g, hits)
			}
		}
		return hits
	}
	for i := 0; i+multiGram <= n; i++ {
		g := binary.LittleEndian.Uint32(b[i:])
		if grams && test(g) {
			hits = x.verify(text, i, g, hits)
		}
		if has3 && test(shortKey(g, 3)) {
			hits = x.hitShort(shortKey(g, 3), i+3, hits)
		}
		if has2 && test(shortKey(g, 2)) {
			hits = x.hitShort(shortKey(g, 2), i+2, hits)
		}
		if has1 && test(shortKey(g, 1)) {
			hits = x.hitShort(shortKey(g, 1), i+1, hits)
		}
	}
	// The last positions, where fewer than 4 bytes remain, for short needles.
	if has1 || has2 || has3 {
		for i := max(0, n-multiGram+1); i < n; i++ {
			var g uint32
			for j := n - 1; j >= i; j-- {
				g = g<<8 | uint32(b[j])
			}
			for l := 1; l <= n-i && l < multiGram; l++ {
				if x.hasLen[l] && test(shortKey(g, l)) {
					hits = x.hitShort(shortKey(g, l), i+l, hits)
				}
			}
		}
	}
	return hits
}

// verify checks the needles anchored on the gram found at offset i.
func (x *multiIndex) verify(text string, i int, g uint32, hits []hit) []hit {
	for _, e := range x.anchors.lookup(g) {
		start := i - int(e.off)
		p := x.pats[e.pat]
		end := start + len(p)
		if start >= 0 && end <= len(text) && text[start:end] == p {
			hits = append(hits, hit{pat: e.pat, end: int32(end)})
		}
	}
	return hits
}

func (x *multiIndex) hitShort(k uint32, end int, hits []hit) []hit {
	for _, e := range x.short.lookup(k) {
		hits = append(hits, hit{pat: e.pat, end: int32(end)})
	}
	return hits
}

// gramCommonness guesses how common a gram is in Windows event text from
// its bytes, to choose between grams equally rare among the needles.
func gramCommonness(g string) int {
	n := 0
	for i := 0; i < len(g); i++ {
		n += int(byteCommonness(g[i]))
	}
	return n
}

func byteCommonness(c byte) uint8 {
	switch {
	case c == 'e' || c == 't' || c == 'a' || c == 'o' || c == 'i' || c == 'n' || c == 's' || c == 'r':
		return 9
	case c == ' ' || c == '\\' || c == '.' || c == ':' || c == '-' || c == '/' || c == '_':
		return 8
	case 'a' <= c && c <= 'z' && c != 'v' && c != 'k' && c != 'x' && c != 'j' && c != 'q' && c != 'z':
		return 7
	case '0' <= c && c <= '9':
		return 6
	case c == 0:
		return 5
	case 'a' <= c && c <= 'z':
		return 4
	case c >= 0x80:
		return 2
	}
	return 3
}

// hit is one needle occurrence: needle index and the offset just past its
// end.
type hit struct {
	pat int32
	end int32
}
