package citizen

import "strings"

// provinceNames are the provinces by their code in the national catalogue
// of administrative units (the same numbers head the personal
// identification number, with a leading zero). The codes and names are those
// before the 2025 mergers: numbers already issued, and the register's
// records of birth places, keep them.
var provinceNames = map[string]string{
	"01": "Hà Nội", "02": "Hà Giang", "04": "Cao Bằng", "06": "Bắc Kạn", "08": "Tuyên Quang",
	"10": "Lào Cai", "11": "Điện Biên", "12": "Lai Châu", "14": "Sơn La", "15": "Yên Bái",
	"17": "Hòa Bình", "19": "Thái Nguyên", "20": "Lạng Sơn", "22": "Quảng Ninh", "24": "Bắc Giang",
	"25": "Phú Thọ", "26": "Vĩnh Phúc", "27": "Bắc Ninh", "30": "Hải Dương", "31": "Hải Phòng",
	"33": "Hưng Yên", "34": "Thái Bình", "35": "Hà Nam", "36": "Nam Định", "37": "Ninh Bình",
	"38": "Thanh Hóa", "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Bình", "45": "Quảng Trị",
	"46": "Thừa Thiên Huế", "48": "Đà Nẵng", "49": "Quảng Nam", "51": "Quảng Ngãi", "52": "Bình Định",
	"54": "Phú Yên", "56": "Khánh Hòa", "58": "Ninh Thuận", "60": "Bình Thuận", "62": "Kon Tum",
	"64": "Gia Lai", "66": "Đắk Lắk", "67": "Đắk Nông", "68": "Lâm Đồng", "70": "Bình Phước",
	"72": "Tây Ninh", "74": "Bình Dương", "75": "Đồng Nai", "77": "Bà Rịa - Vũng Tàu", "79": "Hồ Chí Minh",
	"80": "Long An", "82": "Tiền Giang", "83": "Bến Tre", "84": "Trà Vinh", "86": "Vĩnh Long",
	"87": "Đồng Tháp", "89": "An Giang", "91": "Kiên Giang", "92": "Cần Thơ", "93": "Hậu Giang",
	"94": "Sóc Trăng", "95": "Bạc Liêu", "96": "Cà Mau",
}

// ProvinceName is the name of the province with the given code, written
// with two digits ("01") as the catalogue of units does or three ("001") as
// an identification number does; "" for a code it does not know.
func ProvinceName(code string) string {
	code = strings.TrimSpace(code)
	if len(code) == 3 && code[0] == '0' {
		code = code[1:]
	}
	return provinceNames[code]
}

// ethnicities are the 54 ethnic groups by their code in the national
// catalogue (the General Statistics Office's list the register uses), and 55
// for a foreigner naturalised.
var ethnicities = []string{
	"Kinh", "Tày", "Thái", "Hoa", "Khơ-me", "Mường", "Nùng", "HMông", "Dao", "Gia-rai",
	"Ngái", "Ê-đê", "Ba-na", "Xơ-đăng", "Sán Chay", "Cơ-ho", "Chăm", "Sán Dìu", "Hrê", "Mnông",
	"Ra-glai", "Xtiêng", "Bru-Vân Kiều", "Thổ", "Giáy", "Cơ-tu", "Gié-Triêng", "Mạ", "Khơ-mú", "Co",
	"Tà-ôi", "Chơ-ro", "Kháng", "Xinh-mun", "Hà Nhì", "Chu-ru", "Lào", "La Chí", "La Ha", "Phù Lá",
	"La Hủ", "Lự", "Lô Lô", "Chứt", "Mảng", "Pà Thẻn", "Co Lao", "Cống", "Bố Y", "Si La",
	"Pu Péo", "Brâu", "Ơ-đu", "Rơ-măm", "Người nước ngoài",
}

// EthnicityName is the name of the ethnic group with the given code ("01"
// or "1" for Kinh); "" for a code it does not know.
func EthnicityName(code string) string {
	n := 0
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 2 {
		return ""
	}
	for _, c := range code {
		if c < '0' || c > '9' {
			return ""
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > len(ethnicities) {
		return ""
	}
	return ethnicities[n-1]
}
