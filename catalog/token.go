package catalog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Roles an API client can have; each token has exactly one.
const (
	RoleOperator = "operator" // a scanner station at a desk: its own office's dossiers
	RoleWorkflow = "workflow" // the province's procedure-handling system
	RoleAuditor  = "auditor"  // read-only: originals, signatures, the trail
	RoleAdmin    = "admin"
)

// Token is an API client as the catalog records it.
type Token struct {
	Name      string
	Role      string
	Office    string // the office an operator works for
	CreatedAt time.Time
	RevokedAt time.Time // zero while valid
}

// tokenPrefix marks sohoa tokens, so that one pasted in the wrong place is
// recognisable (and findable by secret scanners).
const tokenPrefix = "sohoa_"

// ErrBadToken: no valid token matches.
var ErrBadToken = errors.New("invalid or revoked API token")

func tokenHash(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// CreateToken records a new client and returns its token, the only time
// the token is seen: the catalog keeps its SHA-256 (the token has 160
// random bits, so a plain hash is as good as a slow one). An operator
// must name an office.
func (c *Catalog) CreateToken(ctx context.Context, name, role, office string) (string, error) {
	if office != "" {
		if err := CheckOffice(office); err != nil {
			return "", fmt.Errorf("create token %s: %w", name, err)
		}
	}
	switch role {
	case RoleOperator:
		if office == "" {
			return "", fmt.Errorf("create token %s: an operator works for an office: name it", name)
		}
	case RoleWorkflow, RoleAuditor, RoleAdmin:
	default:
		return "", fmt.Errorf("create token %s: role %q: want operator, workflow, auditor or admin", name, role)
	}
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	token := tokenPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	tag, err := c.pool.Exec(ctx, `
		INSERT INTO api_tokens (name, role, office, hash) VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO NOTHING`, name, role, office, tokenHash(token))
	if err != nil {
		return "", fmt.Errorf("create token %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return "", fmt.Errorf("create token %s: %w", name, ErrExists)
	}
	return token, nil
}

// Authenticate returns the client a token belongs to, or ErrBadToken.
func (c *Catalog) Authenticate(ctx context.Context, token string) (Token, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) > 100 {
		return Token{}, ErrBadToken
	}
	var t Token
	err := c.pool.QueryRow(ctx, `
		SELECT name, role, office, created_at FROM api_tokens
		WHERE hash = $1 AND revoked_at IS NULL`, tokenHash(token)).Scan(&t.Name, &t.Role, &t.Office, &t.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return Token{}, ErrBadToken
	}
	if err != nil {
		return Token{}, fmt.Errorf("authenticate: %w", err)
	}
	return t, nil
}

// Active returns nil while the token named name is valid, ErrBadToken
// once it is revoked (or when there is none): what a stream or a link
// given out under a token asks before it goes on.
func (c *Catalog) Active(ctx context.Context, name string) error {
	var ok bool
	err := c.pool.QueryRow(ctx, `SELECT revoked_at IS NULL FROM api_tokens WHERE name = $1`, name).Scan(&ok)
	if errors.Is(err, pgx.ErrNoRows) || err == nil && !ok {
		return ErrBadToken
	}
	if err != nil {
		return fmt.Errorf("token %s: %w", name, err)
	}
	return nil
}

// Tokens lists every client, revoked ones too, by name.
func (c *Catalog) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := c.pool.Query(ctx, `
		SELECT name, role, office, created_at, coalesce(revoked_at, 'epoch') FROM api_tokens ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Token, error) {
		var t Token
		err := r.Scan(&t.Name, &t.Role, &t.Office, &t.CreatedAt, &t.RevokedAt)
		if t.RevokedAt.Unix() == 0 {
			t.RevokedAt = time.Time{}
		}
		return t, err
	})
}

// RevokeToken makes a client's token invalid from now on.
func (c *Catalog) RevokeToken(ctx context.Context, name string) error {
	tag, err := c.pool.Exec(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL`, name)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("revoke token %s: %w (or already revoked)", name, ErrNotFound)
	}
	return nil
}

// CheckOffice validates an office's agency code, which starts every code
// of its dossiers (and so file names and object keys): 1 to 40 letters,
// digits, '.', '-' and '_', starting with a letter or digit.
func CheckOffice(office string) error {
	bad := fmt.Errorf("office %q: an agency code of 1 to 40 letters, digits, '.', '-' and '_', starting with a letter or digit", office)
	if office == "" || len(office) > 40 {
		return bad
	}
	for i := 0; i < len(office); i++ {
		c := office[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '-' && c != '_') {
			return bad
		}
	}
	return nil
}
