package index

import (
	"errors"
)

// InvalidRequestError is a request problem (unknown field, unsupported mode,
// malformed cursor) with the detail to show the client. It is
// ErrInvalidRequest for errors.Is, and unwraps to its cause when it has one.
type InvalidRequestError struct {
	Detail string
	Err    error // the cause, if any
}

func (e *InvalidRequestError) Error() string     { return ErrInvalidRequest.Error() + ": " + e.Detail }
func (e *InvalidRequestError) Is(err error) bool { return err == ErrInvalidRequest }
func (e *InvalidRequestError) Unwrap() error     { return e.Err }

// InvalidDetail reports whether err is a request problem and, if so, the
// detail to show the client.
func InvalidDetail(err error) (string, bool) {
	var ie *InvalidRequestError
	if errors.As(err, &ie) {
		return ie.Detail, true
	}
	return "", false
}
