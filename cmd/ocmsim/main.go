// Command ocmsim simulates and verifies how calls to SIM-enabled mobile
// numbers ring in Microsoft Teams (Operator Connect Mobile): a registrar and
// forking proxy, routing explained without SIP, and YAML scenarios.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailed  = 1 // an expectation failed
	exitBadArgs = 2 // bad input: usage, unreadable or invalid files
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"serve", "run the registrar and forking proxy on a tenant", runServe},
		{"explain", "show who rings for a number, and why, without SIP", runExplain},
		{"run", "run scenarios end to end over SIP on loopback; report ring matrices", runRun},
		{"load", "generate load: register a scenario's devices and place calls per its load: profile", runLoad},
		{"validate", "check scenario and tenant files; list every error", runValidate},
		{"version", "print the version", runVersion},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitBadArgs
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "ocmsim: unknown command %q\n\n", args[0])
	usage(stderr)
	return exitBadArgs
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: ocmsim COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'ocmsim COMMAND -h' for a command's flags.")
}

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "ocmsim %s\n", version)
	return exitOK
}
