package scanset

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The forms: labelled fields filled in with a citizen's data, dotted
// leaders under the values, and a signature block. Each builder takes the
// people it names so the fixture set can fix them; random* wrappers pick
// them for benchmark pages.

// household is a family at one address: the head, the spouse, children.
type household struct {
	head, spouse person
	children     []person
}

func randomHousehold(rng *rand.Rand) household {
	head := randomPerson(rng, 1965, 1992)
	h := household{head: head}
	h.spouse = relative(rng, head, !head.female, head.born.year-4, head.born.year+5, "")
	for i := 0; i < 1+rng.IntN(2); i++ {
		h.children = append(h.children, relative(rng, head, rng.IntN(2) == 0, max(head.born.year+22, 2008), 2024, h.surname()))
	}
	return h
}

// surname is the father's: the children's family name.
func (h household) surname() string {
	father := h.head
	if father.female {
		father = h.spouse
	}
	return strings.Fields(father.name)[0]
}

// newborn is a child of the household born on the given day, registered
// in the province the family lives in.
func (h household) newborn(rng *rand.Rand, born date) person {
	c := relative(rng, h.head, rng.IntN(2) == 0, born.year, born.year, h.surname())
	c.born = born
	c.id = idNumber(c.birth, c.female, born.year, rng.IntN(1000000))
	return c
}

// spouseTerm is how a household register names the head's spouse.
func spouseTerm(p person) string {
	if p.female {
		return "Vợ"
	}
	return "Chồng"
}

// residenceCertificate is the police's confirmation of where a citizen
// lives (form CT07), sealed and signed.
func residenceCertificate(h household, subject person, issued date, officer string) *doc {
	loc := subject.home.loc
	prov := provinceByCode(loc.prov)
	d := &doc{name: "residence-certificate", kind: "form", body: 13}
	d.agency("CÔNG AN "+upper(prov.name), "CÔNG AN "+upper(loc.ward))
	d.space(1).motto().space(1)
	d.right(italic, prov.city+", "+issued.long())
	d.space(2).center(bold, 14, "GIẤY XÁC NHẬN THÔNG TIN VỀ CƯ TRÚ").space(2)
	d.para(fmt.Sprintf("Công an %s, %s, %s xác nhận thông tin về cư trú của công dân như sau:", loc.ward, loc.district, prov.name))
	d.field("1. Họ, chữ đệm và tên:", subject.name)
	d.fieldRow(field{label: "2. Ngày, tháng, năm sinh:", value: subject.born.String()},
		field{label: "3. Giới tính:", value: subject.gender(), col: 0.62})
	d.field("4. Số định danh cá nhân:", subject.id)
	d.fieldRow(field{label: "5. Dân tộc:", value: "Kinh"},
		field{label: "6. Tôn giáo:", value: "Không", col: 0.34},
		field{label: "7. Quốc tịch:", value: "Việt Nam", col: 0.64})
	d.field("8. Nơi thường trú:", subject.home.String())
	d.field("9. Nơi tạm trú:", "")
	d.field("10. Nơi ở hiện tại:", subject.home.String())
	d.field("11. Họ, chữ đệm và tên chủ hộ:", h.head.name)
	d.field("12. Quan hệ với chủ hộ:", spouseTerm(subject))
	d.field("13. Số định danh cá nhân của chủ hộ:", h.head.id)
	d.field("14. Các thành viên khác trong hộ gia đình:", "")
	for i, c := range h.children {
		d.field(fmt.Sprintf("%c)", 'a'+i), fmt.Sprintf("%s, sinh ngày %s, số định danh cá nhân %s, quan hệ với chủ hộ: con", c.name, c.born, c.id))
	}
	d.item("Giấy xác nhận này có giá trị 30 ngày kể từ ngày cấp.")
	return d.sign(signBlock{titles: []string{"TRƯỞNG CÔNG AN PHƯỜNG"}, name: officer, signed: true, sealed: true,
		ringText: "CÔNG AN " + upper(loc.ward) + " * " + upper(bare(prov))})
}

// birthDeclaration is the birth registration form a parent fills in.
func birthDeclaration(rng *rand.Rand, h household, child person, filed date) *doc {
	father, mother := h.head, h.spouse
	if father.female {
		father, mother = mother, father
	}
	loc := father.home.loc
	prov := provinceByCode(loc.prov)
	d := &doc{name: "birth-declaration", kind: "form", body: 13}
	d.motto().space(3)
	d.center(bold, 14, "TỜ KHAI ĐĂNG KÝ KHAI SINH").space(3)
	d.field("Kính gửi:", fmt.Sprintf("Ủy ban nhân dân %s, %s, %s", loc.ward, loc.district, prov.name))
	d.field("Họ, chữ đệm, tên người yêu cầu:", father.name)
	d.field("Nơi cư trú:", father.home.String())
	d.field("Số định danh cá nhân:", father.id)
	d.field("Quan hệ với người được đăng ký khai sinh:", "Cha")
	d.left(regular, "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây:")
	d.field("Họ, chữ đệm, tên:", child.name)
	d.fieldRow(field{label: "Ngày, tháng, năm sinh:", value: child.born.String()},
		field{label: "Giới tính:", value: child.gender(), col: 0.62})
	d.field("Ghi bằng chữ:", dateWords(child.born))
	d.fieldRow(field{label: "Dân tộc:", value: "Kinh"}, field{label: "Quốc tịch:", value: "Việt Nam", col: 0.45})
	hospitals := []string{"Bệnh viện Sản Nhi", "Bệnh viện Đa khoa", "Trung tâm Y tế"}
	d.field("Nơi sinh:", fmt.Sprintf("%s %s, %s", pick(rng, hospitals), bare(prov), prov.name))
	d.field("Quê quán:", father.home.place())
	d.field("Họ, chữ đệm, tên người mẹ:", mother.name)
	d.fieldRow(field{label: "Năm sinh:", value: fmt.Sprint(mother.born.year)},
		field{label: "Dân tộc:", value: "Kinh", col: 0.33}, field{label: "Quốc tịch:", value: "Việt Nam", col: 0.62})
	d.field("Số định danh cá nhân:", mother.id)
	d.field("Họ, chữ đệm, tên người cha:", father.name)
	d.fieldRow(field{label: "Năm sinh:", value: fmt.Sprint(father.born.year)},
		field{label: "Dân tộc:", value: "Kinh", col: 0.33}, field{label: "Quốc tịch:", value: "Việt Nam", col: 0.62})
	d.para("Tôi cam đoan nội dung đề nghị đăng ký khai sinh trên đây là đúng sự thật, được sự thỏa thuận nhất trí của các bên liên quan theo quy định pháp luật. Tôi chịu hoàn toàn trách nhiệm trước pháp luật về nội dung cam đoan của mình.")
	d.right(italic, fmt.Sprintf("Làm tại %s, %s", loc.ward, filed.long()))
	return d.sign(signBlock{titles: []string{"NGƯỜI YÊU CẦU"}, note: "(Ký, ghi rõ họ, chữ đệm, tên)", name: father.display(), signed: true})
}

// residenceApplication asks the ward police to register a permanent
// residence at the household's address.
func residenceApplication(rng *rand.Rand, h household, applicant person, from address, filed date) *doc {
	loc := h.head.home.loc
	prov := provinceByCode(loc.prov)
	d := &doc{name: "residence-application", kind: "form", body: 13}
	d.motto().space(3)
	d.center(bold, 14, "ĐƠN ĐỀ NGHỊ ĐĂNG KÝ THƯỜNG TRÚ").space(3)
	d.field("Kính gửi:", fmt.Sprintf("Công an %s, %s, %s", loc.ward, loc.district, prov.name))
	d.field("1. Họ, chữ đệm và tên:", applicant.name)
	d.fieldRow(field{label: "2. Ngày, tháng, năm sinh:", value: applicant.born.String()},
		field{label: "3. Giới tính:", value: applicant.gender(), col: 0.62})
	d.field("4. Số định danh cá nhân:", applicant.id)
	d.fieldRow(field{label: "5. Số điện thoại liên hệ:", value: phone(rng)}, field{label: "6. Email:", col: 0.6})
	d.field("7. Nơi thường trú hiện tại:", from.String())
	d.field("8. Nơi đề nghị đăng ký thường trú:", h.head.home.String())
	d.field("9. Họ, chữ đệm và tên chủ hộ:", h.head.name)
	d.field("10. Quan hệ với chủ hộ:", spouseTerm(applicant))
	d.field("11. Số định danh cá nhân của chủ hộ:", h.head.id)
	d.field("12. Nội dung đề nghị:", "Đăng ký thường trú vào chỗ ở hợp pháp của chủ hộ, được chủ hộ đồng ý bằng văn bản kèm theo.")
	d.field("13. Những thành viên trong hộ gia đình cùng thay đổi:", "")
	for i, c := range h.children {
		d.field(fmt.Sprintf("%c)", 'a'+i), fmt.Sprintf("%s, sinh ngày %s, số định danh cá nhân %s, quan hệ với chủ hộ: con", c.name, c.born, c.id))
	}
	d.para("Tôi xin cam đoan những thông tin kê khai trên là đúng sự thật và chịu trách nhiệm trước pháp luật về nội dung đã khai.")
	d.right(italic, prov.city+", "+filed.long())
	return d.sign(signBlock{titles: []string{"NGƯỜI ĐỀ NGHỊ"}, note: "(Ký, ghi rõ họ tên)", name: applicant.display(), signed: true})
}

// landCertificate is the land-use right certificate, issued by the district
// and sealed.
func landCertificate(rng *rand.Rand, h household, issued date, signer string) *doc {
	loc := h.head.home.loc
	prov := provinceByCode(loc.prov)
	d := &doc{name: "land-certificate", kind: "form", body: 13}
	d.motto().space(3)
	d.center(bold, 16, "GIẤY CHỨNG NHẬN")
	d.center(bold, 13, "QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU NHÀ Ở")
	d.center(bold, 13, "VÀ TÀI SẢN KHÁC GẮN LIỀN VỚI ĐẤT")
	d.center(regular, 13, fmt.Sprintf("Số phát hành: %s %06d", pick(rng, []string{"DĐ", "CS", "DA", "CT"}), rng.IntN(1000000))).space(2)
	d.left(bold, "I. Người sử dụng đất, chủ sở hữu nhà ở và tài sản khác gắn liền với đất")
	for _, p := range []person{h.head, h.spouse} {
		title := "Ông:"
		if p.female {
			title = "Bà:"
		}
		d.field(title, fmt.Sprintf("%s, sinh năm %d", p.name, p.born.year))
		d.field("Số định danh cá nhân:", p.id)
	}
	d.field("Địa chỉ thường trú:", h.head.home.String())
	d.left(bold, "II. Thửa đất, nhà ở và tài sản khác gắn liền với đất")
	d.left(regular, "1. Thửa đất:")
	d.fieldRow(field{label: "a) Thửa đất số:", value: fmt.Sprint(10 + rng.IntN(490))},
		field{label: "Tờ bản đồ số:", value: fmt.Sprint(1 + rng.IntN(60)), col: 0.5})
	d.field("b) Địa chỉ:", h.head.home.String())
	fig, words := area(rng, 40, 180)
	d.field("c) Diện tích:", fmt.Sprintf("%s (Bằng chữ: %s)", fig, words))
	d.fieldRow(field{label: "d) Hình thức sử dụng:", value: "Sử dụng riêng"},
		field{label: "đ) Thời hạn:", value: "Lâu dài", col: 0.6})
	d.field("e) Mục đích sử dụng:", pick(rng, []string{"Đất ở tại đô thị", "Đất ở tại nông thôn"}))
	d.field("g) Nguồn gốc sử dụng:", pick(rng, []string{
		"Nhận chuyển nhượng đất được Nhà nước công nhận quyền sử dụng đất",
		"Nhận thừa kế đất được Nhà nước công nhận quyền sử dụng đất",
		"Nhà nước giao đất có thu tiền sử dụng đất"}))
	d.left(regular, "2. Nhà ở:")
	floors := 1 + rng.IntN(4)
	built, _ := area(rng, 35, 90)
	d.fieldRow(field{label: "a) Loại nhà ở:", value: "Nhà ở riêng lẻ"}, field{label: "b) Số tầng:", value: fmt.Sprint(floors), col: 0.6})
	d.fieldRow(field{label: "c) Diện tích xây dựng:", value: built}, field{label: "d) Kết cấu:", value: "Bê tông cốt thép", col: 0.5})
	d.right(italic, prov.city+", "+issued.long())
	return d.sign(signBlock{titles: []string{"TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"}, name: signer, signed: true, sealed: true,
		ringText: "ỦY BAN NHÂN DÂN " + upper(loc.district) + " * " + upper(bare(prov))})
}

type vehicle struct {
	brand, model, kind, colour, engine, frame, capacity, plate string
}

// platePrefix is the two-digit province number plates open with.
var platePrefix = map[string][]string{
	"001": {"29", "30", "33"}, "010": {"24"}, "027": {"99"}, "031": {"15", "16"}, "040": {"37"},
	"046": {"75"}, "048": {"43"}, "079": {"50", "59"}, "092": {"65"},
}

func randomVehicle(rng *rand.Rand, prov string) vehicle {
	type model struct{ brand, name, code, capacity string }
	models := []model{
		{"HONDA", "VISION", "JF86E", "109,5 cm³"}, {"HONDA", "WAVE ALPHA", "JA39E", "109,1 cm³"},
		{"HONDA", "AIR BLADE", "KF51E", "124,8 cm³"}, {"YAMAHA", "SIRIUS", "E3Y8E", "113,7 cm³"},
		{"YAMAHA", "JANUS", "E3W8E", "124,9 cm³"}, {"SUZUKI", "RAIDER", "CGA2E", "147,3 cm³"},
	}
	m := pick(rng, models)
	letters := "ABCDEFGHKLMNPSTUVXYZ"
	serial := fmt.Sprintf("%c%d", letters[rng.IntN(len(letters))], 1+rng.IntN(9))
	return vehicle{
		brand: m.brand, model: m.name, kind: "Xe mô tô hai bánh",
		colour:   pick(rng, []string{"Đỏ - Đen", "Trắng - Đen", "Xanh - Bạc", "Đen - Xám", "Nâu - Vàng"}),
		engine:   fmt.Sprintf("%s-%07d", m.code, rng.IntN(10000000)),
		frame:    fmt.Sprintf("RL%c%s%02d%06d", letters[rng.IntN(len(letters))], m.code[:4], 10+rng.IntN(90), rng.IntN(1000000)),
		capacity: m.capacity,
		plate:    fmt.Sprintf("%s%s-%03d.%02d", pick(rng, platePrefix[prov]), serial, rng.IntN(1000), rng.IntN(100)),
	}
}

// vehicleRegistration is the motorbike registration certificate issued by
// the district police.
func vehicleRegistration(owner person, v vehicle, issued date, signer string) *doc {
	loc := owner.home.loc
	prov := provinceByCode(loc.prov)
	d := &doc{name: "vehicle-registration", kind: "form", body: 13}
	d.agency("CÔNG AN "+upper(prov.name), "CÔNG AN "+upper(loc.district))
	d.space(1).motto().space(4)
	d.center(bold, 15, "GIẤY ĐĂNG KÝ XE")
	d.center(bold, 13, "(Chứng nhận đăng ký xe mô tô, xe gắn máy)").space(4)
	d.field("Tên chủ xe:", owner.name)
	d.fieldRow(field{label: "Năm sinh:", value: fmt.Sprint(owner.born.year)},
		field{label: "Số định danh cá nhân:", value: owner.id, col: 0.3})
	d.field("Địa chỉ:", owner.home.String())
	d.fieldRow(field{label: "Nhãn hiệu:", value: v.brand}, field{label: "Số loại:", value: v.model, col: 0.5})
	d.fieldRow(field{label: "Loại xe:", value: v.kind}, field{label: "Màu sơn:", value: v.colour, col: 0.5})
	d.fieldRow(field{label: "Số máy:", value: v.engine}, field{label: "Số khung:", value: v.frame, col: 0.45})
	d.fieldRow(field{label: "Dung tích:", value: v.capacity}, field{label: "Số chỗ ngồi:", value: "02", col: 0.5})
	d.field("Biển số đăng ký:", v.plate)
	d.field("Đăng ký lần đầu ngày:", issued.String())
	d.space(2).item("Chủ xe có trách nhiệm mang theo giấy đăng ký xe khi điều khiển phương tiện tham gia giao thông và làm thủ tục thu hồi khi chuyển quyền sở hữu xe.")
	d.right(italic, prov.city+", "+issued.long())
	return d.sign(signBlock{titles: []string{"TRƯỞNG CÔNG AN"}, name: signer, signed: true, sealed: true,
		ringText: "CÔNG AN " + upper(loc.district) + " * " + upper(bare(prov))})
}

// officer names the signer of an official paper.
func officer(rng *rand.Rand, rank bool) string {
	p := randomPerson(rng, 1965, 1985)
	if rank {
		return pick(rng, []string{"Thiếu tá ", "Trung tá ", "Đại úy "}) + p.display()
	}
	return p.display()
}

func randomForm(rng *rand.Rand) *doc {
	h := randomHousehold(rng)
	issued := randomDate(rng, 2023, 2025)
	switch rng.IntN(5) {
	case 0:
		return residenceCertificate(h, h.spouse, issued, officer(rng, true))
	case 1:
		// Births are declared within weeks.
		born := randomDate(rng, 2023, 2025)
		filed := date{min(born.day+5+rng.IntN(20), 28), born.month, born.year}
		return birthDeclaration(rng, h, h.newborn(rng, born), filed)
	case 2:
		return residenceApplication(rng, h, h.spouse, randomAddress(rng, pick(rng, localities)), issued)
	case 3:
		return landCertificate(rng, h, issued, officer(rng, false))
	default:
		return vehicleRegistration(h.head, randomVehicle(rng, h.head.home.loc.prov), issued, officer(rng, true))
	}
}
