package sign

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
)

// Level is a PAdES baseline level (ETSI EN 319 142-1, 6). Each builds on
// the one before:
//
//   - B-B: the signature alone, its certificate named in the signed
//     attributes;
//   - B-T: a time-stamp authority's token over the signature value proves
//     it existed at that time;
//   - B-LT: a second incremental update adds a Document Security Store
//     with the certificates and the OCSP responses or CRLs of the signer's
//     and the time-stamp authority's chains, fetched at signing, so the
//     signature can be checked after the certificates expire or the
//     responders are gone;
//   - B-LTA: a third update adds a document time-stamp over the whole
//     file, validation data included, so that all of it can be shown to
//     have existed before any algorithm or key it relies on weakens.
type Level string

// The levels, in order.
const (
	LevelBB   Level = "B-B"
	LevelBT   Level = "B-T"
	LevelBLT  Level = "B-LT"
	LevelBLTA Level = "B-LTA"
)

// Levels lists the levels from lowest to highest.
var Levels = []Level{LevelBB, LevelBT, LevelBLT, LevelBLTA}

// ErrLevel is returned for a level that is unknown or that the Signer's
// configuration cannot reach.
var ErrLevel = errors.New("PAdES level")

// ParseLevel reads a level as B-B, B-T, B-LT or B-LTA, in any case, with
// or without a "PAdES" prefix.
func ParseLevel(s string) (Level, error) {
	v := strings.ToUpper(strings.TrimSpace(s))
	v = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(v, "PADES"), "-"))
	for _, l := range Levels {
		if v == string(l) {
			return l, nil
		}
	}
	return "", fmt.Errorf("%w %q: want one of B-B, B-T, B-LT, B-LTA", ErrLevel, s)
}

// rank orders levels; an unknown level ranks below B-B.
func (l Level) rank() int {
	for i, v := range Levels {
		if v == l {
			return i
		}
	}
	return -1
}

// AtLeast says whether l is m or higher.
func (l Level) AtLeast(m Level) bool { return l.rank() >= m.rank() }

// TargetLevel is the level Sign produces: Level when set, else B-T when a
// time-stamp authority is configured and B-B otherwise (the behaviour
// before levels could be chosen).
func (s *Signer) TargetLevel() Level {
	if s.Level != "" {
		return s.Level
	}
	if s.TSAURL != "" {
		return LevelBT
	}
	return LevelBB
}

// CheckLevel says, without any network access, whether the configuration
// can reach the target level: B-T and above need a time-stamp authority
// (B-LT builds on B-T in ETSI EN 319 142-1, so a time-stamp, not the
// signer's own clock, fixes the time revocation is judged at), and B-B
// with an authority configured is refused rather than leaving it unused.
func (s *Signer) CheckLevel() error {
	l := s.TargetLevel()
	if l.rank() < 0 {
		_, err := ParseLevel(string(l))
		return err
	}
	switch {
	case l.AtLeast(LevelBT) && s.TSAURL == "":
		return fmt.Errorf("%w %s needs a time-stamp authority (--tsa or SOHOA_TSA_URL)", ErrLevel, l)
	case l == LevelBB && s.TSAURL != "":
		return fmt.Errorf("%w B-B with a time-stamp authority configured: a time-stamp makes it B-T; unset --tsa (SOHOA_TSA_URL) or choose B-T", ErrLevel)
	}
	return nil
}

// Preflight checks before any dossier is signed that the target level
// can be reached: the level fits the configuration, the time-stamp
// authority answers (B-T and above), and every certificate of the
// signer's chain and of the authority's names an OCSP responder or CRL
// that answers with a status other than revoked (B-LT and above). It
// costs one time-stamp and one revocation fetch per certificate, so a
// service calls it once at start.
func (s *Signer) Preflight(ctx context.Context) error {
	if err := s.CheckLevel(); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	l := s.TargetLevel()
	if !l.AtLeast(LevelBT) {
		return nil
	}
	probe := make([]byte, 32)
	if _, err := rand.Read(probe); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	ts, err := s.fetchTimestampDigest(ctx, probe)
	if err != nil {
		return fmt.Errorf("sign: check the time-stamp authority: %w", err)
	}
	if !l.AtLeast(LevelBLT) {
		return nil
	}
	tsaChain, err := tokenChain(ts.RawToken)
	if err != nil {
		return fmt.Errorf("sign: check the time-stamp authority: %w", err)
	}
	c := s.newCollector(true)
	if err := c.addChains(ctx, s.chain, tsaChain); err != nil {
		return fmt.Errorf("sign: %s cannot be reached: %w", l, err)
	}
	return nil
}
