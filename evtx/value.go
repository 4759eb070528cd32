package evtx

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Value types of BinXML substitutions. An array of a type has the 0x80 bit
// set.
const (
	typeNull       = 0x00
	typeString     = 0x01
	typeAnsiString = 0x02
	typeInt8       = 0x03
	typeUInt8      = 0x04
	typeInt16      = 0x05
	typeUInt16     = 0x06
	typeInt32      = 0x07
	typeUInt32     = 0x08
	typeInt64      = 0x09
	typeUInt64     = 0x0a
	typeReal32     = 0x0b
	typeReal64     = 0x0c
	typeBool       = 0x0d
	typeBinary     = 0x0e
	typeGUID       = 0x0f
	typeSizeT      = 0x10
	typeFileTime   = 0x11
	typeSysTime    = 0x12
	typeSID        = 0x13
	typeHexInt32   = 0x14
	typeHexInt64   = 0x15
	typeEvtHandle  = 0x20
	typeBinXML     = 0x21
	typeEvtXML     = 0x23

	typeArray = 0x80
)

// fixedSize is the size of one element of a fixed-size type, 0 for types of
// variable size.
func fixedSize(t byte) int {
	switch t {
	case typeInt8, typeUInt8:
		return 1
	case typeInt16, typeUInt16:
		return 2
	case typeInt32, typeUInt32, typeReal32, typeBool, typeHexInt32:
		return 4
	case typeInt64, typeUInt64, typeReal64, typeFileTime, typeHexInt64:
		return 8
	case typeGUID, typeSysTime:
		return 16
	}
	return 0
}

// appendScalar renders one value of type t (not an array, not BinXML) the
// way Windows renders it in event XML.
func appendScalar(dst []byte, t byte, b []byte) []byte {
	le := binary.LittleEndian
	switch t {
	case typeNull:
		return dst
	case typeString:
		return appendUTF16(dst, b)
	case typeAnsiString:
		return appendANSI(dst, b)
	case typeInt8:
		return strconv.AppendInt(dst, int64(int8(uintN(b, 1))), 10)
	case typeUInt8:
		return strconv.AppendUint(dst, uintN(b, 1), 10)
	case typeInt16:
		return strconv.AppendInt(dst, int64(int16(uintN(b, 2))), 10)
	case typeUInt16:
		return strconv.AppendUint(dst, uintN(b, 2), 10)
	case typeInt32:
		return strconv.AppendInt(dst, int64(int32(uintN(b, 4))), 10)
	case typeUInt32:
		return strconv.AppendUint(dst, uintN(b, 4), 10)
	case typeInt64:
		return strconv.AppendInt(dst, int64(uintN(b, 8)), 10)
	case typeUInt64:
		return strconv.AppendUint(dst, uintN(b, 8), 10)
	case typeReal32:
		return strconv.AppendFloat(dst, float64(math.Float32frombits(uint32(uintN(b, 4)))), 'g', -1, 32)
	case typeReal64:
		return strconv.AppendFloat(dst, math.Float64frombits(uintN(b, 8)), 'g', -1, 64)
	case typeBool:
		// Any non-zero value is true: some providers write 2 or -1.
		if uintN(b, 4) != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case typeGUID:
		if len(b) != 16 {
			return appendHexBytes(dst, b)
		}
		dst = append(dst, '{')
		dst = appendHexFixed(dst, uint64(le.Uint32(b[0:])), 8)
		dst = append(dst, '-')
		dst = appendHexFixed(dst, uint64(le.Uint16(b[4:])), 4)
		dst = append(dst, '-')
		dst = appendHexFixed(dst, uint64(le.Uint16(b[6:])), 4)
		dst = append(dst, '-')
		dst = appendHexBytes(dst, b[8:10])
		dst = append(dst, '-')
		dst = appendHexBytes(dst, b[10:16])
		return append(dst, '}')
	case typeSizeT, typeHexInt32, typeHexInt64, typeEvtHandle:
		return appendHex(dst, uintN(b, len(b)))
	case typeFileTime:
		return appendFileTime(dst, uintN(b, 8))
	case typeSysTime:
		return appendSysTime(dst, b)
	case typeSID:
		return appendSID(dst, b)
	case typeBinary, typeEvtXML:
		return appendHexBytes(dst, b)
	default:
		return appendHexBytes(dst, b)
	}
}

// uintN reads a little-endian unsigned integer of n bytes (at most 8) from
// b, zero-extending when b is shorter: a damaged value renders, it does not
// fail the record.
func uintN(b []byte, n int) uint64 {
	if n > 8 {
		n = 8
	}
	if len(b) < n {
		n = len(b)
	}
	var v uint64
	for i := n - 1; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

const hexUpper = "0123456789ABCDEF"
const hexLower = "0123456789abcdef"

// appendHex renders v as Windows renders hexadecimal integers: 0x and lower
// case digits without padding.
func appendHex(dst []byte, v uint64) []byte {
	dst = append(dst, '0', 'x')
	return strconv.AppendUint(dst, v, 16)
}

func appendHexFixed(dst []byte, v uint64, digits int) []byte {
	for i := digits - 1; i >= 0; i-- {
		dst = append(dst, hexUpper[(v>>(4*uint(i)))&0xf])
	}
	return dst
}

func appendHexBytes(dst, b []byte) []byte {
	for _, c := range b {
		dst = append(dst, hexUpper[c>>4], hexUpper[c&0xf])
	}
	return dst
}

// appendSID renders a security identifier as S-R-A-S1-S2-...
func appendSID(dst, b []byte) []byte {
	if len(b) < 8 {
		return appendHexBytes(dst, b)
	}
	dst = append(dst, 'S', '-')
	dst = strconv.AppendUint(dst, uint64(b[0]), 10)
	var auth uint64
	for _, c := range b[2:8] {
		auth = auth<<8 | uint64(c)
	}
	dst = append(dst, '-')
	if auth >= 1<<32 {
		dst = appendHex(dst, auth)
	} else {
		dst = strconv.AppendUint(dst, auth, 10)
	}
	n := int(b[1])
	for i := 0; i < n && 8+4*i+4 <= len(b); i++ {
		dst = append(dst, '-')
		dst = strconv.AppendUint(dst, uint64(binary.LittleEndian.Uint32(b[8+4*i:])), 10)
	}
	return dst
}

// appendFileTime renders a FILETIME as RFC 3339 UTC with seven fraction
// digits, the FILETIME's own resolution.
func appendFileTime(dst []byte, ft uint64) []byte {
	const ticksPerDay = 864000000000
	days := int64(ft / ticksPerDay)
	rem := ft % ticksPerDay
	// Days since 1601-01-01 to days since 0000-03-01 (proleptic Gregorian).
	y, m, d := civil(days + 584694)
	secs := rem / 1e7
	frac := rem % 1e7
	return appendStamp(dst, y, m, d, int(secs/3600), int(secs/60%60), int(secs%60), frac)
}

// appendSysTime renders a SYSTEMTIME (year, month, weekday, day, hour,
// minute, second, millisecond as 16-bit integers) like a FILETIME.
func appendSysTime(dst, b []byte) []byte {
	if len(b) < 16 {
		return appendHexBytes(dst, b)
	}
	le := binary.LittleEndian
	return appendStamp(dst, int64(le.Uint16(b[0:])), int(le.Uint16(b[2:])), int(le.Uint16(b[6:])),
		int(le.Uint16(b[8:])), int(le.Uint16(b[10:])), int(le.Uint16(b[12:])), uint64(le.Uint16(b[14:]))*10000)
}

// civil converts a count of days since 0000-03-01 to a date (the algorithm
// of Howard Hinnant's "chrono-compatible low-level date algorithms").
func civil(z int64) (year int64, month, day int) {
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

func appendStamp(dst []byte, y int64, mo, d, h, mi, s int, frac uint64) []byte {
	dst = appendDigits(dst, uint64(y), 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, uint64(mo), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, uint64(d), 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, uint64(h), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, uint64(mi), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, uint64(s), 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, frac, 7)
	return append(dst, 'Z')
}

// appendDigits appends v in decimal, zero-padded to at least n digits.
func appendDigits(dst []byte, v uint64, n int) []byte {
	var b [20]byte
	i := len(b)
	for v > 0 || n > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		n--
	}
	return append(dst, b[i:]...)
}
