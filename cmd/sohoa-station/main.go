// Command sohoa-station is the scanner-station agent alone: pure Go,
// without the OCR engine, so that it builds for Windows with
// CGO_ENABLED=0 into the one file copied onto a scanner PC. It is the
// same agent as `sohoa station` (package station).
//
//	sohoa-station --server URL --token-file FILE --watch DIR [options]
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/sohoa/sohoa/station"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := station.Command(ctx, "sohoa-station", os.Args[1:], os.Stdout, os.Stderr)
	var ue *station.UsageError
	switch {
	case err == nil, errors.Is(err, station.ErrHelp):
		return
	case errors.As(err, &ue):
		fmt.Fprintf(os.Stderr, "sohoa-station: %v\nRun 'sohoa-station -h' for usage.\n", err)
		os.Exit(2)
	default:
		fmt.Fprintf(os.Stderr, "sohoa-station: %v\n", err)
		os.Exit(1)
	}
}
