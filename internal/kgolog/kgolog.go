// Package kgolog passes franz-go's client log into log/slog, so that what
// only the client knows — a broker refusing our credentials
// (SASL_AUTHENTICATION_FAILED), a certificate it does not trust — reaches
// the agent's and the indexer's log instead of showing only as records
// that never arrive.
package kgolog

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
)

// New returns a kgo.Logger writing franz-go's messages of level and above
// to log (with client=kafka beside the caller's component).
func New(log *slog.Logger, level kgo.LogLevel) kgo.Logger {
	return &logger{log: log.With("client", "kafka"), level: level}
}

type logger struct {
	log   *slog.Logger
	level kgo.LogLevel
}

func (l *logger) Level() kgo.LogLevel { return l.level }

func (l *logger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	var lv slog.Level
	switch level {
	case kgo.LogLevelError:
		lv = slog.LevelError
	case kgo.LogLevelWarn:
		lv = slog.LevelWarn
	case kgo.LogLevelInfo:
		lv = slog.LevelInfo
	default:
		lv = slog.LevelDebug
	}
	l.log.Log(context.Background(), lv, msg, keyvals...)
}
