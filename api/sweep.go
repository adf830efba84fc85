package api

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sohoa/sohoa/storage"
)

// SweepStaging deletes uploads staged before before that nobody confirmed,
// and their reservations, and says how many objects it deleted. Confirmed
// uploads left in staging (the confirm could not drop them) go too: their
// bytes are originals by then. Several serve processes may sweep at once.
func (s *Server) SweepStaging(ctx context.Context, before time.Time) (int, error) {
	keys, err := s.cfg.Store.List(ctx, storage.StagingPrefix)
	if err != nil {
		return 0, fmt.Errorf("sweep staging: %w", err)
	}
	n := 0
	var errs []error
	for _, k := range keys {
		info, err := s.cfg.Store.Stat(ctx, k)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !info.ModTime.Before(before) {
			continue
		}
		if err := s.cfg.Store.Delete(ctx, k); err != nil && !errors.Is(err, storage.ErrNotFound) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if _, err := s.cfg.Catalog.ExpireUploads(ctx, before); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("sweep staging: %w", err)
	}
	return n, nil
}

// Sweep runs SweepStaging every tenth of the staging TTL (at most every
// ten minutes) until ctx ends.
func (s *Server) Sweep(ctx context.Context) {
	every := min(s.cfg.StagingTTL/10, 10*time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n, err := s.SweepStaging(ctx, time.Now().Add(-s.cfg.StagingTTL))
		if err != nil && ctx.Err() == nil {
			s.cfg.Log.Error("sweep staging", "err", err)
		}
		if n > 0 {
			s.cfg.Log.Info("swept unconfirmed uploads", "objects", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
