package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"ocmsim/scenarios"
	scenariorun "ocmsim/scenarios/run"
)

func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fset := newFlagSet("run", "[flags] FILE|DIR...", stderr)
	proxy := fset.String("proxy", "", "host:port (UDP) of an external proxy serving the tenant; default: an in-process one on loopback")
	junit := fset.String("junit", "", "write JUnit XML (one test case per expectation) to this file")
	jsonOut := fset.String("json", "", "write the reports as JSON to this file")
	verbose := fset.Bool("v", false, "print each call's SIP timeline")
	timeout := fset.Duration("timeout", scenariorun.DefaultTimeout, "bound of each wait a step does not bound itself")
	listen := fset.String("listen", "", "UDP host:port of the in-process proxy (for realSoftphone devices); default 127.0.0.1 on an OS-chosen port")
	softphoneTimeout := fset.Duration("softphone-timeout", scenariorun.DefaultSoftphoneTimeout, "how long to wait for realSoftphone devices to register before the first step")
	logLevel := fset.String("log-level", "", "SIP stack logs to stderr at this level (debug, info, warn, error); default none")
	pos, err := parseInterspersed(fset, args)
	if err != nil {
		return exitBadArgs
	}
	if len(pos) == 0 {
		fset.Usage()
		return exitBadArgs
	}
	paths, err := scenarioFiles(pos)
	if err != nil {
		fmt.Fprintln(stderr, "ocmsim run:", err)
		return exitBadArgs
	}
	files, ok := loadScenarios(paths, stderr)
	if !ok {
		return exitBadArgs
	}
	opts := scenariorun.Options{Proxy: *proxy, Listen: *listen, Timeout: *timeout, SoftphoneTimeout: *softphoneTimeout}
	if *logLevel != "" {
		if opts.Logger, err = newLogger(stderr, *logLevel, "text"); err != nil {
			fmt.Fprintln(stderr, "ocmsim run:", err)
			return exitBadArgs
		}
	}
	text := scenariorun.TextOptions{Color: isTerminal(stdout), Verbose: *verbose}
	start := time.Now()
	var reps []*scenariorun.Report
	failed, interrupted := 0, false
	for _, f := range files {
		if interrupted = ctx.Err() != nil; interrupted {
			fmt.Fprintln(stderr, "ocmsim run: interrupted")
			break
		}
		rep, err := scenariorun.Run(ctx, f, opts)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", f.Path, err)
			return exitBadArgs
		}
		reps = append(reps, rep)
		if !rep.Passed() {
			failed++
		}
		_ = scenariorun.WriteText(stdout, rep, text)
		fmt.Fprintln(stdout)
	}
	fmt.Fprintf(stdout, "%d scenario(s): %d passed, %d failed in %s\n", len(reps), len(reps)-failed, failed,
		time.Since(start).Round(time.Millisecond))
	for _, out := range []struct {
		path  string
		write func(io.Writer, []*scenariorun.Report) error
	}{{*junit, scenariorun.WriteJUnit}, {*jsonOut, scenariorun.WriteJSON}} {
		if out.path == "" {
			continue
		}
		if err := writeFile(out.path, reps, out.write); err != nil {
			fmt.Fprintln(stderr, "ocmsim run:", err)
			return exitBadArgs
		}
	}
	if failed > 0 || interrupted {
		return exitFailed
	}
	return exitOK
}

// scenarioFiles expands directories to the .yaml/.yml files under them,
// sorted; files named on the command line are kept as given.
func scenarioFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no .yaml files", a)
		}
		slices.Sort(found)
		out = append(out, found...)
	}
	return out, nil
}

// loadScenarios loads every file, printing every problem; tenant-only
// files are skipped (scenarios share them with `tenant: FILE`).
func loadScenarios(paths []string, stderr io.Writer) ([]*scenarios.File, bool) {
	var files []*scenarios.File
	ok := true
	for _, p := range paths {
		f, err := scenarios.Load(p)
		if err != nil {
			ok = false
			var list scenarios.ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					fmt.Fprintln(stderr, e)
				}
				continue
			}
			fmt.Fprintf(stderr, "%s: %v\n", p, err)
			continue
		}
		if f.TenantOnly {
			continue
		}
		files = append(files, f)
	}
	if ok && len(files) == 0 {
		fmt.Fprintln(stderr, "ocmsim run: no scenario among the files (only tenants)")
		ok = false
	}
	return files, ok
}

func writeFile(path string, reps []*scenariorun.Report, write func(io.Writer, []*scenariorun.Report) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f, reps); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// isTerminal reports whether w is a character device (and NO_COLOR unset).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
