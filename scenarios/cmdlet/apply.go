package cmdlet

import (
	"errors"
	"strings"

	"ocmsim/routing"
)

// Apply performs the command on the tenant through routing's admin actions.
// Get- cmdlets return their objects formatted like PowerShell's Format-List
// ("Name : Value" lines, aligned, objects separated by a blank line); the
// other cmdlets return "", as PowerShell prints nothing. Errors from routing
// are returned unchanged (or wrapped with %w), so routing.ErrorCode works.
func (c Command) Apply(d *routing.Directory) (string, error) {
	if c.spec == nil {
		return "", errors.New("cmdlet: Apply on a command that did not come from Parse")
	}
	if d == nil {
		return "", errors.New("cmdlet: Apply on a nil directory")
	}
	if c.spec.do != nil {
		return "", c.spec.do(&c, d)
	}
	recs, err := c.spec.get(&c, d)
	if err != nil {
		return "", err
	}
	return formatList(recs, c.Select), nil
}

// formatList renders records like Format-List: each property on its own line,
// names padded to the longest printed name, records separated by a blank
// line. sel chooses and orders the properties (nil: all). Trailing spaces of
// empty values are trimmed.
func formatList(recs []record, sel []string) string {
	var b strings.Builder
	for _, r := range recs {
		if sel != nil {
			r = r.pick(sel)
		}
		if len(r) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		width := 0
		for _, f := range r {
			width = max(width, len(f.name))
		}
		for _, f := range r {
			line := f.name + strings.Repeat(" ", width-len(f.name)) + " : " + f.value
			b.WriteString(strings.TrimRight(line, " "))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// pick returns the fields named in sel, in sel's order.
func (r record) pick(sel []string) record {
	out := make(record, 0, len(sel))
	for _, name := range sel {
		for _, f := range r {
			if f.name == name {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// braces renders a collection as PowerShell prints it: {a, b}.
func braces(items ...string) string { return "{" + strings.Join(items, ", ") + "}" }

// boolText renders a boolean as PowerShell prints it.
func boolText(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// notFound is routing's not-found error for objects looked up here.
func notFound(kind, id string) error {
	obj := kind + " " + id
	return &routing.Error{Code: routing.CodeNotFound, Object: obj, Message: obj + ": no such " + kind}
}

// invalid is routing's invalid-value error for checks made here.
func invalid(object, msg string) error {
	return &routing.Error{Code: routing.CodeInvalid, Object: object, Message: object + ": " + msg}
}
