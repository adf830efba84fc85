// Package register is how sohoa asks the national population database
// (CSDL quốc gia về dân cư) about a citizen: does a citizen with this ID
// number, name and date of birth exist (Verify), and what does the register
// hold on them (Lookup). The reconcile stage uses it to check what OCR read
// off a dossier's pages against the register, and to reuse the register's
// data instead of asking the citizen again.
//
// Register is the one interface callers use. It has two real
// implementations: register/pgmirror, a PostgreSQL copy a province loads
// from an export, and register/soap, the client of the SOAP 1.1 service the
// provincial and national integration platforms offer (CONTRACT.md beside
// this file describes that contract). Both pass the one conformance suite in
// register/registertest, so the rules of matching (FoldName, Date.Matches,
// Matches) are written once, here.
package register

import (
	"context"
	"errors"
	"strings"
)

// Sentinel errors callers act on. Implementations wrap them with the
// operation and the request, so test with errors.Is.
var (
	// ErrNotPermitted: the register refused this agency, officer or
	// procedure, or the credentials sohoa presented. Retrying does not help;
	// someone has to grant the permission or fix the credentials.
	ErrNotPermitted = errors.New("register refused: not permitted")
	// ErrUnavailable: the register could not answer now (down, too slow,
	// answering 5xx or garbage, or the client's circuit breaker is open). A
	// caller marks the dossier "not yet reconciled" and tries again later.
	ErrUnavailable = errors.New("register unavailable")
	// ErrBadRequest: the request is not one the register accepts (a field
	// missing or malformed); sent again unchanged it fails again.
	ErrBadRequest = errors.New("bad register request")
)

// Register answers questions about citizens. Implementations are safe for
// concurrent use.
//
// A citizen is identified by Request.ID or Request.LegacyID (both when both
// are given). Name and Birth, when given, must match too: a request whose
// number exists but whose name or date of birth does not match is answered
// as not found, so that the register never tells a caller who has only a
// number whose number it is.
type Register interface {
	// Verify reports whether a citizen with the request's number, name and
	// date of birth exists. Name and Birth are required (ErrBadRequest).
	Verify(ctx context.Context, req Request) (bool, error)
	// Lookup returns the citizen the request identifies, or (nil, nil) when
	// there is none: "not found" is an answer, not an error. The wire's
	// empty citizen record becomes nil here so that a caller cannot mistake
	// an empty record for a citizen with empty fields.
	Lookup(ctx context.Context, req Request) (*Citizen, error)
}

// Request is one question to the register. Every request names who asks
// and why (RequestID, Procedure, Service, Agency, Officer); the register
// logs them and so does the caller, in the dossier's audit trail.
type Request struct {
	// RequestID identifies this call in both sides' logs: at most 40
	// printable ASCII characters.
	RequestID string
	// Procedure is the code of the administrative procedure (thủ tục hành
	// chính) the dossier is for, e.g. "1.001612".
	Procedure string
	// Service is the integration service code the platform issued for this
	// use of the register.
	Service string
	// Agency is the code of the agency asking.
	Agency string
	// Officer identifies the officer on whose behalf the call is made.
	Officer string

	// ID is the 12-digit personal identification number; LegacyID the old
	// 9-digit identity card (CMND) number. At least one is required.
	ID, LegacyID string
	// Name is the full name as written (with diacritics, any case); it goes
	// on the wire folded by FoldName.
	Name string
	// Birth is the date of birth, or only its year.
	Birth Date
}

// Citizen is what the register holds on one citizen.
type Citizen struct {
	ID       string // 12-digit personal identification number
	LegacyID string // old 9-digit CMND number; empty when none
	Name     Name
	Gender   Gender
	// Ethnicity, Religion and Nationality are codes of the national
	// catalogues (e.g. ethnicity "01" Kinh, religion "00" none, nationality
	// "VN"), passed on as the register gives them.
	Ethnicity, Religion, Nationality string
	Birth                            Date

	BirthRegistration Place // nơi đăng ký khai sinh
	HomeTown          Place // quê quán
	Permanent         Place // nơi thường trú
	Current           Place // nơi ở hiện tại

	// Relatives as the register records them; the zero Relative where it
	// records none.
	Father, Mother, Spouse Relative
	Representative         Relative // người đại diện (of a minor, for example)
	HouseholdHead          Relative // chủ hộ
}

// Name is a Vietnamese name as the register splits it: family name (họ),
// middle name (chữ đệm, may be empty or several words) and given name (tên).
type Name struct {
	Family, Middle, Given string
}

// String is the full name, family name first, as it is written.
func (n Name) String() string {
	parts := make([]string, 0, 3)
	for _, p := range []string{n.Family, n.Middle, n.Given} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, " ")
}

// Gender as the register codes it.
type Gender int

// The register's gender codes; GenderUnknown where it records none.
const (
	GenderUnknown Gender = 0
	Male          Gender = 1
	Female        Gender = 2
)

// Place is an administrative address: the codes of province, district and
// ward from the national catalogue of administrative units, and the rest
// (village, street, house number) as text.
type Place struct {
	Province, District, Ward string
	Detail                   string
}

// Relative is another person the register links to a citizen.
type Relative struct {
	ID   string // their personal identification number, when recorded
	Name string // their full name
}

// IsZero reports whether no relative is recorded.
func (r Relative) IsZero() bool { return r == Relative{} }
