package zkproto

import (
	"errors"
	"strconv"
)

// Decoding failures. Errors returned by this package wrap one of these, so
// callers test them with errors.Is.
var (
	// ErrShort means the input ended before a field, or a length prefix
	// promised more bytes than are left.
	ErrShort = errors.New("zkproto: short input")
	// ErrMalformed means the bytes cannot be a valid encoding: a negative
	// length other than -1, trailing bytes, an op type not allowed where
	// it appears.
	ErrMalformed = errors.New("zkproto: malformed input")
	// ErrTooLarge means a packet length prefix exceeds the allowed maximum.
	ErrTooLarge = errors.New("zkproto: packet too large")
	// ErrUnknownOp means a request carries an op code this package does
	// not decode as a client request.
	ErrUnknownOp = errors.New("zkproto: unknown op code")
)

// Err is a ZooKeeper error code as carried in ReplyHeader.Err, MultiHeader
// and ErrorResponse. The zero value ErrOK is success; every other value is
// a failure and implements error.
type Err int32

// ZooKeeper error codes (KeeperException.Code).
const (
	ErrOK                       Err = 0
	ErrSystemError              Err = -1
	ErrRuntimeInconsistency     Err = -2
	ErrDataInconsistency        Err = -3
	ErrConnectionLoss           Err = -4
	ErrMarshallingError         Err = -5
	ErrUnimplemented            Err = -6
	ErrOperationTimeout         Err = -7
	ErrBadArguments             Err = -8
	ErrNewConfigNoQuorum        Err = -13
	ErrReconfigInProgress       Err = -14
	ErrAPIError                 Err = -100
	ErrNoNode                   Err = -101
	ErrNoAuth                   Err = -102
	ErrBadVersion               Err = -103
	ErrNoChildrenForEphemerals  Err = -108
	ErrNodeExists               Err = -110
	ErrNotEmpty                 Err = -111
	ErrSessionExpired           Err = -112
	ErrInvalidCallback          Err = -113
	ErrInvalidACL               Err = -114
	ErrAuthFailed               Err = -115
	ErrSessionMoved             Err = -118
	ErrNotReadOnly              Err = -119
	ErrEphemeralOnLocalSession  Err = -120
	ErrNoWatcher                Err = -121
	ErrRequestTimeout           Err = -122
	ErrReconfigDisabled         Err = -123
	ErrSessionClosedRequireSasl Err = -124
	ErrQuotaExceeded            Err = -125
	ErrThrottledOp              Err = -127
)

// errText holds the short descriptions ZooKeeper clients print after
// "KeeperErrorCode = ".
var errText = map[Err]string{
	ErrOK:                       "ok",
	ErrSystemError:              "SystemError",
	ErrRuntimeInconsistency:     "RuntimeInconsistency",
	ErrDataInconsistency:        "DataInconsistency",
	ErrConnectionLoss:           "ConnectionLoss",
	ErrMarshallingError:         "MarshallingError",
	ErrUnimplemented:            "Unimplemented",
	ErrOperationTimeout:         "OperationTimeout",
	ErrBadArguments:             "BadArguments",
	ErrNewConfigNoQuorum:        "NewConfigNoQuorum",
	ErrReconfigInProgress:       "ReconfigInProgress",
	ErrAPIError:                 "APIError",
	ErrNoNode:                   "NoNode",
	ErrNoAuth:                   "NoAuth",
	ErrBadVersion:               "BadVersion",
	ErrNoChildrenForEphemerals:  "NoChildrenForEphemerals",
	ErrNodeExists:               "NodeExists",
	ErrNotEmpty:                 "Directory not empty",
	ErrSessionExpired:           "Session expired",
	ErrInvalidCallback:          "Invalid callback",
	ErrInvalidACL:               "InvalidACL",
	ErrAuthFailed:               "AuthFailed",
	ErrSessionMoved:             "Session moved",
	ErrNotReadOnly:              "Not a read-only call",
	ErrEphemeralOnLocalSession:  "Ephemeral node on local session",
	ErrNoWatcher:                "No such watcher",
	ErrRequestTimeout:           "Request timeout",
	ErrReconfigDisabled:         "Reconfig is disabled",
	ErrSessionClosedRequireSasl: "Session closed because client failed to authenticate",
	ErrQuotaExceeded:            "Quota has exceeded",
	ErrThrottledOp:              "Op throttled due to high load",
}

// Error returns the message a ZooKeeper client shows for the code, such as
// "KeeperErrorCode = NoNode".
func (e Err) Error() string {
	if s, ok := errText[e]; ok {
		return "KeeperErrorCode = " + s
	}
	return "KeeperErrorCode = Unknown error " + strconv.Itoa(int(e))
}

// Known reports whether e is one of the codes listed above.
func (e Err) Known() bool {
	_, ok := errText[e]
	return ok
}
