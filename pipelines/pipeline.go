package pipelines

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// Pipeline is a compiled definition. It is immutable after Load: Run may be
// called from many goroutines at once.
type Pipeline struct {
	Name        string // file name without extension
	File        string // path it was loaded from
	Description string

	steps     []*step
	onFailure []*step
	tests     []testCase
	now       func() time.Time
	budget    time.Duration // of one Run; 0: none
}

// step is one configured processor with the options every processor takes.
type step struct {
	kind          string // processor name: grok, date, …
	tag           string
	label         string // "grok#2" or "grok#2 (tag t)", for errors
	pipeline      string // file of the definition it belongs to
	cond          *vm.Program
	condPainless  bool // cond is translated Painless: its errors lose expr's excerpt
	ignoreFailure bool
	timed         bool // the budget is checked after it (see timedKind)
	onFailure     []*step
	do            func(ev Event, st *state) error
}

// state is what one Run carries through its processors.
type state struct {
	now      func() time.Time
	budget   time.Duration // 0: none
	deadline time.Time     // the run's start + budget
}

// ErrOverBudget is the cause of a run that went over its time budget
// (Options.Budget). Neither ignore_failure nor on_failure handles it: the
// run ends there, and Run returns it inside a *ProcessorError naming the
// processor that was running.
var ErrOverBudget = errors.New("over the pipeline's time budget")

// overBudget reports, with ErrOverBudget, whether the run has used up its
// budget. grok and user_agent call it between their searches; runSteps
// after every processor of a timedKind.

// timedKind reports whether the budget is checked after a processor of
// kind: those that parse or search text, whose time grows with it. The
// others take time proportional to the fields they touch, and reading the
// clock (about 100ns on a virtual machine) after each of the nginx
// example's 25 processors would add a tenth to its cost.
func timedKind(kind string) bool {
	switch kind {
	case "grok", "dissect", "date", "gsub", "json", "kv", "split", "user_agent", "fingerprint", "pipeline",
		"csv", "html_strip", "foreach", "redact", "script":
		return true
	}
	return false
}

func (st *state) overBudget() error {
	if st.budget <= 0 || !st.now().After(st.deadline) {
		return nil
	}
	return fmt.Errorf("%w of %s", ErrOverBudget, st.budget)
}

// errDrop is returned by the drop processor and unwinds the whole run.
var errDrop = errors.New("event dropped")

// errTerminate is returned by the terminate processor: it ends the
// pipeline it belongs to (not one that called it) without a failure.
var errTerminate = errors.New("pipeline terminated")

// ProcessorError is a processor's failure, as Run returns it.
type ProcessorError struct {
	Pipeline  string // file of the definition
	Processor string // "grok#2" or "grok#2 (tag t)"
	Type      string // processor name
	Tag       string
	Err       error
}

func (e *ProcessorError) Error() string {
	return fmt.Sprintf("%s: processor %s: %v", e.Pipeline, e.Processor, e.Err)
}

func (e *ProcessorError) Unwrap() error { return e.Err }

// conditionalType is the processor type of a failing if: condition, as
// the node names it in _ingest.on_failure_processor_type.
const conditionalType = "conditional"

// Metadata fields present in the event while on_failure processors run;
// the _ingest object is removed again when they are done.
const (
	metaRoot      = "_ingest"
	metaMessage   = "on_failure_message"        // the error message
	metaProcessor = "on_failure_processor_type" // name of the failed processor
	metaTag       = "on_failure_processor_tag"  // its tag, "" when none
	metaPipeline  = "on_failure_pipeline"       // file of its definition
)

// Run transforms ev in place and returns it; dropped reports that a drop
// processor discarded it. A processor failure that nothing handled is
// returned as a *ProcessorError together with the event as it was then.
func (p *Pipeline) Run(ev Event) (out Event, dropped bool, err error) {
	st := &state{now: p.now}
	if p.budget > 0 {
		st.budget, st.deadline = p.budget, p.now().Add(p.budget)
	}
	return p.runWith(ev, st)
}

func (p *Pipeline) runWith(ev Event, st *state) (Event, bool, error) {
	if ev == nil {
		ev = Event{}
	}
	err := p.exec(ev, st)
	if errors.Is(err, errDrop) {
		return nil, true, nil
	}
	return ev, false, err
}

// exec runs the processors, then the pipeline's on_failure handlers if one
// of them failed.
func (p *Pipeline) exec(ev Event, st *state) error {
	err := runSteps(p.steps, ev, st)
	if err != nil && !errors.Is(err, errDrop) && !errors.Is(err, ErrOverBudget) && !errors.Is(err, errTerminate) && len(p.onFailure) > 0 {
		err = handleFailure(p.onFailure, ev, st, err)
	}
	if errors.Is(err, errTerminate) {
		return nil
	}
	return err
}

func runSteps(steps []*step, ev Event, st *state) error {
	for _, s := range steps {
		if err := s.run(ev, st); err != nil {
			return err
		}
		if !s.timed {
			continue
		}
		if err := st.overBudget(); err != nil {
			return s.located(err)
		}
	}
	return nil
}

func (s *step) run(ev Event, st *state) error {
	if s.cond != nil {
		ok, err := evalCondition(s.cond, ev)
		if err != nil && s.condPainless {
			err = painlessError(err)
		}
		if err != nil {
			// On the node the condition wraps the processor together
			// with its ignore_failure and on_failure: a condition that
			// fails is not theirs to handle, it goes up, as a failure of
			// a processor of type "conditional".
			pe := s.located(fmt.Errorf("if: %w", err))
			pe.Type = conditionalType
			return pe
		}
		if !ok {
			return nil
		}
	}
	err := s.do(ev, st)
	if err == nil || errors.Is(err, errDrop) || errors.Is(err, errTerminate) {
		return err
	}
	return s.fail(ev, st, err)
}

func (s *step) fail(ev Event, st *state, err error) error {
	if errors.Is(err, ErrOverBudget) {
		return s.located(err) // not a failure the definition can handle
	}
	if s.ignoreFailure {
		return nil
	}
	pe := s.located(err)
	if len(s.onFailure) == 0 {
		return pe
	}
	return handleFailure(s.onFailure, ev, st, pe)
}

// located wraps err in a *ProcessorError naming s, unless it already is
// one (from a processor of a called pipeline).
func (s *step) located(err error) *ProcessorError {
	var pe *ProcessorError
	if !errors.As(err, &pe) {
		pe = &ProcessorError{Pipeline: s.pipeline, Processor: s.label, Type: s.kind, Tag: s.tag, Err: err}
	}
	return pe
}

// handleFailure runs on_failure processors with the _ingest metadata set.
// Other _ingest keys (foreach's _value) stay visible to them, and what
// they set there is kept.
func handleFailure(handlers []*step, ev Event, st *state, err error) error {
	var pe *ProcessorError
	meta := map[string]any{metaMessage: err.Error()}
	if errors.As(err, &pe) {
		meta[metaMessage] = pe.Err.Error()
		meta[metaProcessor] = pe.Type
		meta[metaTag] = pe.Tag
		meta[metaPipeline] = pe.Pipeline
	}
	prev, had := ev[metaRoot]
	prevMap, _ := prev.(map[string]any)
	for k, v := range prevMap {
		if _, failure := meta[k]; !failure {
			meta[k] = v
		}
	}
	ev[metaRoot] = meta
	herr := runSteps(handlers, ev, st)
	if m, ok := ev[metaRoot].(map[string]any); ok && prevMap != nil {
		for k, v := range m {
			switch k {
			case metaMessage, metaProcessor, metaTag, metaPipeline:
			default:
				prevMap[k] = v
			}
		}
	}
	if had {
		ev[metaRoot] = prev
	} else {
		delete(ev, metaRoot)
	}
	return herr
}

// compileCondition compiles an if: expression, Painless when it names
// ctx (see isPainless), else expr. For expr, the event is the
// environment: top-level fields are variables, nested ones are reached with
// "." (or "?." when a parent may be missing), and $env["@timestamp"] reads
// names that are not identifiers.
func compileCondition(src string) (*vm.Program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("empty condition")
	}
	if isPainless(src) {
		return compilePainlessCondition(src, nil)
	}
	return expr.Compile(src, conditionOptions...)
}

// vms holds expr machines between conditions: vm.VM.Run resets one for
// the next program, and reusing its stack saves expr.Run's fresh VM (and
// its allocations) on every event.
var vms = sync.Pool{New: func() any { return new(vm.VM) }}

func evalCondition(prog *vm.Program, ev Event) (bool, error) {
	v, err := runScript(prog, ev)
	if err != nil {
		return false, err
	}
	b, _ := v.(bool)
	return b, nil
}
