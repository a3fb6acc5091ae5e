package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"ocmsim/scenarios"
)

func runValidate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", "FILE...", stderr)
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return exitBadArgs
	}
	if len(files) == 0 {
		fs.Usage()
		return exitBadArgs
	}
	bad := 0
	for _, path := range files {
		_, err := scenarios.Load(path)
		if err == nil {
			fmt.Fprintf(stdout, "%s: ok\n", path)
			continue
		}
		bad++
		var list scenarios.ErrorList
		if errors.As(err, &list) {
			for _, e := range list {
				fmt.Fprintln(stderr, e)
			}
			continue
		}
		fmt.Fprintf(stderr, "%s: %v\n", path, err)
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "%d of %d file(s) invalid\n", bad, len(files))
		return exitBadArgs
	}
	return exitOK
}
