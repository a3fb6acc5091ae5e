package run

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// TextOptions says how WriteText formats a report.
type TextOptions struct {
	Color   bool // ANSI colours (only on a terminal)
	Verbose bool // each call's SIP timeline, one line per message
}

const (
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiDim   = "\x1b[2m"
	ansiBold  = "\x1b[1m"
	ansiReset = "\x1b[0m"
)

// WriteText writes the report for a reader at a terminal: a status line,
// each call's ring matrix, then every failed expectation with what was
// expected, what happened and the step's file:line.
func WriteText(w io.Writer, rep *Report, o TextOptions) error {
	paint := func(code, s string) string {
		if !o.Color {
			return s
		}
		return code + s + ansiReset
	}
	var b strings.Builder
	status := paint(ansiGreen, "PASS")
	if !rep.Passed() {
		status = paint(ansiRed, "FAIL")
	}
	failed := len(rep.Failures())
	fmt.Fprintf(&b, "%s %s  %s  (%d checks, %d failed, %s)\n", status, paint(ansiBold, rep.Name), rep.File,
		len(rep.Checks), failed, rep.Duration.Round(time.Millisecond))
	for _, c := range rep.Calls {
		writeCall(&b, rep.File, c, o, paint)
	}
	for _, c := range rep.Failures() {
		fmt.Fprintf(&b, "  %s %s step %d (%s): %s\n", paint(ansiRed, "✗"), c.Where(rep.File), c.Step, c.Action, c.Name)
		fmt.Fprintf(&b, "      expected: %s\n", multiline(c.Expected))
		fmt.Fprintf(&b, "      got:      %s\n", multiline(c.Got))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeCall(b *strings.Builder, file string, c *CallReport, o TextOptions, paint func(string, string) string) {
	head := fmt.Sprintf("  call %s %s → %s", c.ID, c.From, c.To)
	if c.Policy != "" {
		head += "  policy " + c.Policy
	}
	switch {
	case c.Refusal != "":
		head += "  refused " + c.Refusal
	case c.AnsweredBy != "":
		head += fmt.Sprintf("  %d, answered by %s", c.Final, c.AnsweredBy)
	case c.Final != 0:
		head += fmt.Sprintf("  final %d", c.Final)
	default:
		head += "  no final response"
	}
	fmt.Fprintf(b, "%s  %s\n", head, paint(ansiDim, fmt.Sprintf("(%s:%d)", file, c.Line)))
	if e := c.Emergency; e != nil {
		fmt.Fprintf(b, "    emergency %s → %s (%s match), %s path, location from %s, callback %s\n",
			e.Service, e.PSAP, e.Match, e.Path, e.Source, orNone(e.Callback))
		fmt.Fprintf(b, "    PIDF-LO: %s\n", e.Location)
		if e.Echo != "" {
			fmt.Fprintf(b, "    echo: %s\n", e.Echo)
		}
	}
	if len(c.Devices) > 0 {
		tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "    DEVICE\tKIND\tRANG\tOUTCOME\tREASON")
		for _, d := range c.Devices {
			at := "-"
			if d.Rang {
				at = elapsed(d.RangAt)
			}
			fmt.Fprintf(tw, "    %s\t%s\t%s\t%s\t%s\n", d.Device, d.Kind, at, d.Outcome, d.Reason)
		}
		tw.Flush()
	}
	if o.Verbose {
		writeLadder(b, c.Timeline)
	}
}

func multiline(s string) string { return strings.ReplaceAll(s, "\n", "\n                ") }

// writeLadder writes a call's SIP ladder, one message a line:
// time, from → to, method or status.
func writeLadder(b *strings.Builder, rows []TimelineRow) {
	wFrom, wTo := 0, 0
	for _, t := range rows {
		wFrom, wTo = max(wFrom, len(t.From)), max(wTo, len(t.To))
	}
	for _, t := range rows {
		if t.From == "" {
			fmt.Fprintf(b, "      %7s  %*s   %-*s  %s\n", elapsed(t.At), wFrom, "", wTo, "", t.Message)
			continue
		}
		fmt.Fprintf(b, "      %7s  %*s → %-*s  %s\n", elapsed(t.At), wFrom, t.From, wTo, t.To, t.Message)
	}
}
