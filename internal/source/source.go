// Package source turns the paths a user gives into streams of events: it
// finds files in folders and globs, looks inside .gz and .zip files, tells
// each stream's format from its content, and reads many inputs - and the
// chunks of one large EVTX file - in parallel while handing the events on
// in a stable order.
package source

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/breakwater/breakwater/internal/event"
)

// Input is one stream of records to read: a file, a member of a zip
// archive, or standard input, already known to be in a format Breakwater
// reads.
type Input struct {
	// Name is how findings and messages refer to the input: the path as
	// found, "archive.zip!member" inside an archive, "-" for standard input.
	Name   string
	Format event.Format
	// Size is the number of bytes to read from disk (compressed bytes for a
	// compressed input), for progress reports.
	Size int64

	path       string    // file on disk; empty for standard input
	member     string    // zip member, when the input is inside an archive
	compressed bool      // the file or member is gzip-compressed
	stdin      io.Reader // standard input, decompressed, its sniffed head still unread
}

// Skipped is a file that was found but not read, and why.
type Skipped struct {
	Name   string
	Reason string
}

// Discovery is what Discover found.
type Discovery struct {
	Inputs  []Input
	Skipped []Skipped
}

// Options tune discovery.
type Options struct {
	// Stdin is read for the path "-". Nil means os.Stdin.
	Stdin io.Reader
}

// Discover resolves paths - files, folders (recursively), glob patterns,
// "-" for standard input - into inputs, in a deterministic order: the order
// of the arguments, and lexical order within a folder, glob or archive.
// Files that are not logs are listed as skipped with the reason. A path that
// does not exist, or a glob that matches nothing, is an error: the user
// mistyped something and must be told.
func Discover(paths []string, opt Options) (*Discovery, error) {
	d := &Discovery{}
	seen := map[string]bool{}
	for _, arg := range paths {
		if arg == "-" {
			in, reason, err := sniffStdin(opt.Stdin)
			if err != nil {
				return nil, err
			}
			if reason != "" {
				d.Skipped = append(d.Skipped, Skipped{Name: "-", Reason: reason})
				continue
			}
			d.Inputs = append(d.Inputs, in)
			continue
		}
		matches := []string{arg}
		if strings.ContainsAny(arg, "*?[") {
			var err error
			matches, err = filepath.Glob(arg)
			if err != nil {
				return nil, fmt.Errorf("pattern %q: %w", arg, err)
			}
			if len(matches) == 0 {
				return nil, fmt.Errorf("%s: no file matches this pattern", arg)
			}
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", m, plainErr(err))
			}
			if !st.IsDir() {
				d.addFile(m, st.Size(), seen)
				continue
			}
			err = filepath.WalkDir(m, func(path string, e fs.DirEntry, err error) error {
				if err != nil {
					d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: plainErr(err).Error()})
					if e != nil && e.IsDir() {
						return fs.SkipDir
					}
					return nil
				}
				if e.IsDir() {
					return nil
				}
				if e.Type()&fs.ModeSymlink != 0 {
					// A link to a file is read like the file; links to
					// folders are not followed, so a loop cannot trap the
					// walk.
					st, err := os.Stat(path)
					switch {
					case err != nil:
						d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: "broken link: " + plainErr(err).Error()})
					case st.Mode().IsRegular():
						d.addFile(path, st.Size(), seen)
					case st.IsDir():
						d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: "link to a folder (not followed: give the folder itself)"})
					}
					return nil
				}
				if !e.Type().IsRegular() {
					return nil
				}
				info, err := e.Info()
				if err != nil {
					d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: plainErr(err).Error()})
					return nil
				}
				d.addFile(path, info.Size(), seen)
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	return d, nil
}

// plainErr drops the operation and path that os errors repeat, since the
// caller names the path itself.
func plainErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (d *Discovery) addFile(path string, size int64, seen map[string]bool) {
	abs, err := filepath.Abs(path)
	if err == nil {
		if seen[abs] {
			return
		}
		seen[abs] = true
	}
	f, err := os.Open(path)
	if err != nil {
		d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: plainErr(err).Error()})
		return
	}
	defer f.Close()
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: plainErr(err).Error()})
		return
	}
	head = head[:n]
	switch {
	case n == 0:
		d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: "empty file"})
	case bytes.HasPrefix(head, zipMagic):
		d.addZip(path, f, size)
	case bytes.HasPrefix(head, gzipMagic):
		format, reason := sniffGzip(io.MultiReader(bytes.NewReader(head), f))
		if format == "" {
			d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: reason})
			return
		}
		d.Inputs = append(d.Inputs, Input{Name: path, Format: format, Size: size, path: path, compressed: true})
	default:
		format := Sniff(head)
		if format == "" {
			d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: "not a log format Breakwater reads (" + describe(head) + ")"})
			return
		}
		d.Inputs = append(d.Inputs, Input{Name: path, Format: format, Size: size, path: path})
	}
}

var (
	zipMagic  = []byte("PK\x03\x04")
	gzipMagic = []byte{0x1f, 0x8b}
)

// sniffGzip decompresses the start of a gzip stream and tells its format.
func sniffGzip(r io.Reader) (event.Format, string) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return "", "damaged gzip data: " + err.Error()
	}
	head := make([]byte, SniffLen)
	n, err := io.ReadFull(zr, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) && n == 0 {
		return "", "damaged gzip data: " + err.Error()
	}
	if f := Sniff(head[:n]); f != "" {
		return f, ""
	}
	return "", "compressed, but not a log format Breakwater reads (" + describe(head[:n]) + ")"
}

func (d *Discovery) addZip(path string, f *os.File, size int64) {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		d.Skipped = append(d.Skipped, Skipped{Name: path, Reason: "damaged zip archive: " + err.Error()})
		return
	}
	members := append([]*zip.File(nil), zr.File...)
	sort.Slice(members, func(i, j int) bool { return members[i].Name < members[j].Name })
	for _, m := range members {
		if m.FileInfo().IsDir() {
			continue
		}
		name := path + "!" + m.Name
		rc, err := m.Open()
		if err != nil {
			d.Skipped = append(d.Skipped, Skipped{Name: name, Reason: err.Error()})
			continue
		}
		br := bufio.NewReaderSize(rc, SniffLen)
		head, _ := br.Peek(SniffLen)
		var format event.Format
		reason := ""
		compressed := bytes.HasPrefix(head, gzipMagic)
		switch {
		case len(head) == 0:
			reason = "empty file"
		case bytes.HasPrefix(head, zipMagic):
			reason = "zip archive inside a zip archive: extract it first"
		case compressed:
			format, reason = sniffGzip(br)
		default:
			if format = Sniff(head); format == "" {
				reason = "not a log format Breakwater reads (" + describe(head) + ")"
			}
		}
		rc.Close()
		if format == "" {
			d.Skipped = append(d.Skipped, Skipped{Name: name, Reason: reason})
			continue
		}
		d.Inputs = append(d.Inputs, Input{Name: name, Format: format, Size: int64(m.CompressedSize64),
			path: path, member: m.Name, compressed: compressed})
	}
}

// sniffStdin tells the format of standard input, or why it cannot be read.
func sniffStdin(r io.Reader) (in Input, skip string, err error) {
	if r == nil {
		r = os.Stdin
	}
	// Peeking through buffers keeps every byte for the reader that follows.
	br := bufio.NewReaderSize(r, SniffLen)
	head, err := br.Peek(SniffLen)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return in, "", fmt.Errorf("standard input: %w", err)
	}
	in = Input{Name: "-", stdin: br}
	switch {
	case len(head) == 0:
		return in, "standard input is empty", nil
	case bytes.HasPrefix(head, zipMagic):
		return in, "", errors.New("standard input: a zip archive cannot be read from standard input; pass the file instead")
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return in, "", fmt.Errorf("standard input: damaged gzip data: %w", err)
		}
		bz := bufio.NewReaderSize(zr, SniffLen)
		in.stdin = bz
		if head, err = bz.Peek(SniffLen); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return in, "", fmt.Errorf("standard input: damaged gzip data: %w", err)
		}
	}
	if in.Format = Sniff(head); in.Format == "" {
		return in, "not a log format Breakwater reads (" + describe(head) + ")", nil
	}
	return in, "", nil
}

// open returns the decompressed stream of an input.
func (in *Input) open() (io.ReadCloser, error) {
	if in.Name == "-" && in.path == "" {
		if in.stdin == nil {
			return nil, errors.New("standard input can be read only once")
		}
		r := in.stdin
		in.stdin = nil
		return io.NopCloser(r), nil
	}
	var rc io.ReadCloser
	if in.member != "" {
		zf, err := zip.OpenReader(in.path)
		if err != nil {
			return nil, err
		}
		var m *zip.File
		for _, f := range zf.File {
			if f.Name == in.member {
				m = f
				break
			}
		}
		if m == nil {
			zf.Close()
			return nil, fmt.Errorf("member %s no longer in the archive", in.member)
		}
		r, err := m.Open()
		if err != nil {
			zf.Close()
			return nil, err
		}
		rc = multiCloser{r, r, zf}
	} else {
		f, err := os.Open(in.path)
		if err != nil {
			return nil, plainErr(err)
		}
		rc = f
	}
	if !in.compressed {
		return rc, nil
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(rc, 1<<16))
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return multiCloser{zr, zr, rc}, nil
}

type multiCloser struct {
	io.Reader
	a, b io.Closer
}

func (m multiCloser) Close() error {
	return errors.Join(m.a.Close(), m.b.Close())
}

// describe says in a few words what a file that is not a log looks like.
func describe(head []byte) string {
	if len(head) == 0 {
		return "empty"
	}
	printable := 0
	for _, c := range head[:min(len(head), 512)] {
		if c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c < 0x7f) || c >= 0x80 {
			printable++
		}
	}
	if printable < min(len(head), 512)*9/10 {
		return "binary data"
	}
	return "text that is neither an event export nor a Zeek log"
}
