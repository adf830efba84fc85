package scanset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The paragraph pages: notices, decisions and letters in running prose,
// dense with tone marks, set justified as official documents are.

func notice(rng *rand.Rand) *doc {
	d := &doc{name: "notice", kind: "paragraph", body: 13}
	d.agency("ỦY BAN NHÂN DÂN TỈNH BẮC NINH", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG")
	d.space(1).motto().space(1)
	d.right(italic, "Bắc Ninh, ngày 15 tháng 4 năm 2025")
	d.space(2).center(bold, 14, "THÔNG BÁO")
	d.center(bold, 14, "Về việc tiếp nhận và trả kết quả hồ sơ thủ tục hành chính").rule(40).space(2)
	d.para("Thực hiện chỉ đạo của Ủy ban nhân dân tỉnh về đẩy mạnh cải cách thủ tục hành chính và chuyển đổi số trong tiếp nhận, giải quyết hồ sơ, Trung tâm Phục vụ hành chính công tỉnh thông báo đến các tổ chức, cá nhân một số nội dung như sau:")
	d.para("1. Kể từ ngày 02 tháng 5 năm 2025, toàn bộ hồ sơ giấy tiếp nhận tại bộ phận một cửa được số hóa ngay tại quầy; bản điện tử được ký số và có giá trị sử dụng thay cho bản giấy trong suốt quá trình giải quyết.")
	d.para("2. Người nộp hồ sơ được cấp mã hồ sơ để tự tra cứu tiến độ trên Cổng dịch vụ công quốc gia hoặc ứng dụng VNeID. Những thông tin đã có trong Cơ sở dữ liệu quốc gia về dân cư được khai thác, sử dụng lại, không yêu cầu người dân cung cấp thêm.")
	d.para("3. Thời gian tiếp nhận hồ sơ: buổi sáng từ 07 giờ 30 phút đến 11 giờ 30 phút, buổi chiều từ 13 giờ 30 phút đến 17 giờ 00 phút, từ thứ Hai đến thứ Sáu hằng tuần.")
	d.para("4. Kết quả giải quyết được trả trực tiếp tại quầy, qua dịch vụ bưu chính công ích hoặc tại tủ trả kết quả tự động hoạt động 24 giờ trong ngày; người nhận dùng mã số một lần được gửi qua tin nhắn để mở tủ.")
	d.para("5. Người cao tuổi, người khuyết tật và người chưa quen sử dụng thiết bị điện tử được hướng dẫn, hỗ trợ kê khai ngay tại sảnh chờ.")
	d.para("Trong quá trình thực hiện, nếu có vướng mắc, đề nghị liên hệ bộ phận hướng dẫn của Trung tâm để được giải đáp kịp thời. Trung tâm Phục vụ hành chính công tỉnh trân trọng thông báo./.")
	return d.sign(signBlock{titles: []string{"GIÁM ĐỐC"}, name: officer(rng, false)})
}

func decision(rng *rand.Rand) *doc {
	d := &doc{name: "decision", kind: "paragraph", body: 13}
	d.agency("ỦY BAN NHÂN DÂN TỈNH LÀO CAI", "ỦY BAN NHÂN DÂN HUYỆN BẢO THẮNG")
	d.center(regular, 13, "Số: 1284/QĐ-UBND")
	d.space(1).motto().space(1)
	d.right(italic, "Bảo Thắng, ngày 14 tháng 10 năm 2024")
	d.space(1).center(bold, 14, "QUYẾT ĐỊNH")
	d.center(bold, 14, "Về việc phê duyệt danh sách hộ gia đình được hỗ trợ sửa chữa nhà ở do thiệt hại của bão số 3 và mưa lũ sau bão").rule(40).space(1)
	d.center(bold, 14, "CHỦ TỊCH ỦY BAN NHÂN DÂN HUYỆN BẢO THẮNG").space(2)
	d.para("Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;")
	d.para("Căn cứ Nghị quyết của Hội đồng nhân dân tỉnh về chính sách hỗ trợ khắc phục hậu quả thiên tai, ổn định đời sống nhân dân trên địa bàn tỉnh;")
	d.para("Xét đề nghị của Trưởng phòng Kinh tế và Hạ tầng.")
	d.center(bold, 14, "QUYẾT ĐỊNH:").space(1)
	d.para("Điều 1. Phê duyệt danh sách 46 hộ gia đình tại các xã Phong Niên, Xuân Quang, Gia Phú và thị trấn Phố Lu được hỗ trợ sửa chữa, gia cố nhà ở bị hư hỏng, với tổng kinh phí hỗ trợ là 1.380.000.000 đồng (Bằng chữ: Một tỷ ba trăm tám mươi triệu đồng).")
	d.para("Điều 2. Ủy ban nhân dân các xã, thị trấn có trách nhiệm công khai danh sách tại trụ sở và nhà văn hóa thôn, tổ dân phố; chi trả đúng đối tượng, đủ mức, kịp thời; thanh quyết toán kinh phí theo quy định trước ngày 30 tháng 11 năm 2024.")
	d.para("Điều 3. Quyết định này có hiệu lực kể từ ngày ký. Chánh Văn phòng Ủy ban nhân dân huyện, Trưởng phòng Tài chính - Kế hoạch, Trưởng phòng Kinh tế và Hạ tầng, Chủ tịch Ủy ban nhân dân các xã, thị trấn và các hộ gia đình có tên trong danh sách chịu trách nhiệm thi hành Quyết định này./.")
	return d.sign(signBlock{titles: []string{"KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"}, name: officer(rng, false)})
}

// receipt is the short slip the one-stop desk hands back with the
// dossier code.
func receipt(rng *rand.Rand, citizen person, received date) *doc {
	loc := citizen.home.loc
	prov := provinceByCode(loc.prov)
	code := fmt.Sprintf("000.%02d.%s.H%02d-%02d%02d%02d-%04d", 10+rng.IntN(80), loc.prov[1:], 10+rng.IntN(80),
		received.year%100, received.month, received.day, 1+rng.IntN(300))
	title := "ông"
	if citizen.female {
		title = "bà"
	}
	d := &doc{name: "receipt", kind: "paragraph", body: 13}
	d.agency("ỦY BAN NHÂN DÂN "+upper(loc.ward), "BỘ PHẬN MỘT CỬA")
	d.space(1).motto().space(1)
	d.right(italic, prov.city+", "+received.long())
	d.space(2).center(bold, 14, "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ")
	d.center(bold, 13, "Mã hồ sơ: "+code).space(3)
	d.para(fmt.Sprintf("Bộ phận tiếp nhận và trả kết quả Ủy ban nhân dân %s đã nhận hồ sơ của %s %s, số định danh cá nhân %s, về việc đăng ký thường trú cho con chưa thành niên.",
		loc.ward, title, citizen.display(), citizen.id))
	d.para("Hồ sơ gồm tờ khai thay đổi thông tin cư trú, giấy tờ chứng minh chỗ ở hợp pháp và văn bản đồng ý của chủ hộ. Các giấy tờ đã được số hóa, ký số và trả lại bản gốc cho người nộp ngay tại quầy.")
	back := date{min(received.day+6, 28), received.month, received.year}
	d.para(fmt.Sprintf("Thời gian hẹn trả kết quả: 15 giờ 00 phút, %s. Kết quả được trả tại quầy số 4 hoặc qua tủ trả kết quả tự động; người dân có thể tra cứu tiến độ trên ứng dụng VNeID bằng mã hồ sơ nêu trên.", back.long()))
	return d.sign(signBlock{titles: []string{"NGƯỜI TIẾP NHẬN"}, note: "(Ký, ghi rõ họ tên)", name: officer(rng, false)})
}

// consent is the home owner's letter agreeing that a relative registers
// permanent residence at the owner's house.
func consent(rng *rand.Rand, h household, applicant person, written date) *doc {
	owner := h.head
	loc := owner.home.loc
	prov := provinceByCode(loc.prov)
	title := "ông"
	if applicant.female {
		title = "bà"
	}
	d := &doc{name: "consent", kind: "paragraph", body: 14}
	d.motto().space(2)
	d.right(italic, prov.city+", "+written.long())
	d.space(3).center(bold, 14, "VĂN BẢN ĐỒNG Ý")
	d.center(bold, 14, "CHO ĐĂNG KÝ THƯỜNG TRÚ VÀO CHỖ Ở HỢP PHÁP").space(3)
	d.left(regular, fmt.Sprintf("Kính gửi: Công an %s, %s, %s.", loc.ward, loc.district, prov.name))
	d.space(2)
	d.para(fmt.Sprintf("Tôi là %s, sinh ngày %s, số định danh cá nhân %s, hiện thường trú tại %s.",
		owner.display(), owner.born, owner.id, owner.home))
	d.para(fmt.Sprintf("Tôi là chủ sở hữu hợp pháp của nhà ở tại địa chỉ nêu trên theo Giấy chứng nhận quyền sử dụng đất, quyền sở hữu nhà ở và tài sản khác gắn liền với đất do Ủy ban nhân dân %s cấp ngày %s.",
		loc.district, randomDate(rng, 2008, 2020)))
	d.para(fmt.Sprintf("Nay tôi đồng ý cho %s %s, sinh ngày %s, số định danh cá nhân %s, là %s của tôi, cùng %s người con chưa thành niên được đăng ký thường trú vào chỗ ở hợp pháp nêu trên. Diện tích nhà ở bảo đảm điều kiện tối thiểu theo quy định của Luật Cư trú.",
		title, applicant.display(), applicant.born, applicant.id, strings.ToLower(spouseTerm(applicant)), numberWords(len(h.children))))
	d.para("Tôi cam đoan những thông tin trên là đúng sự thật; nếu sai, tôi xin hoàn toàn chịu trách nhiệm trước pháp luật. Văn bản này được lập thành hai bản, một bản nộp kèm hồ sơ đăng ký thường trú, một bản do tôi giữ.")
	return d.sign(signBlock{titles: []string{"NGƯỜI ĐỒNG Ý"}, note: "(Ký, ghi rõ họ tên)", name: owner.display(), signed: true})
}

func plan(rng *rand.Rand) *doc {
	d := &doc{name: "plan", kind: "paragraph", body: 13}
	d.agency("ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÀ NẴNG", "ỦY BAN NHÂN DÂN QUẬN HẢI CHÂU")
	d.center(regular, 13, "Số: 86/KH-UBND")
	d.space(1).motto().space(1)
	d.right(italic, "Hải Châu, ngày 20 tháng 01 năm 2025")
	d.space(1).center(bold, 14, "KẾ HOẠCH")
	d.center(bold, 14, "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính năm 2025").rule(40).space(2)
	d.left(bold, "I. MỤC ĐÍCH, YÊU CẦU")
	d.para("1. Bảo đảm toàn bộ hồ sơ thủ tục hành chính tiếp nhận trực tiếp tại bộ phận một cửa được số hóa ngay khi tiếp nhận; kết quả giải quyết được số hóa, ký số và lưu trữ trên hệ thống thông tin giải quyết thủ tục hành chính của thành phố.")
	d.para("2. Khai thác, sử dụng lại dữ liệu đã số hóa và dữ liệu từ Cơ sở dữ liệu quốc gia về dân cư; không yêu cầu tổ chức, cá nhân nộp lại những giấy tờ mà cơ quan nhà nước đang quản lý.")
	d.left(bold, "II. NỘI DUNG THỰC HIỆN")
	d.para("1. Trang bị bổ sung máy quét tài liệu tốc độ cao cho bộ phận một cửa các phường; kiểm tra, nâng cấp đường truyền tại những điểm tiếp nhận còn chậm, chập chờn.")
	d.para("2. Bố trí công chức thực hiện số hóa; tổ chức tập huấn về quét tài liệu, nhận dạng ký tự và ký số bản điện tử trước ngày 28 tháng 02 năm 2025.")
	d.para("3. Hằng tháng báo cáo tỷ lệ hồ sơ được số hóa và tỷ lệ hồ sơ giải quyết đúng hạn.")
	d.left(bold, "III. TỔ CHỨC THỰC HIỆN")
	d.para("Văn phòng Hội đồng nhân dân và Ủy ban nhân dân quận chủ trì, phối hợp với Ủy ban nhân dân các phường triển khai Kế hoạch này. Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, các đơn vị kịp thời phản ánh để xem xét, giải quyết./.")
	return d.sign(signBlock{titles: []string{"KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"}, name: officer(rng, false)})
}

func randomParagraph(rng *rand.Rand) *doc {
	switch rng.IntN(5) {
	case 0:
		return notice(rng)
	case 1:
		return decision(rng)
	case 2:
		return receipt(rng, randomPerson(rng, 1960, 2000), randomDate(rng, 2024, 2025))
	case 3:
		h := randomHousehold(rng)
		return consent(rng, h, h.spouse, randomDate(rng, 2023, 2025))
	default:
		return plan(rng)
	}
}
