package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/breakwater/breakwater/evtx"
	"github.com/breakwater/breakwater/internal/event"
)

// Batch is a run of consecutive events of one input, with the damage met
// while reading them.
type Batch struct {
	Input  *Input
	Index  int // position of the input in the list given to Read
	Seq    int // position of the batch within its input, from 0
	Events []event.Event
	Damage []Damage
	// Bytes is how many bytes of the input (as counted by Input.Size) the
	// batch consumed, for progress reports.
	Bytes int64
	// Last is set on the final batch of an input.
	Last bool
	// Value carries what Reader.Process made of the batch.
	Value any
}

// Damage is a record or structure of an input that could not be read. It is
// a warning: reading goes on around it.
type Damage struct {
	Input  string
	Offset int64 // byte offset in the (decompressed) input, -1 if unknown
	Line   int   // line number in a text input, 0 if none
	Reason string
}

func (d Damage) String() string {
	switch {
	case d.Line > 0:
		return d.Input + ":" + strconv.Itoa(d.Line) + ": " + d.Reason
	case d.Offset >= 0:
		return d.Input + ": offset " + strconv.FormatInt(d.Offset, 10) + ": " + d.Reason
	}
	return d.Input + ": " + d.Reason
}

// Reader reads inputs in parallel and hands their batches on in order.
type Reader struct {
	// Workers is the number of goroutines that read and parse; 0 means one
	// per CPU.
	Workers int
	// Process, when set, is called on every batch by the worker that read
	// it, in parallel with other batches, before the batch is handed on. It
	// lets the expensive per-event work (rendering, matching) run on all
	// cores while the results still come out in order.
	Process func(worker int, b *Batch)
	// BatchSize is the number of events per batch of a text input, and
	// ChunksPerJob the number of EVTX chunks one worker parses as a unit.
	// Zero means the defaults.
	BatchSize    int
	ChunksPerJob int
	// Transient says that no event outlives Process: the events of one
	// EVTX chunk may then share their storage, which saves two allocations
	// per record (dump renders each batch and forgets it). A reader whose
	// events are kept, even a single value of them, must leave it unset:
	// one kept value would keep its whole chunk.
	Transient bool
}

// job is a unit of work: all or part of one input. Its batches go to out in
// order, and jobs are handed on in the order they were created, so the
// output order does not depend on which worker ran which job.
type job struct {
	input *Input
	index int
	run   func(w *worker, emit func(*Batch))
	out   chan *Batch
	done  func() // called when the job has run
}

// worker is the state one goroutine keeps between jobs.
type worker struct {
	id     int
	parser *evtx.Parser
	chunk  []byte
	buf    []byte
	fields []evtx.Field
	r      *Reader
	// For Transient readers: the values and field positions of all the
	// records of the current chunk, and where each record's start.
	chunkVals   []byte
	chunkFields []evtx.Field
	recStarts   []recStart
}

// recStart is where one record's values and fields start in a chunk's.
type recStart struct{ val, field int }

// Read reads the inputs and calls emit for each batch, on the caller's
// goroutine, in order: inputs in the order given, batches of an input in
// the order of its records. It returns the first error emit returns, or the
// context's error; damage in the inputs is reported in batches, not as an
// error.
func (r *Reader) Read(ctx context.Context, inputs []Input, emit func(*Batch) error) error {
	workers := r.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// Jobs are created in order by one goroutine; order carries them to the
	// consumer in that order and work to whichever worker is free. The
	// capacity of order bounds the number of jobs in flight, and so memory.
	order := make(chan *job, 2*workers+2)
	work := make(chan *job)
	go func() {
		defer close(order)
		defer close(work)
		for i := range inputs {
			if !r.jobs(ctx, &inputs[i], i, func(j *job) bool {
				select {
				case order <- j:
				case <-ctx.Done():
					return false
				}
				select {
				case work <- j:
					return true
				case <-ctx.Done():
					close(j.out)
					return false
				}
			}) {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for id := 0; id < workers; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{id: id, r: r}
			for j := range work {
				w.runJob(ctx, j)
			}
		}()
	}
	var err error
	for j := range order {
		for b := range j.out {
			if err == nil {
				err = emit(b)
				if err != nil {
					cancel()
				}
			}
		}
	}
	wg.Wait()
	if err == nil {
		err = parent.Err()
	}
	return err
}

func (w *worker) runJob(ctx context.Context, j *job) {
	defer close(j.out)
	if j.done != nil {
		defer j.done()
	}
	j.run(w, func(b *Batch) {
		b.Input, b.Index = j.input, j.index
		if w.r.Process != nil {
			w.r.Process(w.id, b)
		}
		select {
		case j.out <- b:
		case <-ctx.Done():
		}
	})
}

// jobs creates the jobs of one input and passes them to add, which returns
// false when reading stops.
func (r *Reader) jobs(ctx context.Context, in *Input, index int, add func(*job) bool) bool {
	newJob := func(run func(w *worker, emit func(*Batch))) *job {
		return &job{input: in, index: index, run: run, out: make(chan *Batch, 4)}
	}
	if in.Format == event.FormatEVTX && in.path != "" && in.member == "" && !in.compressed {
		return r.evtxFileJobs(ctx, in, newJob, add)
	}
	return add(newJob(func(w *worker, emit func(*Batch)) { w.readStream(in, emit) }))
}

// evtxFileJobs splits an EVTX file on disk into runs of chunks that workers
// parse in parallel.
func (r *Reader) evtxFileJobs(ctx context.Context, in *Input, newJob func(func(*worker, func(*Batch))) *job, add func(*job) bool) bool {
	fail := func(reason string) bool {
		return add(newJob(func(w *worker, emit func(*Batch)) {
			emit(&Batch{Damage: []Damage{{Input: in.Name, Offset: -1, Reason: reason}}, Bytes: in.Size, Last: true})
		}))
	}
	f, err := os.Open(in.path)
	if err != nil {
		return fail("cannot read: " + plainErr(err).Error())
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fail("cannot read: " + plainErr(err).Error())
	}
	ef, err := evtx.Open(f, st.Size())
	if err != nil {
		f.Close()
		return fail(err.Error())
	}
	per := r.ChunksPerJob
	if per <= 0 {
		per = 8
	}
	n := ef.NumChunks()
	var jobs int
	for a := 0; a < n || a == 0; a += per {
		jobs++
	}
	var mu sync.Mutex
	remaining := jobs
	closeFile := func() {
		mu.Lock()
		remaining--
		last := remaining == 0
		mu.Unlock()
		if last {
			f.Close()
		}
	}
	seq := 0
	for a := 0; a < n || a == 0; a += per {
		b := min(a+per, n)
		s := seq
		seq++
		last := b >= n
		j := newJob(func(w *worker, emit func(*Batch)) {
			batch := &Batch{Seq: s, Last: last, Bytes: int64(b-a) * evtx.ChunkSize}
			if a == 0 {
				batch.Bytes += evtx.FileHeaderSize
			}
			for i := a; i < b; i++ {
				if ctx.Err() != nil {
					break
				}
				data, err := ef.ReadChunk(i, w.chunkBuf())
				if err != nil {
					batch.Damage = append(batch.Damage, Damage{Input: in.Name, Offset: evtx.ChunkOffset(i), Reason: err.Error()})
					continue
				}
				w.parseChunk(in, ef.Header, i, data, batch)
				if w.r.Transient {
					w.transientEvents(batch.Events)
				}
			}
			if last && ef.Missing() > 0 {
				batch.Damage = append(batch.Damage, Damage{Input: in.Name, Offset: st.Size(),
					Reason: fmt.Sprintf("file cut short: the last chunk lacks %d bytes", ef.Missing())})
			}
			if last {
				batch.Bytes = in.Size - int64(a)*evtx.ChunkSize
				if a > 0 {
					batch.Bytes -= evtx.FileHeaderSize
				}
			}
			emit(batch)
		})
		j.done = closeFile
		if !add(j) {
			// The jobs not yet added will never run: close the file now.
			for ; seq < jobs; seq++ {
				closeFile()
			}
			return false
		}
	}
	return true
}

func (w *worker) chunkBuf() []byte {
	if w.chunk == nil {
		w.chunk = make([]byte, evtx.ChunkSize)
	}
	return w.chunk
}

// parseChunk appends the events of one EVTX chunk to a batch.
func (w *worker) parseChunk(in *Input, h evtx.FileHeader, i int, data []byte, b *Batch) {
	if w.parser == nil {
		w.parser = evtx.NewParser()
	}
	c, err := w.parser.Chunk(data, evtx.ChunkOffset(i))
	if err != nil {
		if h.Accounts(i) {
			b.Damage = append(b.Damage, evtxDamage(in, err))
		}
		return
	}
	if c == nil {
		return
	}
	if n := c.Header.LastRecordID - c.Header.FirstRecordID + 1; n > 0 && n <= 4096 {
		b.Events = slices.Grow(b.Events, int(n))
	}
	for {
		rec, err := c.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			b.Damage = append(b.Damage, evtxDamage(in, err))
			continue
		}
		w.buf, w.fields, err = rec.AppendFields(w.buf[:0], w.fields[:0])
		if err != nil {
			b.Damage = append(b.Damage, evtxDamage(in, err))
			continue
		}
		b.Events = append(b.Events, event.Event{})
		ev := &b.Events[len(b.Events)-1]
		ev.Source = event.Source{File: in.Name, Format: event.FormatEVTX, Offset: rec.Offset}
		if w.r.Transient {
			w.recStarts = append(w.recStarts, recStart{len(w.chunkVals), len(w.chunkFields)})
			base := len(w.chunkVals)
			w.chunkVals = append(w.chunkVals, w.buf...)
			for _, f := range w.fields {
				f.Start += base
				f.End += base
				w.chunkFields = append(w.chunkFields, f)
			}
			continue
		}
		evtxEvent(ev, w.buf, w.fields)
	}
}

// transientEvents builds the events of one chunk from the values and
// fields gathered by parseChunk: one string and one slice for the chunk.
func (w *worker) transientEvents(events []event.Event) {
	if len(w.recStarts) == 0 {
		return
	}
	all := string(w.chunkVals)
	slab := make([]event.Field, len(w.chunkFields))
	for i, f := range w.chunkFields {
		slab[i] = event.Field{Name: f.Name, Value: canonical(all[f.Start:f.End])}
	}
	first := len(events) - len(w.recStarts)
	for i, st := range w.recStarts {
		end := len(slab)
		if i+1 < len(w.recStarts) {
			end = w.recStarts[i+1].field
		}
		ev := &events[first+i]
		ev.Fields = slab[st.field:end:end]
		ev.Normalize()
	}
	w.chunkVals, w.chunkFields, w.recStarts = w.chunkVals[:0], w.chunkFields[:0], w.recStarts[:0]
}

// evtxEvent builds an event from a flattened record: one string holds all
// values, so a record costs two allocations whatever its number of fields.
func evtxEvent(ev *event.Event, buf []byte, fields []evtx.Field) {
	all := string(buf)
	ev.Fields = make([]event.Field, len(fields))
	for i, f := range fields {
		ev.Fields[i] = event.Field{Name: f.Name, Value: canonical(all[f.Start:f.End])}
	}
	ev.Normalize()
}

// canonical returns a value as every reader renders it: Windows writes
// some GUIDs as text in lower case, and exports differ again, so GUIDs are
// compared in one canonical form.
func canonical(v string) string {
	if len(v) == 36 || len(v) == 38 {
		if g, ok := event.CanonicalGUID(v); ok && g != v {
			return g
		}
	}
	return v
}

func evtxDamage(in *Input, err error) Damage {
	var e *evtx.Error
	if errors.As(err, &e) {
		return Damage{Input: in.Name, Offset: e.Offset, Reason: e.What + ": " + e.Reason}
	}
	return Damage{Input: in.Name, Offset: -1, Reason: err.Error()}
}

// readStream reads an input sequentially: a compressed or archived EVTX
// file, standard input, or a text export.
func (w *worker) readStream(in *Input, emit func(*Batch)) {
	seq := 0
	batchSize := w.r.BatchSize
	if batchSize <= 0 {
		batchSize = 2048
	}
	counter := &countingReader{}
	flush := func(b *Batch, last bool) *Batch {
		b.Seq, b.Last = seq, last
		b.Bytes = counter.take(in, last)
		seq++
		emit(b)
		return &Batch{}
	}
	b := &Batch{}
	rc, err := in.open()
	if err != nil {
		b.Damage = append(b.Damage, Damage{Input: in.Name, Offset: -1, Reason: "cannot read: " + err.Error()})
		flush(b, true)
		return
	}
	defer rc.Close()
	counter.r = rc
	if in.compressed || in.member != "" {
		// Progress counts compressed bytes; only the total is known.
		counter.compressed = true
	}
	switch in.Format {
	case event.FormatEVTX:
		s, err := evtx.NewStream(counter)
		if err != nil {
			b.Damage = append(b.Damage, Damage{Input: in.Name, Offset: -1, Reason: err.Error()})
			break
		}
		for {
			data, i, err := s.Next(w.chunkBuf())
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Damage = append(b.Damage, evtxDamage(in, err))
				if data == nil {
					break
				}
			}
			w.parseChunk(in, s.Header, i, data, b)
			if len(b.Events) >= batchSize {
				b = flush(b, false)
			}
		}
	default:
		var dec Decoder
		switch in.Format {
		case event.FormatXML:
			dec = NewXMLDecoder(counter, in.Name)
		case event.FormatZeekTSV, event.FormatZeekJSON:
			dec = NewZeekDecoder(counter, in.Name)
		default:
			dec = NewJSONDecoder(counter, in.Name)
		}
		var ev event.Event
		for {
			err := dec.Next(&ev)
			if err == io.EOF {
				break
			}
			var re *RecordError
			if errors.As(err, &re) {
				b.Damage = append(b.Damage, Damage{Input: in.Name, Offset: re.Offset, Line: re.Line, Reason: re.Reason})
				continue
			}
			if err != nil {
				b.Damage = append(b.Damage, Damage{Input: in.Name, Offset: -1, Reason: "reading stopped: " + err.Error()})
				break
			}
			b.Events = append(b.Events, ev)
			ev = event.Event{} // the batch keeps the fields
			if len(b.Events) >= batchSize {
				b = flush(b, false)
			}
		}
	}
	flush(b, true)
}

// countingReader counts the bytes read, for progress.
type countingReader struct {
	r          io.Reader
	n, taken   int64
	compressed bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// take returns the bytes read since the last call, in the input's units:
// for a compressed input, nothing until the whole input at the end.
func (c *countingReader) take(in *Input, last bool) int64 {
	if c.compressed {
		if last {
			return in.Size
		}
		return 0
	}
	d := c.n - c.taken
	c.taken = c.n
	return d
}
