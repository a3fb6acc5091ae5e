package run

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"time"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	File      string      `xml:"file,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes the reports as JUnit XML: a test suite per scenario,
// a test case per checked expectation.
func WriteJUnit(w io.Writer, reps []*Report) error {
	out := junitSuites{}
	var total time.Duration
	for _, rep := range reps {
		s := junitSuite{Name: rep.Name, File: rep.File, Time: seconds(rep.Duration),
			Timestamp: rep.Started.UTC().Format(time.RFC3339)}
		for _, c := range rep.Checks {
			tc := junitCase{Name: fmt.Sprintf("step %d %s: %s", c.Step, c.Action, c.Name), Classname: rep.Name,
				File: rep.File, Line: c.Line}
			if !c.Passed {
				tc.Failure = &junitFailure{Message: c.Name + " failed",
					Text: fmt.Sprintf("%s\nexpected: %s\ngot:      %s\n", c.Where(rep.File), c.Expected, c.Got)}
				s.Failures++
			}
			s.Cases = append(s.Cases, tc)
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		total += rep.Duration
		out.Suites = append(out.Suites, s)
	}
	out.Time = seconds(total)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteJSON writes the reports as a JSON array.
func WriteJSON(w io.Writer, reps []*Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(reps); err != nil {
		return fmt.Errorf("json: %w", err)
	}
	return nil
}
