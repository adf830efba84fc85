package main

import (
	"context"
	"errors"
	"os"

	"github.com/sohoa/sohoa/station"
)

// stationCmd runs the scanner-station agent (package station). The
// stand-alone cmd/sohoa-station is the same agent without cgo, the one
// file to copy onto a Windows scanner PC.
func stationCmd(ctx context.Context, args []string) error {
	err := station.Command(ctx, "sohoa station", args, os.Stdout, os.Stderr)
	var ue *station.UsageError
	switch {
	case errors.Is(err, station.ErrHelp):
		return errHelp
	case errors.As(err, &ue):
		return usageError{ue.Err}
	}
	return err
}
