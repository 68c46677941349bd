package agent

import "context"

// runner is one input as the agent runs it: files (input.go), syslog
// (netinput.go) or the journal (journald.go).
type runner interface {
	Run(ctx context.Context) error
	inputID() string
	close() // lets go of what a runner that never ran holds
}

func (in *input) inputID() string { return in.cfg.ID }
func (in *input) close()          {}

func (si *syslogInput) inputID() string { return si.base.cfg.ID }
func (si *syslogInput) close()          { si.spool.Close() }

// newRunner makes the runner of input ic.
func (a *Agent) newRunner(ic *InputConfig, out *output) (runner, error) {
	in, err := newInput(ic, a.meta, a.reg, a.trackers, out, a.metrics, a.log)
	if err != nil {
		return nil, err
	}
	switch ic.Type {
	case inputJournald:
		return newJournaldInput(in, a.trackers), nil
	case inputSyslog:
	default:
		return in, nil
	}
	maxBytes := int64(a.cfg.Queue.Disk.MaxSize)
	si, err := newSyslogInput(in, a.cfg.diskQueueDir(ic.ID), maxBytes, a.trackers)
	if err != nil {
		return nil, err
	}
	a.commitMu.Lock()
	a.commits = append(a.commits, si.Commit)
	a.commitMu.Unlock()
	return si, nil
}

// inputJournald is the type of a journald input (journald.go).
const inputJournald = "journald"
