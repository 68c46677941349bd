package broker

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
)

// kafkaError is a Kafka error code with the message a client is shown
// (the response's error message), worded as Kafka's broker words it.
type kafkaError struct {
	code *kerr.Error
	msg  string
}

func (e *kafkaError) Error() string { return e.msg }
func (e *kafkaError) Unwrap() error { return e.code }

func kafkaErrorf(code *kerr.Error, format string, args ...any) error {
	return &kafkaError{code: code, msg: fmt.Sprintf(format, args...)}
}

// errMessage is the message to answer err with: a kafkaError's own, nil
// for none.
func errMessage(err error) *string {
	var ke *kafkaError
	if errors.As(err, &ke) {
		return &ke.msg
	}
	return nil
}

// checkBrokerResource accepts a broker config resource naming this broker
// (or "", the cluster-wide default).
func (b *Broker) checkBrokerResource(name string) error {
	if name == "" {
		return nil
	}
	id, err := strconv.Atoi(name)
	if err != nil {
		return kafkaErrorf(kerr.InvalidRequest, "Invalid broker id %s", name)
	}
	if int32(id) != b.cfg.BrokerID {
		return kafkaErrorf(kerr.InvalidRequest, "Unexpected broker id, expected %d or empty string, but received %d", b.cfg.BrokerID, id)
	}
	return nil
}
