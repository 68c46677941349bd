package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// properties reads --property values, refusing keys the tool does not know
// (Kafka ignores them silently; a typo here should not go unnoticed).
func properties(vs []string, defaults map[string]string) (map[string]string, error) {
	m, err := keyValues("property", vs)
	if err != nil {
		return nil, err
	}
	for k := range m {
		if _, ok := defaults[k]; !ok {
			return nil, fmt.Errorf("--property %s: unknown property", k)
		}
	}
	for k, v := range defaults {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return m, nil
}

func runConsoleProducer(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice console-producer", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	bootstrap := fs.String("bootstrap-server", "", "REQUIRED unless --broker-list: the Kafka server(s) to connect to, host:port[,host:port…]")
	brokerList := fs.String("broker-list", "", "the older name of --bootstrap-server (Kafka 2.x's console producer); ignored if --bootstrap-server is given")
	topic := fs.String("topic", "", "REQUIRED: the topic to produce to")
	acks := fs.String("request-required-acks", "-1", "the acknowledgements the leader must have before answering: all or -1, 1, 0")
	var props listFlag
	fs.Var(&props, "property", "a reader property, key=value (repeatable): parse.key, key.separator, ignore.error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *topic == "" {
		return errors.New("missing required argument \"[topic]\"")
	}
	p, err := properties(props, map[string]string{"parse.key": "false", "key.separator": "\t", "ignore.error": "false"})
	if err != nil {
		return err
	}
	opts := []kgo.Opt{kgo.DefaultProduceTopic(*topic), kgo.ClientID("console-producer"),
		kgo.AllowAutoTopicCreation(), kgo.RecordDeliveryTimeout(2 * time.Minute)}
	switch *acks {
	case "all", "-1":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite())
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite())
	default:
		return fmt.Errorf("--request-required-acks %q: want all, -1, 1 or 0", *acks)
	}
	if *bootstrap == "" {
		*bootstrap = *brokerList
	}
	cl, err := kafkaClient(*bootstrap, opts...)
	if err != nil {
		return err
	}
	// Kafka's console producer prompts with ">" before each line when it
	// has a console, which the JVM grants when both stdin and stdout are
	// terminals; piped input gets no prompt.
	prompt := isTTY(e.stdin) && isTTY(e.stdout)

	var (
		mu       sync.Mutex
		sent     int
		failed   int
		firstErr error
	)
	done := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			if failed++; firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	}
	parseKey, _ := strconv.ParseBool(p["parse.key"])
	ignoreErr, _ := strconv.ParseBool(p["ignore.error"])
	sep := []byte(p["key.separator"])
	stop := make(chan struct{})
	defer close(stop)
	lines, readErr := readLines(stop, e.stdin)
	// Records already read are not abandoned on Ctrl-C: they are flushed
	// below, so they are produced with a context that is never canceled.
	pctx := context.WithoutCancel(ctx)
	var lineErr error
	eof := false
	for lineNo := 1; !eof; lineNo++ {
		var line []byte
		if prompt {
			fmt.Fprint(e.stdout, ">")
		}
		select {
		case <-ctx.Done(): // Ctrl-C: stop reading, deliver what was read
		case l, ok := <-lines:
			line, eof = l, !ok
		}
		if eof || ctx.Err() != nil {
			break
		}
		r := &kgo.Record{Value: line}
		if parseKey {
			if k, v, found := bytes.Cut(line, sep); found {
				r.Key, r.Value = k, v
			} else if !ignoreErr {
				lineErr = fmt.Errorf("No key separator found on line number %d: '%s'", lineNo, line)
				break
			}
		}
		sent++
		cl.Produce(pctx, r, done)
	}
	// At EOF wait as long as delivery takes (records time out after 2
	// minutes); after Ctrl-C give it 30 seconds more.
	fctx, cancel := pctx, context.CancelFunc(func() {})
	if ctx.Err() != nil {
		fctx, cancel = context.WithTimeout(pctx, 30*time.Second)
	}
	_ = cl.Flush(fctx)
	cancel()
	cl.Close() // fails whatever is still unacknowledged, calling done
	mu.Lock()
	defer mu.Unlock()
	switch {
	case lineErr != nil:
		return lineErr
	case eof && *readErr != nil: // set before lines was closed
		return *readErr
	case failed > 0:
		return fmt.Errorf("%d of %d records were not acknowledged: %w", failed, sent, firstErr)
	}
	return nil
}

// readLines sends each line of r (without its "\n" or "\r\n") on the
// returned channel, which it closes at EOF or on a read error (stored first
// in the returned pointer); it gives up when stop is closed. A read blocked
// on a terminal cannot be interrupted, so it runs in its own goroutine.
func readLines(stop <-chan struct{}, r io.Reader) (<-chan []byte, *error) {
	ch := make(chan []byte)
	errp := new(error)
	if r == nil {
		r = strings.NewReader("")
	}
	go func() {
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 || err == nil {
				line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
				select {
				case ch <- line:
				case <-stop:
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					*errp = err
				}
				close(ch)
				return
			}
		}
	}()
	return ch, errp
}

// formatter prints a record as Kafka's DefaultMessageFormatter does.
type formatter struct {
	timestamp, partition, offset, key, value bool
	keySep, lineSep, null                    string
}

func (f *formatter) write(w *bufio.Writer, r *kgo.Record) {
	var cols []string
	if f.timestamp {
		ts := "CreateTime:" + strconv.FormatInt(r.Timestamp.UnixMilli(), 10)
		if r.Attrs.TimestampType() == 1 {
			ts = "LogAppendTime:" + strconv.FormatInt(r.Timestamp.UnixMilli(), 10)
		}
		cols = append(cols, ts)
	}
	if f.partition {
		cols = append(cols, "Partition:"+strconv.Itoa(int(r.Partition)))
	}
	if f.offset {
		cols = append(cols, "Offset:"+strconv.FormatInt(r.Offset, 10))
	}
	orNull := func(b []byte) string {
		if b == nil {
			return f.null
		}
		return string(b)
	}
	if f.key {
		cols = append(cols, orNull(r.Key))
	}
	if f.value {
		cols = append(cols, orNull(r.Value))
	}
	w.WriteString(strings.Join(cols, f.keySep))
	if f.value {
		w.WriteString(f.lineSep)
	}
}

func runConsoleConsumer(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("sluice console-consumer", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	bootstrap := fs.String("bootstrap-server", "", "REQUIRED: the Kafka server(s) to connect to, host:port[,host:port…]")
	topic := fs.String("topic", "", "REQUIRED: the topic to consume")
	group := fs.String("group", "", "the consumer group to join; its offsets are committed (default: no group, nothing committed)")
	fromBeginning := fs.Bool("from-beginning", false, "start at the earliest offset when there is no committed one (default: the latest)")
	maxMessages := fs.Int("max-messages", -1, "exit after this many records (default: no limit)")
	timeoutMs := fs.Int("timeout-ms", -1, "exit when no record arrived for this many milliseconds (default: wait forever)")
	partition := fs.Int("partition", -1, "consume only this partition (then no --group)")
	offset := fs.String("offset", "latest", "with --partition: earliest, latest or an offset to start at")
	var props listFlag
	fs.Var(&props, "property", "a formatter property, key=value (repeatable): print.key, print.value, print.partition, print.offset, print.timestamp, key.separator, line.separator, null.literal")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *topic == "" {
		return errors.New("missing required argument \"[topic]\"")
	}
	offsetSet := false
	fs.Visit(func(f *flag.Flag) { offsetSet = offsetSet || f.Name == "offset" })
	switch {
	case *group != "" && *partition >= 0:
		return errors.New("Options group and partition cannot be specified together.")
	case offsetSet && *partition < 0:
		return errors.New("The partition is required when offset is specified.")
	case offsetSet && *fromBeginning:
		return errors.New("Options from-beginning and offset cannot be specified together.")
	}
	p, err := properties(props, map[string]string{"print.key": "false", "print.value": "true", "print.partition": "false",
		"print.offset": "false", "print.timestamp": "false", "key.separator": "\t", "line.separator": "\n", "null.literal": "null"})
	if err != nil {
		return err
	}
	b := func(k string) bool { v, _ := strconv.ParseBool(p[k]); return v }
	f := &formatter{timestamp: b("print.timestamp"), partition: b("print.partition"), offset: b("print.offset"),
		key: b("print.key"), value: b("print.value"), keySep: p["key.separator"], lineSep: p["line.separator"], null: p["null.literal"]}

	start := kgo.NewOffset().AtEnd()
	if *fromBeginning {
		start = kgo.NewOffset().AtStart()
	}
	opts := []kgo.Opt{kgo.ClientID("console-consumer")}
	switch {
	case *partition >= 0:
		switch *offset {
		case "earliest":
			start = kgo.NewOffset().AtStart()
		case "latest":
		default:
			n, err := strconv.ParseInt(*offset, 10, 64)
			if err != nil || n < 0 {
				return fmt.Errorf("--offset %q: want earliest, latest or a non-negative number", *offset)
			}
			start = kgo.NewOffset().At(n)
		}
		opts = append(opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{*topic: {int32(*partition): start}}))
	case *group != "":
		opts = append(opts, kgo.ConsumeTopics(*topic), kgo.ConsumeResetOffset(start), kgo.ConsumerGroup(*group), kgo.AutoCommitMarks())
	default:
		opts = append(opts, kgo.ConsumeTopics(*topic), kgo.ConsumeResetOffset(start))
	}
	cl, err := kafkaClient(*bootstrap, opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	n, err := consume(ctx, cl, e.stdout, f, *maxMessages, time.Duration(*timeoutMs)*time.Millisecond)
	if *group != "" {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if cerr := cl.CommitMarkedOffsets(cctx); err == nil && cerr != nil {
			err = fmt.Errorf("committing offsets: %w", cerr)
		}
		cancel()
	}
	fmt.Fprintf(e.stderr, "Processed a total of %d messages\n", n)
	return err
}

// consume prints records until max of them were printed, none came for
// idle (if positive), or ctx is canceled, marking each printed one for
// commit; it returns how many it printed.
func consume(ctx context.Context, cl *kgo.Client, stdout io.Writer, f *formatter, max int, idle time.Duration) (int, error) {
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	n := 0
	for max < 0 || n < max {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if idle > 0 {
			pctx, cancel = context.WithTimeout(ctx, idle)
		}
		fetches := cl.PollRecords(pctx, max-n)
		cancel()
		if ctx.Err() != nil || (pctx.Err() != nil && fetches.Empty()) {
			return n, nil // Ctrl-C, or --timeout-ms passed without a record
		}
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && !kerr.IsRetriable(err) && ferr == nil {
				ferr = err
			}
		})
		if ferr != nil {
			return n, ferr
		}
		for _, r := range fetches.Records() {
			if max >= 0 && n >= max {
				break
			}
			f.write(w, r)
			cl.MarkCommitRecords(r)
			n++
		}
		if err := w.Flush(); err != nil {
			return n, err
		}
	}
	return n, nil
}
