package citizen

import "testing"

func TestNames(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{ProvinceName("01"), "Hà Nội"},
		{ProvinceName("001"), "Hà Nội"},
		{ProvinceName("079"), "Hồ Chí Minh"},
		{ProvinceName("03"), ""}, // a gap in the catalogue
		{ProvinceName("1"), ""},
		{EthnicityName("01"), "Kinh"},
		{EthnicityName("1"), "Kinh"},
		{EthnicityName("17"), "Chăm"},
		{EthnicityName("54"), "Rơ-măm"},
		{EthnicityName("56"), ""},
		{EthnicityName("0"), ""},
		{EthnicityName("x1"), ""},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
	// Every province an identification number can name has a name.
	for code := range provinces {
		if ProvinceName(code) == "" {
			t.Errorf("province %s has no name", code)
		}
	}
}
