package up

import (
	"context"
	"fmt"
)

// task is one component running in a goroutine of its own, with a context
// of its own, so that Run stops the components one at a time, in order.
type task struct {
	name   string
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	failed bool // failure reported the error; stop does not again
}

// start runs run in a new goroutine (owned by the returned task: stop
// ends it and waits). ctx gives the values, not the cancellation. When run
// returns before it was stopped, the task is sent on exited, which must
// have room for it.
func start(ctx context.Context, name string, run func(context.Context) error, exited chan<- *task) *task {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t := &task{name: name, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(t.done)
		t.err = run(ctx)
		if ctx.Err() == nil {
			exited <- t
		}
	}()
	return t
}

// stop cancels the task's context, waits for it to return and returns
// its error; stopping a nil or stopped task does nothing.
func (t *task) stop() error {
	if t == nil {
		return nil
	}
	t.cancel()
	<-t.done
	if t.err != nil && !t.failed {
		return fmt.Errorf("%s: %w", t.name, t.err)
	}
	return nil
}

// failure says why a task that was not stopped ended.
func (t *task) failure() error {
	<-t.done
	t.failed = true
	if t.err != nil {
		return fmt.Errorf("%s stopped: %w", t.name, t.err)
	}
	return fmt.Errorf("%s stopped on its own", t.name)
}
