package catalog

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// An upload reservation is what a station holds between asking where to
// send a page and confirming it: the bytes wait in staging, and count
// against their office's quota until they are confirmed or expire. The
// quota bounds what one office (or a stolen operator token) can make the
// service store without anyone confirming it.

// ReserveUpload records that dossier code may stage size bytes hashing to
// sum, charged to office. It refuses with ErrQuota when the office's
// reservations younger than ttl would then hold more than quota bytes
// (quota ≤ 0: no quota). Reserving the same upload again renews it. An
// unknown dossier gives ErrNotFound.
func (c *Catalog) ReserveUpload(ctx context.Context, code, office, sum string, size, quota int64, ttl time.Duration) error {
	err := c.inTx(ctx, func(tx pgx.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM dossiers WHERE code = $1`, code).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		// One office's reservations are counted and added one at a time,
		// so two requests at once cannot both fit under the quota.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('sohoa-upload-quota:' || $1, 0))`, office); err != nil {
			return err
		}
		if quota > 0 {
			var held int64
			err := tx.QueryRow(ctx, `
				SELECT coalesce(sum(size), 0) FROM uploads
				WHERE office = $1 AND reserved_at > now() - make_interval(secs => $2) AND NOT (dossier_id = $3 AND sha256 = $4)`,
				office, ttl.Seconds(), id, sum).Scan(&held)
			if err != nil {
				return err
			}
			if held+size > quota {
				return fmt.Errorf("%w: office %s has %d bytes of unconfirmed uploads, this one %d more, quota %d",
					ErrQuota, office, held, size, quota)
			}
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO uploads (dossier_id, sha256, office, size) VALUES ($1, $2, $3, $4)
			ON CONFLICT (dossier_id, sha256) DO UPDATE SET office = $3, size = $4, reserved_at = now()`,
			id, sum, office, size)
		return err
	})
	if err != nil {
		return fmt.Errorf("reserve upload %s for dossier %s: %w", sum, code, err)
	}
	return nil
}

// ReleaseUpload drops the reservation of dossier code's upload sum, once
// it is confirmed (its bytes are an original now) or discarded. Releasing
// one that is not there is not an error.
func (c *Catalog) ReleaseUpload(ctx context.Context, code, sum string) error {
	_, err := c.pool.Exec(ctx, `
		DELETE FROM uploads u USING dossiers d WHERE u.dossier_id = d.id AND d.code = $1 AND u.sha256 = $2`, code, sum)
	if err != nil {
		return fmt.Errorf("release upload %s of dossier %s: %w", sum, code, err)
	}
	return nil
}

// ExpireUploads drops reservations made before before and says how many.
func (c *Catalog) ExpireUploads(ctx context.Context, before time.Time) (int64, error) {
	tag, err := c.pool.Exec(ctx, `DELETE FROM uploads WHERE reserved_at < $1`, before)
	if err != nil {
		return 0, fmt.Errorf("expire uploads: %w", err)
	}
	return tag.RowsAffected(), nil
}

// UploadBytes is what office's unconfirmed reservations younger than ttl
// hold.
func (c *Catalog) UploadBytes(ctx context.Context, office string, ttl time.Duration) (int64, error) {
	var n int64
	err := c.pool.QueryRow(ctx, `SELECT coalesce(sum(size), 0) FROM uploads WHERE office = $1 AND reserved_at > now() - make_interval(secs => $2)`,
		office, ttl.Seconds()).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("unconfirmed uploads of office %s: %w", office, err)
	}
	return n, nil
}
