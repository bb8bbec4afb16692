package rsql

import (
	"fmt"
	"strconv"
)

// Error is a parse or validation error. Pos is the byte offset in the input
// the error refers to, so callers can point at it (in a UI or an API problem
// response) without re-deriving it from the message.
type Error struct {
	Pos int
	Msg string
}

func (e *Error) Error() string {
	return "at " + strconv.Itoa(e.Pos) + ": " + e.Msg
}

func errorf(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// maxQuoted caps how much of a user's text is echoed back in a message, so a
// 4 KiB value does not turn into a 4 KiB error.
const maxQuoted = 40

// quoteText renders user text for a message: Go-quoted and truncated on a
// rune boundary.
func quoteText(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	// Back up to the start of a rune: continuation bytes are 10xxxxxx.
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
