package scenarios

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"ocmsim/routing"
)

// Error is one problem of a scenario file at a position.
type Error struct {
	File string
	Line int // 1-based; 0 when the problem concerns the whole file
	Col  int
	Msg  string
	// Code is the routing rule code of a broken tenant rule (or not-found /
	// invalid for bad references and values); "" for schema errors.
	Code routing.Code
	// Err is the underlying error, if any (a *routing.Error for a broken rule).
	Err error
}

// Error prints the problem as file:line:column: message.
func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every problem found in a file, in file order. Load and Parse
// return it as their error.
type ErrorList []*Error

// Error prints one problem per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so errors.As finds a *routing.Error in them.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Codes returns the rule codes of the problems that carry one, in order.
func (l ErrorList) Codes() []routing.Code {
	var out []routing.Code
	for _, e := range l {
		if e.Code != "" {
			out = append(out, e.Code)
		}
	}
	return out
}

// Errors returns the ErrorList inside err (nil when err is not one).
func Errors(err error) ErrorList {
	var l ErrorList
	if errors.As(err, &l) {
		return l
	}
	return nil
}

// sort orders problems by position within each file, files in the order of
// their first problem.
func (l ErrorList) sort() {
	first := map[string]int{}
	for i, e := range l {
		if _, ok := first[e.File]; !ok {
			first[e.File] = i
		}
	}
	sort.SliceStable(l, func(i, j int) bool {
		a, b := l[i], l[j]
		if a.File != b.File {
			return first[a.File] < first[b.File]
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// errorOrNil returns l as an error, or nil when it is empty.
func (l ErrorList) errorOrNil() error {
	if len(l) == 0 {
		return nil
	}
	l.sort()
	return l
}

func asRouting(err error, target **routing.Error) bool { return errors.As(err, target) }
