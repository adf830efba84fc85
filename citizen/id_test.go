package citizen

import (
	"errors"
	"testing"
	"time"
)

func TestParseID(t *testing.T) {
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	id, err := ParseID("001085012345", now)
	if err != nil || id.Province != "001" || id.Female || id.BirthYear != 1985 {
		t.Errorf("001085012345 = %+v, %v", id, err)
	}
	id, err = ParseID("079305000123", now)
	if err != nil || !id.Female || id.BirthYear != 2005 {
		t.Errorf("079305000123 = %+v, %v", id, err)
	}
	for _, bad := range []string{"", "00118501234", "0011850123456", "00118501234x", "003185012345", "097185012345", "001299012345"} {
		if _, err := ParseID(bad, now); !errors.Is(err, ErrBadID) {
			t.Errorf("%q: err = %v, want ErrBadID", bad, err)
		}
	}
}
